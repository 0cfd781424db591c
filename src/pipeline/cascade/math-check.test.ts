import { describe, expect, it } from 'vitest';
import { checksSchema } from '../route/route-config.ts';
import { checkAnswer } from './answer-checks.ts';
import { arithmeticMismatches, arithmeticStatements, evaluateArithmetic } from './math-check.ts';

describe('math check', () => {
  it('recomputes the arithmetic an answer writes out, in every common notation', () => {
    const answer = [
      'Ben buys 4 x 12 = 48 pencils and 3 boxes at $2.50 each: 3 * $2.50 = $7.50.',
      'With the calculator note <<48+7=55>>55 and a fraction 10 / 4 = 2.5,',
      'a discount of 8 x $5 x 60% = $24 and a share 0.2 * 100 = 20%.',
    ].join('\n');
    const statements = arithmeticStatements(answer);
    expect(statements.map((statement) => statement.text)).toEqual(['4 x 12 = 48', '3 * $2.50 = $7.50', '48+7=55', '10 / 4 = 2.5', '8 x $5 x 60% = $24', '0.2 * 100 = 20%']);
    expect(statements.every((statement) => statement.ok)).toBe(true);
  });

  it('flags a sum that does not add up, with what it should have been', () => {
    const [wrong] = arithmeticMismatches('In the morning 15 cups, in the afternoon 25: 15 + 25 = 45 cups in total.');
    expect(wrong).toMatchObject({ text: '15 + 25 = 45', stated: 45, computed: 40, ok: false });
    expect(arithmeticMismatches('Each of 3 friends pays 100 / 3 = 33.33 dollars, roughly 33.3.')).toEqual([]);
  });

  it('follows precedence and parentheses, and never guesses at what it cannot read', () => {
    expect(evaluateArithmetic('2 + 3 * 4')).toBe(14);
    expect(evaluateArithmetic('(2 + 3) * 4')).toBe(20);
    expect(evaluateArithmetic('1,200 - 200')).toBe(1000);
    expect(Number.isNaN(evaluateArithmetic('2 + * 3'))).toBe(true);
    // Words between the numbers, a box of size 2x4, version strings: no statement, so no mismatch.
    expect(arithmeticStatements('3 sprints * 60 meters = 180 meters; a 2x4 = lumber; v1.2 = v1.3')).toEqual([]);
  });

  it('rejects a cascade answer with wrong arithmetic only when the route turns `math` on', () => {
    const request = { model: 'm', messages: [{ role: 'user' as const, content: 'How many cups?' }] };
    const response = { id: 'r', model: 'm', choices: [{ index: 0, message: { role: 'assistant' as const, content: '15 + 25 = 45, so 45 cups.' }, finish_reason: 'stop' }] };
    expect(checkAnswer(request, response, checksSchema.parse({})).pass).toBe(true);
    const verdict = checkAnswer(request, response, checksSchema.parse({ math: true }));
    expect(verdict.pass).toBe(false);
    expect(verdict.reasons).toEqual(['arithmetic does not add up: 15 + 25 = 45 (is 40)']);
  });

  it('reads a hostile answer in one pass: many operands before an "=" with no number, or a long chain with no "="', () => {
    // Each gap once had two `\s*` to split its spaces between, so this took time exponential in its operands.
    expect(arithmeticStatements(`${'1 × '.repeat(40)}1 = x`)).toEqual([]);
    expect(arithmeticStatements(`${'1 + '.repeat(40)}1 = 41`)).toMatchObject([{ stated: 41, computed: 41, ok: true }]);
    // No "=" in 400 kB: a failed match once rescanned the rest of the chain from every operand (quadratic).
    expect(arithmeticMismatches('1+'.repeat(200_000))).toEqual([]);
    expect(arithmeticMismatches(`${'1 + '.repeat(100_000)}. Then 2 * 3 = 7`)).toMatchObject([{ text: '2 * 3 = 7', computed: 6 }]);
    // A chain too long to read whole is skipped, not checked by its tail.
    expect(arithmeticMismatches(`${'1 + '.repeat(100)}1 = 101`)).toEqual([]);
  });
});
