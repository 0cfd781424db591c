import type { ChatRequest } from '../../protocol/openai/chat-schema.ts';
import type { TaskClass } from './task-class.ts';

/** A rule's verdict: the task and how sure the rule is. */
export interface RuleVerdict {
  task: TaskClass;
  confidence: number;
  rule: string;
}

const PROGRAMMING_LANGUAGES =
  'python|javascript|typescript|java|c\\+\\+|c#|golang|go|rust|ruby|php|kotlin|swift|scala|sql|bash|shell|haskell|perl|lua|r|matlab|dart|elixir|clojure';
const NATURAL_LANGUAGES =
  'english|french|german|spanish|italian|portuguese|dutch|russian|chinese|mandarin|cantonese|japanese|korean|arabic|hindi|bengali|turkish|polish|swedish|norwegian|danish|finnish|greek|hebrew|vietnamese|thai|indonesian|malay|ukrainian|czech|romanian|hungarian|persian|farsi|urdu|swahili|latin|catalan';

const translateToProgramming = new RegExp(`\\b(translate|convert|port|rewrite)\\b[^\\n]{0,80}\\b(to|into|in)\\s+(${PROGRAMMING_LANGUAGES})\\b`, 'i');
const translateToNatural = new RegExp(
  `\\b(translat(e|ion)|render)\\b[^\\n]{0,200}\\b(to|into|in)\\s+(${NATURAL_LANGUAGES})\\b|\\b(${NATURAL_LANGUAGES})\\s+translation\\b|\\bhow do (you|i) say\\b[^\\n]{0,120}\\bin (${NATURAL_LANGUAGES})\\b`,
  'i',
);
const codeFence = /```|^\s{4}(def|class|import|function|const|let|var|public|private|return)\b/m;
const codeKeywords =
  /\b(def \w+\(|function \w*\(|console\.log|System\.out|#include\s*<|public static void|import \w+( from)?|=> \{|SELECT .+ FROM|npm install|pip install|stack ?trace|segfault|TypeError|NullPointerException|regex|unit tests?|refactor|compile error|flask|django|react|node\.?js|express|spring boot|kubernetes|docker(file)?|webpack|api endpoint|(4|5)0\d (error|status|method)|stack overflow|npm|cargo|gradle)\b/i;
const writeCode = new RegExp(
  `\\b(write|implement|create|code|debug|fix|optimi[sz]e)\\b[^\\n]{0,60}\\b(${PROGRAMMING_LANGUAGES}|function|script|program|class|method|algorithm|query|api endpoint|code)\\b`,
  'i',
);
const summarize = /\b(summari[sz]e|summari[sz]ation|summary of|tl;?dr|key takeaways|condense|in (one|two|three|a few) sentences?,? what)\b/i;
const classify = /\b(classify|categori[sz]e|sentiment|(is|was) the (tone|mood|sentiment) of|label (this|the following|each)|which (category|intent|label)|is (this|the following) (spam|positive|negative|toxic)|extract (the|all)?\s*\w*\s*(from|entities|names|dates|fields))\b/i;
const creative = /\b(write|compose|draft|create|invent|make up|imagine|craft|tell me)\b[^\n]{0,40}\b(poem|haiku|limerick|sonnet|story|short story|song|lyrics|lullaby|fairy tale|myth|legend|screenplay|fable|rap|novel|slogan|tagline)\b/i;
const reasoningWords = /\b(think step by step|reason (it )?(out|through|carefully)|explain your reasoning|who is right|is (this|the following) argument valid)\b/i;
const arithmeticOnly = /^[\s\d.,+\-*/×÷^()=?%xX]+$|^\s*(what is|compute|calculate|evaluate)\s+[\d.\s+\-*/×÷^()]+\??\s*$/i;
const mathWords = /\b(solve for [a-z]|integral|derivative|differentiate|integrate|equation|polynomial|prove that|matrix|eigenvalue|probability that|how many (ways|integers))\b/i;

const translationEvidence = new RegExp(`\\b(${NATURAL_LANGUAGES}|translat\\w*|mean(s|ing)?|say(s|ing)? [^\\n]{0,80}\\bin \\w+)\\b`, 'i');
const mathEvidence = /\d|[+\-*/=^×÷%]|\b(sum|product|total|average|mean|percent|ratio|fraction|solve|equation|calculate|compute|how (many|much)|twice|half|dozen|area|volume|probability|integral|derivative|prime|digits?|numbers?|times|how old|older|younger|more than|less than|fewer|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred|thousand|million|billion)\b/i;

/**
 * Whether the task model's verdict has any support in the text. The model reads n-grams, so on a short
 * prompt it can land on a task whose defining trait is absent: "Say hi" read as translation (from "say
 * … in French" in its training data), "Guten Tag, wie geht es?" as math. A translation names a language
 * or asks what something means; a math question has a number, an operator or a quantity word. Without
 * that, the next most likely task is taken instead (and `chat` is the general-purpose fallback).
 */
export function modelTaskPlausible(task: TaskClass, text: string): boolean {
  if (task === 'translation') return translationEvidence.test(text);
  if (task === 'math') return mathEvidence.test(text);
  return true;
}

/** True when a JSON schema (or tool parameters) declares an enum anywhere: the answer is a choice. */
export function schemaHasEnum(schema: unknown, depth = 0): boolean {
  if (depth > 12 || schema === null || typeof schema !== 'object') return false;
  if (Array.isArray(schema)) return schema.some((item) => schemaHasEnum(item, depth + 1));
  const record = schema as Record<string, unknown>;
  if (Array.isArray(record.enum) || 'const' in record) return true;
  return Object.values(record).some((value) => schemaHasEnum(value, depth + 1));
}

/**
 * Rules that are nearly always right when they fire. They look at the request's structure first
 * (response_format, tools) because that states the task more reliably than wording does.
 */
export function ruleVerdict(request: ChatRequest, userText: string): RuleVerdict | undefined {
  const format = request.response_format;
  if (format?.type === 'json_schema') {
    const hasEnum = schemaHasEnum(format.json_schema.schema);
    return { task: 'classification', confidence: hasEnum ? 0.97 : 0.9, rule: hasEnum ? 'json_schema_enum' : 'json_schema' };
  }
  const tools = request.tools ?? [];
  const forced = typeof request.tool_choice === 'object' && request.tool_choice !== null;
  if (tools.length > 0 && (forced || tools.some((tool) => schemaHasEnum(tool.function.parameters)))) {
    return { task: 'classification', confidence: forced ? 0.9 : 0.85, rule: forced ? 'forced_tool' : 'tool_enum' };
  }
  const head = userText.slice(0, 4000);
  if (translateToProgramming.test(head)) return { task: 'code', confidence: 0.95, rule: 'translate_code' };
  if (codeFence.test(userText)) return { task: 'code', confidence: 0.93, rule: 'code_fence' };
  if (translateToNatural.test(head)) return { task: 'translation', confidence: 0.95, rule: 'translate_to' };
  if (summarize.test(head)) return { task: 'summarization', confidence: 0.92, rule: 'summarize' };
  if (classify.test(head)) return { task: 'classification', confidence: 0.9, rule: 'classify' };
  if (creative.test(head)) return { task: 'creative', confidence: 0.92, rule: 'creative_form' };
  if (writeCode.test(head) || codeKeywords.test(head)) return { task: 'code', confidence: 0.88, rule: 'code_words' };
  if (arithmeticOnly.test(head.trim()) && /\d/.test(head)) return { task: 'math', confidence: 0.97, rule: 'arithmetic' };
  if (mathWords.test(head)) return { task: 'math', confidence: 0.85, rule: 'math_words' };
  if (reasoningWords.test(head)) return { task: 'reasoning', confidence: 0.8, rule: 'reasoning_words' };
  if (format?.type === 'json_object') return { task: 'classification', confidence: 0.8, rule: 'json_object' };
  return undefined;
}
