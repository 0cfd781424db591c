/**
 * The deterministic "math" answer check: every arithmetic statement an answer writes out
 * ("3 x 60 = 180", "<<15+25=40>>", "$40 + $24 = $64") is recomputed, and a statement whose stated
 * result is wrong is a mismatch. Cheap models often reason correctly and then slip on a sum; the
 * check catches exactly that slip, and nothing else (it cannot tell a wrong plan from a right one).
 */

/** One arithmetic statement found in an answer. */
export interface ArithmeticStatement {
  /** The statement as written, e.g. `15 + 25 = 45`. */
  text: string;
  stated: number;
  computed: number;
  ok: boolean;
}

// A number as answers write it: optional currency sign, thousands separators, decimals, a percent sign.
const NUMBER = String.raw`\$?\d+(?:,\d{3})*(?:\.\d+)?%?`;
// An operator between two numbers: + - * / × ÷ and "x" (only between spaces or digits, never inside a word).
const OPERATOR = String.raw`\s*(?:[-+*/×÷]|(?<=[\d%\s])x(?=[\s\d$]))\s*`;
// The space around an operand belongs to the operator (or to "="): a `\s*` on both sides of the same gap
// would give the engine k+1 ways to split each gap of k spaces, and a statement that fails at its end (no
// number after "=") would try every combination — exponential in its number of operands ("1 × 1 × … = x").
const OPERAND = String.raw`(?:\(\s*)?${NUMBER}(?:\s*\))?`;
/** How far before its "=" a statement may start: keeps a failed match from scanning the rest of a long answer. */
const MAX_EXPRESSION_CHARS = 256;
/** The end of an operand and an operator: a match right after it is the tail of a chain too long to read. */
const CHAIN_BEFORE = /[\d%)]\s*(?:[-+*/×÷]|x)\s*$/;
const STATEMENT = new RegExp(String.raw`(?<![\w.,$])(?=[^=]{0,${MAX_EXPRESSION_CHARS}}=)(${OPERAND}(?:${OPERATOR}${OPERAND})+)\s*=\s*(-?${NUMBER})(?![\d])`, 'g');

/** Parses a number as written ("$1,250.50", "60%"); percents become fractions (60% → 0.6). */
function readNumber(written: string): number {
  const percent = written.endsWith('%');
  const value = Number(written.replace(/[$,%]/g, ''));
  return percent ? value / 100 : value;
}

/**
 * Evaluates `a op b op c …` with * and / before + and −, and parentheses. Returns NaN for anything it
 * cannot read, so an unreadable statement never counts as a mismatch.
 */
export function evaluateArithmetic(expression: string): number {
  const tokens = expression.match(/\$?\d+(?:,\d{3})*(?:\.\d+)?%?|[-+*/×÷x()]/g) ?? [];
  let position = 0;
  const peek = (): string | undefined => tokens[position];
  const primary = (): number => {
    const token = tokens[position++];
    if (token === '(') {
      const value = sum();
      if (tokens[position++] !== ')') return Number.NaN;
      return value;
    }
    if (token === '-') return -primary();
    return token !== undefined && /\d/.test(token) ? readNumber(token) : Number.NaN;
  };
  const product = (): number => {
    let value = primary();
    while (peek() !== undefined && '*/×÷x'.includes(peek()!)) {
      const operator = tokens[position++];
      const right = primary();
      value = operator === '/' || operator === '÷' ? value / right : value * right;
    }
    return value;
  };
  const sum = (): number => {
    let value = product();
    while (peek() === '+' || peek() === '-') {
      const operator = tokens[position++];
      const right = product();
      value = operator === '+' ? value + right : value - right;
    }
    return value;
  };
  const value = sum();
  return position === tokens.length && Number.isFinite(value) ? value : Number.NaN;
}

/** Decimal places of a written number ("3.33" → 2), for a rounding-tolerant comparison. */
function decimals(written: string): number {
  return written.replace(/%$/, '').split('.')[1]?.length ?? 0;
}

/**
 * Every arithmetic statement in `text` with its recomputed value. A stated result is accepted when it
 * equals the computed one rounded to the decimals it was written with, or is within 0.5% of it
 * (answers round money and approximations).
 */
export function arithmeticStatements(text: string): ArithmeticStatement[] {
  const found: ArithmeticStatement[] = [];
  for (const match of text.matchAll(STATEMENT)) {
    const [whole, expression, result] = match;
    // A chain longer than MAX_EXPRESSION_CHARS matches only as its tail, whose sum is not the stated one.
    if (CHAIN_BEFORE.test(text.slice(Math.max(0, (match.index ?? 0) - 32), match.index))) continue;
    // Unbalanced parentheses mean the match cut an expression in half: skip rather than guess.
    if ((expression.match(/\(/g) ?? []).length !== (expression.match(/\)/g) ?? []).length) continue;
    const computed = evaluateArithmetic(expression);
    if (Number.isNaN(computed)) continue;
    let stated = readNumber(result.replace(/^-/, ''));
    if (result.startsWith('-')) stated = -stated;
    // "60% * 5 = 3" states a plain number; "0.2 * 100 = 20%" states a percent of the same value.
    const candidates = result.endsWith('%') ? [stated, stated * 100] : [stated];
    const places = decimals(result);
    const ok = candidates.some((value) => Math.abs(value - computed) <= 0.5 * 10 ** -places + 1e-9 || Math.abs(value - computed) <= 0.005 * Math.abs(computed));
    found.push({ text: whole.trim(), stated, computed, ok });
  }
  return found;
}

/** The statements whose stated result is wrong. */
export function arithmeticMismatches(text: string): ArithmeticStatement[] {
  return arithmeticStatements(text).filter((statement) => !statement.ok);
}
