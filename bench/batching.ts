/**
 * Cost and wall time of 1,000 short classification prompts sent (a) one by one, (b) micro-batched,
 * (c) through the Batches API on a provider batch API — all against the fake OpenAI upstream, whose
 * token counts (about 4 characters a token) are what is billed. Writes docs/benchmarks/batching.md.
 *
 *   node --import tsx bench/batching.ts [--prompts 1000]
 */
import { writeFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { validateConfig } from '../src/config/load-config.ts';
import { createLogger } from '../src/logging/create-logger.ts';
import { startFrugal } from '../src/main.ts';
import { formatUsd, usdToNano } from '../src/pricing/money.ts';
import { startFakeOpenAI } from '../test/support/fake-openai-upstream.ts';
import type { RequestBody } from '../test/support/fake-upstream-script.ts';

const count = Number(process.argv[process.argv.indexOf('--prompts') + 1]) || 1_000;
const SYSTEM = 'You classify customer reviews by sentiment. Read the review and answer with exactly one word: positive, negative or neutral. Do not explain.';
const products = ['phone', 'kettle', 'jacket', 'lamp', 'router', 'chair', 'headset', 'blender'];
const verdicts = ['works great', 'broke after a week', 'is fine I guess', 'exceeded my hopes', 'arrived damaged', 'does the job'];
const reviews = Array.from({ length: count }, (_, index) => `The ${products[index % products.length]} ${verdicts[(index * 7) % verdicts.length]} (order ${1000 + index}).`);
const label = (review: string) => (/broke|damaged/.test(review) ? 'negative' : /great|exceeded/.test(review) ? 'positive' : 'neutral');

/** A model that labels one review, or each numbered review of a pack; usage is counted by the fake. */
function classifier(body: RequestBody) {
  const user = (body.messages as { content: string }[]).at(-1)?.content ?? '';
  const numbered = [...user.matchAll(/^\[(\d+)\] (.*)$/gm)];
  if (numbered.length === 0) return { text: label(user), latencyMs: 20 };
  return { text: numbered.map((match) => `[${match[1]}] ${label(match[2])}`).join('\n'), latencyMs: 20 + numbered.length * 2 };
}

const upstream = await startFakeOpenAI({ batchDelayMs: 500 });
upstream.setDefault(classifier);
const price = { input: '0.15', output: '0.60' };
const config = validateConfig({
  providers: {
    sync: { type: 'openai-compatible', base_url: upstream.url, api_key: 'sk-bench-000000000' },
    openai: { type: 'openai', base_url: upstream.url, api_key: 'sk-bench-000000000' },
  },
  models: {
    'one-by-one': { provider: 'sync', upstream_model: 'mini', price },
    packed: { provider: 'sync', upstream_model: 'mini', price },
    'batch-api': { provider: 'openai', upstream_model: 'mini', price },
  },
  logging: { level: 'silent' },
  ledger: { flush_interval_ms: 20 },
  batch: { poll_interval_ms: 50, provider_poll_interval_ms: 100, micro_batch: { models: ['packed'], window_ms: 20, max_items: 10 } },
}, 'bench');
const frugal = await startFrugal({ config, port: 0, host: '127.0.0.1', dataDir: mkdtempSync(join(tmpdir(), 'frugal-bench-')), logger: createLogger('silent') });
const client = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'unused', maxRetries: 0 });

interface Result { name: string; wallMs: number; calls: number; inputTokens: number; outputTokens: number; costNano: number; correct: number }

async function synchronous(name: string, model: string, concurrency: number): Promise<Result> {
  upstream.reset();
  upstream.setDefault(classifier);
  let next = 0;
  const result: Result = { name, wallMs: 0, calls: 0, inputTokens: 0, outputTokens: 0, costNano: 0, correct: 0 };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < reviews.length) {
      const review = reviews[next++];
      const { data, response } = await client.chat.completions.create({ model, messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: review }] }).withResponse();
      result.inputTokens += data.usage?.prompt_tokens ?? 0;
      result.outputTokens += data.usage?.completion_tokens ?? 0;
      result.costNano += usdToNano(response.headers.get('x-frugal-cost') ?? '0');
      if (data.choices[0].message.content === label(review)) result.correct += 1;
    }
  }));
  result.wallMs = performance.now() - started;
  result.calls = upstream.requestsTo('/v1/chat/completions').length;
  return result;
}

async function batchApi(): Promise<Result> {
  upstream.reset();
  upstream.setDefault(classifier);
  const started = performance.now();
  const lines = reviews.map((review, index) => JSON.stringify({ custom_id: `r${index}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'batch-api', messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: review }] } }));
  const file = await client.files.create({ file: await toFile(Buffer.from(lines.join('\n')), 'reviews.jsonl'), purpose: 'batch' });
  let batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
  while (!['completed', 'failed', 'expired', 'cancelled'].includes(batch.status)) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    batch = await client.batches.retrieve(batch.id);
  }
  const wallMs = performance.now() - started;
  const output = (await (await client.files.content(batch.output_file_id!)).text()).split('\n').filter(Boolean).map((line) => JSON.parse(line));
  const result: Result = { name: '(c) Batches API → provider batch API', wallMs, calls: upstream.requestsTo('/v1/batches').length, inputTokens: 0, outputTokens: 0, costNano: 0, correct: 0 };
  for (const line of output) {
    const body = line.response.body;
    result.inputTokens += body.usage.prompt_tokens;
    result.outputTokens += body.usage.completion_tokens;
    if (body.choices[0].message.content === label(reviews[Number(String(line.custom_id).slice(1))])) result.correct += 1;
  }
  // Cost from the ledger: every line was recorded at the batch price.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const records = await frugal.gateway.stores.ledger.query({ limit: 100_000 });
  result.costNano = records.filter((record) => record.tags.batch_id === batch.id).reduce((sum, record) => sum + record.costNano, 0);
  return result;
}

const results = [
  await synchronous('(a) one by one', 'one-by-one', 50),
  await synchronous('(b) micro-batched (window 20 ms, ≤10 items)', 'packed', 50),
  await batchApi(),
];
await frugal.close();
await upstream.close();

const baseline = results[0].costNano;
const rows = results.map((result) =>
  `| ${result.name} | ${result.calls} | ${result.inputTokens.toLocaleString('en')} | ${result.outputTokens.toLocaleString('en')} | $${formatUsd(result.costNano)} | ${baseline ? (100 * (1 - result.costNano / baseline)).toFixed(1) : '0'}% | ${(result.wallMs / 1000).toFixed(2)} s | ${result.correct}/${count} |`,
);
const table = ['| path | upstream calls | input tokens | output tokens | cost | saving vs (a) | wall time | same label as expected |', '|---|---:|---:|---:|---:|---:|---:|---:|', ...rows].join('\n');
console.log(table);
const report = `# Batching benchmark

Command: \`node --import tsx bench/batching.ts\` (${count} prompts). Machine: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB. Date: ${new Date().toISOString().slice(0, 10)}.

${count} short review-classification prompts (one shared ${SYSTEM.length}-character system prompt, one short review each),
sent through Frugal to the fake OpenAI upstream (\`test/support\`), which bills about 4 characters a token and
answers each call after 20 ms (+2 ms per packed item). Price: $0.15 / $0.60 per 1M input / output tokens,
batch multiplier 0.5. Costs are Frugal's ledger figures (integer nano-dollars). (a) and (b) run 50 clients at once.

${table}

- (b) packs up to 10 prompts per call: the system prompt is paid once per pack instead of once per prompt, and
  the numbering instruction is the overhead. The saving depends on the system-prompt-to-question ratio; here the
  system prompt is most of each request.
- (c) wall time is the fake's 500 ms batch delay plus polling; a real provider batch takes minutes to 24 h.
  Its saving is the provider's batch price (×0.5) on the same tokens as (a).
- Labels are the fake's deterministic classifier, so "same label" checks parse-back, not model quality.
`;
mkdirSync('docs/benchmarks', { recursive: true });
writeFileSync('docs/benchmarks/batching.md', report);
console.log('wrote docs/benchmarks/batching.md');
