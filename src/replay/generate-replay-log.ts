import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { countChatTokens, countTextTokens } from '../tokens/count-tokens.ts';

/**
 * Generates the logs docs/ROI.md replays, so that its figures can be re-run by anyone and no large
 * data file is committed. Every input is stated and deterministic (seeded).
 *
 *   node --import tsx src/replay/generate-replay-log.ts support-bot --out /tmp/roi/support-bot [--requests 60000] [--distinct N]
 *   node --import tsx src/replay/generate-replay-log.ts system-prompt --out /tmp/roi/system-prompt [--requests 10000]
 */

/** A generated log, the outcomes file that goes with it (if any), and the config to replay it with. */
export interface GeneratedScenario {
  log: string[];
  outcomes: string[];
  config: string;
}

/** mulberry32: a tiny seeded PRNG, so a scenario is the same on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seeds' price list (USD per 1M tokens) on the offline simulated provider: replay never calls it. */
const seedModelsYaml = `providers:
  simulated: { type: simulated }
models:
  gpt-4o: { provider: simulated, price: { input: "2.50", output: "10.00" } }
  deepseek-v4-flash: { provider: simulated, price: { input: "0.25", output: "0.25" } }
  qwen3-8b: { provider: simulated, price: { input: "0.01", output: "0.01" } }
`;

const actions = ['reset', 'change', 'update', 'cancel', 'renew', 'verify', 'recover', 'export', 'delete', 'transfer'];
const objects = ['password', 'subscription', 'billing address', 'invoice', 'two-factor code', 'account email', 'order', 'shipping label', 'API key', 'team seat'];

function exchange(model: string, messages: unknown[], answer: string, promptTokens: number, completionTokens: number, extra: Record<string, unknown>): string {
  return JSON.stringify({
    request: { model, messages },
    response: { id: 'chatcmpl-logged', object: 'chat.completion', model, choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }], usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens } },
    ...extra,
  });
}

/**
 * The seeds' support bot: every request went to gpt-4o, 1,000 prompt + 450 completion tokens each
 * ($0.007), 60,000 a month ($420). Routed through a cascade qwen3-8b → deepseek-v4-flash → gpt-4o,
 * the outcomes file says qwen3-8b's answer is good for 85% of the questions, deepseek-v4-flash's for
 * two thirds of the rest (10%), and only gpt-4o answers the last 5% (the seeds' 80/15/5 shape).
 * `distinct` < `requests` repeats questions (FAQ traffic) so the exact cache can hit.
 */
export function supportBotScenario(options: { requests?: number; distinct?: number; seed?: number } = {}): GeneratedScenario {
  const requests = options.requests ?? 60_000;
  const distinct = Math.min(options.distinct ?? requests, requests);
  const random = seededRandom(options.seed ?? 42);
  const system = { role: 'system', content: 'You are the support assistant of Acme Cloud. Answer briefly and politely.' };
  const questions = Array.from({ length: distinct }, (_, index) => `Ticket ${100000 + index}: how do I ${actions[index % actions.length]} my ${objects[Math.floor(index / actions.length) % objects.length]}?`);
  const outcomes = questions.map((question) => {
    const draw = random();
    const cheap = draw < 0.85 ? 1 : 0;
    const middle = draw < 0.95 ? 1 : 0;
    return JSON.stringify({ prompt: question, outcomes: { 'qwen3-8b': { score: cheap }, 'deepseek-v4-flash': { score: middle }, 'gpt-4o': { score: 1 } } });
  });
  const start = Date.parse('2025-03-01T00:00:00Z');
  const log = Array.from({ length: requests }, (_, index) => {
    const question = questions[distinct === requests ? index : Math.floor(random() * distinct)];
    const timestamp = new Date(start + Math.floor((index * 30 * 86_400_000) / requests)).toISOString();
    return exchange('gpt-4o', [system, { role: 'user', content: question }], `Here is how: open Settings, then follow the steps for "${question.slice(question.indexOf('how do I ') + 9, -1)}".`, 1000, 450, { timestamp, tags: { feature: 'support-bot' } });
  });
  const config = `${seedModelsYaml}routes:
  support-bot:
    baseline: gpt-4o
    cascade: [qwen3-8b, deepseek-v4-flash, gpt-4o]
rewrite:
  gpt-4o: support-bot
cache:
  ttl_seconds: 2678400
`;
  return { log, outcomes, config };
}

/** Policy sentences for a long system prompt: varied enough that an extractive compressor can choose. */
function policySentences(count: number, random: () => number): string[] {
  const subjects = ['Refunds', 'Shipping', 'Warranty claims', 'Account changes', 'Invoices', 'Data exports', 'Password resets', 'Cancellations', 'Upgrades', 'Complaints'];
  const rules = ['must be confirmed by email within 2 business days', 'are handled by the billing team on weekdays', 'require the order number and the postcode', 'are free for premium members in the EU', 'need a photo of the damaged item', 'are logged in the CRM with the tag priority-low', 'take 5 to 7 days in peak season', 'are refused after 30 days from delivery'];
  return Array.from({ length: count }, (_, index) => `${subjects[index % subjects.length]} (rule ${index + 1}) ${rules[Math.floor(random() * rules.length)]}.`);
}

/**
 * The seeds' long system prompt: 10,000 requests a day to deepseek-v4-flash ($0.25 per 1M input
 * tokens), each with a 2,000-token system prompt, compressed (extractive, target ratio 5) to about
 * 400 tokens. The seeds' arithmetic says $87,600 a year; 1,600 tokens × 10,000 × $0.25/1M is $4 a day.
 */
export function systemPromptScenario(options: { requests?: number; systemTokens?: number; seed?: number } = {}): GeneratedScenario {
  const requests = options.requests ?? 10_000;
  const systemTokens = options.systemTokens ?? 2_000;
  const random = seededRandom(options.seed ?? 7);
  // Sentences are added until the system prompt is `systemTokens` o200k tokens; the log's prompt tokens are counted exactly.
  const sentences = policySentences(Math.ceil(systemTokens / 5), random);
  let system = 'You are the help desk of Acme Retail. Follow these rules.';
  for (const sentence of sentences) {
    if (countTextTokens(`${system}\n${sentence}`) > systemTokens) break;
    system += `\n${sentence}`;
  }
  const start = Date.parse('2025-03-01T00:00:00Z');
  const log = Array.from({ length: requests }, (_, index) => {
    const question = `Order ${200000 + index}: what is the rule for ${['refunds', 'shipping', 'warranty claims', 'invoices', 'cancellations'][index % 5]}?`;
    const timestamp = new Date(start + Math.floor((index * 86_400_000) / requests)).toISOString();
    const messages = [{ role: 'system' as const, content: system }, { role: 'user' as const, content: question }];
    return exchange('deepseek-v4-flash', messages, 'Per our rules, this is handled within 2 business days.', countChatTokens({ messages }), 60, { timestamp, tags: { feature: 'help-desk' } });
  });
  const config = `${seedModelsYaml}compression:
  models:
    deepseek-v4-flash: { enabled: true, mode: extractive, target_ratio: 5, min_tokens: 500, roles: [system] }
cache:
  enabled: false
`;
  return { log, outcomes: [], config };
}

function writeScenario(directory: string, scenario: GeneratedScenario): void {
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, 'log.jsonl'), scenario.log.join('\n') + '\n');
  writeFileSync(join(directory, 'config.yaml'), scenario.config);
  if (scenario.outcomes.length > 0) writeFileSync(join(directory, 'outcomes.jsonl'), scenario.outcomes.join('\n') + '\n');
}

function flag(argv: string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [name, ...rest] = process.argv.slice(2);
  const out = flag(rest, '--out');
  const requests = flag(rest, '--requests');
  const distinct = flag(rest, '--distinct');
  if (!out || (name !== 'support-bot' && name !== 'system-prompt')) {
    process.stderr.write('usage: generate-replay-log.ts support-bot|system-prompt --out DIR [--requests N] [--distinct N]\n');
    process.exit(2);
  }
  const scenario = name === 'support-bot'
    ? supportBotScenario({ requests: requests ? Number(requests) : undefined, distinct: distinct ? Number(distinct) : undefined })
    : systemPromptScenario({ requests: requests ? Number(requests) : undefined });
  writeScenario(out, scenario);
  process.stderr.write(`wrote ${scenario.log.length} log line(s) to ${join(out, 'log.jsonl')}, config to ${join(out, 'config.yaml')}${scenario.outcomes.length ? `, ${scenario.outcomes.length} outcomes line(s)` : ''}\n`);
}
