import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfigText as parseConfigFile } from '../src/config/load-config.ts';
import { replayJson } from '../src/replay/format-replay.ts';
import { ReplayOutcomes } from '../src/replay/replay-outcomes.ts';
import { runReplay } from '../src/replay/run-replay.ts';
import { makeLedgerRecord } from '../src/reports/testing/make-ledger-record.ts';
import { openStores } from '../src/store/open-stores.ts';

const run = promisify(execFile);
const parseConfigText = (text: string) => parseConfigFile(text, 'replay.test.yaml', {});
const binary = join(import.meta.dirname, '..', 'bin', 'frugal.js');
const workDir = mkdtempSync(join(tmpdir(), 'replay-test-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Prices per 1M tokens chosen so every cost below is a whole number of nano-dollars, worked by hand. */
const CONFIG = `
providers:
  simulated: { type: simulated }
  batchy: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: never-called }
models:
  big: { provider: simulated, price: { input: "2.50", output: "10.00" } }
  small: { provider: simulated, price: { input: "0.01", output: "0.02" } }
  middle: { provider: simulated, price: { input: "0.25", output: "0.25" } }
  batchable: { provider: batchy, upstream_model: gpt-4o-mini, price: { input: "0.15", output: "0.60" } }
routes:
  cheap: { baseline: big, default: small }
  tiers: { baseline: big, cascade: [small, middle, big] }
rewrite:
  legacy-big: cheap
cache:
  semantic: { enabled: "off" }
`;

/** A logged exchange; an app that asked for a route logged the model that answered (here: big). */
function exchange(model: string, question: string, promptTokens: number, completionTokens: number, extra: Record<string, unknown> = {}): string {
  const answeredBy = model === 'cheap' || model === 'tiers' ? 'big' : model;
  return JSON.stringify({
    request: { model, messages: [{ role: 'user', content: question }] },
    response: { id: 'x', model: answeredBy, choices: [{ index: 0, message: { role: 'assistant', content: `Answer: ${question}` }, finish_reason: 'stop' }], usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens } },
    ...extra,
  });
}

describe('frugal replay on a log whose answers are known by construction', () => {
  it('prices each decision exactly: a cold call, an exact-duplicate cache hit, a routed request, a logged cost', async () => {
    const lines = [
      // 1000 × $2.50/1M + 200 × $10/1M = $0.0045, served as logged.
      exchange('big', 'What is the refund window?', 1000, 200, { tags: { feature: 'support' } }),
      // Exact duplicate: the cache answers, $0 after, the whole $0.0045 saved by the cache.
      exchange('big', 'What is the refund window?', 1000, 200, { tags: { feature: 'support' } }),
      // A route: `cheap` serves `small`: before 400×2.5 + 100×10 = $0.002; after 400×0.01 + 100×0.02 = $0.000006.
      exchange('cheap', 'Say hello in one word.', 400, 100, { tags: { feature: 'chat' } }),
      // rewrite legacy-big → cheap; the log states its own cost ($0.01), so before is that figure.
      JSON.stringify({ ...JSON.parse(exchange('legacy-big', 'Another question?', 1000, 0)), cost_usd: '0.01' }),
    ];
    const report = await runReplay(lines, { config: parseConfigText(CONFIG) });
    const json = replayJson(report);
    expect(json.requests).toBe(4);
    expect(json.skipped).toBe(0);
    expect(json.cache).toEqual({ miss: 3, hit: 1 });
    // before: 0.0045 + 0.0045 + 0.002 + 0.01 = $0.021; after: 0.0045 + 0 + 0.000006 + (1000 × 0.01/1M = 0.00001) = $0.004516.
    expect(json.cost_before_nano).toBe(21_000_000);
    expect(json.cost_after_nano).toBe(4_516_000);
    expect(json.cost_before_usd).toBe(0.021);
    expect(json.cost_after_usd).toBe(0.004516);
    expect(json.savings_by_lever_usd.cache).toBe(0.0045);
    // Routing saves against the route's baseline (big) priced on the same usage: 0.002 − 0.000006, and 0.0025 − 0.00001.
    expect(json.savings_by_lever_nano.routing).toBe(1_994_000 + 2_490_000);
    // The log's own cost ($0.01) exceeds the price book's baseline ($0.0025): the rest is "other", never hidden.
    expect(json.savings_by_lever_nano.other).toBe(7_500_000);
    const leverSum = Object.values(json.savings_by_lever_nano).reduce((sum, nano) => sum + nano, 0);
    expect(leverSum).toBe(json.cost_before_nano - json.cost_after_nano);
    expect(json.by_tag['feature=support']).toEqual({ requests: 2, cost_before_usd: 0.009, cost_after_usd: 0.0045, savings_usd: 0.0045 });
    expect(json.decisions[2]).toMatchObject({ line: 3, route: 'cheap', served_model: 'small', cache: 'miss' });
  });

  it('reports malformed lines and unknown models with their line numbers, and replays the rest', async () => {
    const lines = [
      exchange('big', 'First?', 10, 10),
      '{"request": {"model": "big", "messages": [{"role": "user", "content": "no response"}]}}',
      '',
      'this is not json',
      exchange('no-such-model', 'Who answers?', 10, 10),
      JSON.stringify({ request: { model: 'big', messages: [] }, response: { choices: [] } }),
      exchange('big', 'Last?', 10, 10),
    ];
    const report = await runReplay(lines, { config: parseConfigText(CONFIG) });
    const json = replayJson(report);
    expect(json.requests).toBe(2);
    expect(json.skipped).toBe(4);
    expect(json.issues.map((issue) => [issue.line, issue.kind])).toEqual([
      [2, 'malformed'],
      [4, 'malformed'],
      [5, 'unknown_model'],
      [6, 'malformed'],
    ]);
    expect(json.issues[2].message).toContain("'no-such-model'");
    expect(json.issues[3].message).toMatch(/request\.messages|response\.choices/);
  });

  it('escalates a cascade where the outcomes file says the cheap answer fails, and charges the rejected tier', async () => {
    const outcomes = new ReplayOutcomes([
      { prompt: 'Hard question?', outcomes: { small: { score: 0 }, middle: { score: 0 }, big: { score: 1 } } },
      { prompt: 'Easy question?', outcomes: { small: { score: 1 }, middle: { score: 1 }, big: { score: 1 } } },
    ]);
    const lines = [exchange('tiers', 'Hard question?', 1000, 100), exchange('tiers', 'Easy question?', 1000, 100)];
    const report = await runReplay(lines, { config: parseConfigText(CONFIG), outcomes });
    const json = replayJson(report);
    expect(json.decisions.map((decision) => decision.served_model)).toEqual(['big', 'small']);
    // Hard: small (1000×0.01 + 100×0.02 = 12,000 nano) + middle (1100 × 0.25 = 275,000) + big (2,500,000 + 1,000,000).
    expect(json.decisions[0].cost_after_usd).toBe(0.003787);
    expect(json.decisions[0].calls).toBe(3);
    expect(json.decisions[1].cost_after_usd).toBe(0.000012);
    expect(report.assumptions.join('\n')).toContain('2 failing');
  });

  it('says when a cheaper model answered with no measured outcome (quality assumed, not known)', async () => {
    const report = await runReplay([exchange('cheap', 'Unscored?', 10, 10)], { config: parseConfigText(CONFIG) });
    expect(report.assumptions.join('\n')).toMatch(/QUALITY NOT KNOWN OFFLINE: in 1 request\(s\) a model other than the logged one \(small\)/);
  });

  it('applies the batch discount to batchable tags on providers with a batch API, attributed to the batch lever', async () => {
    const lines = [
      exchange('batchable', 'Nightly report one', 1000, 1000, { tags: { feature: 'reports' } }),
      exchange('batchable', 'Interactive question', 1000, 1000, { tags: { feature: 'chat' } }),
      exchange('big', 'Report on a provider without a batch API', 1000, 0, { tags: { feature: 'reports' } }),
    ];
    const report = await runReplay(lines, { config: parseConfigText(CONFIG), batchTags: [{ key: 'feature', value: 'reports' }] });
    const json = replayJson(report);
    // 1000 × 0.15 + 1000 × 0.60 = $0.00075, half of it on the batch API.
    expect(json.decisions.map((decision) => [decision.batched, decision.cost_after_usd])).toEqual([[true, 0.000375], [false, 0.00075], [false, 0.0025]]);
    expect(json.savings_by_lever_usd.batch).toBe(0.000375);
    expect(report.assumptions.join('\n')).toContain('1 batchable request(s) got no discount');
  });

  it('summarizes Frugal ledger export lines as recorded', async () => {
    const record = makeLedgerRecord({ costNano: 1_000, baselineCostNano: 5_000, savingsNano: { routing: 4_000 } });
    const report = await runReplay([JSON.stringify(record)], { config: parseConfigText(CONFIG) });
    const json = replayJson(report);
    expect([json.cost_before_nano, json.cost_after_nano, json.savings_by_lever_nano]).toEqual([5_000, 1_000, { routing: 4_000 }]);
    expect(report.assumptions.join('\n')).toContain('summarized as recorded');
  });
});

describe('frugal replay as a command', () => {
  it('prints --json with the documented fields, and the text report names skipped lines', async () => {
    const configPath = join(workDir, 'config.yaml');
    const logPath = join(workDir, 'log.jsonl');
    writeFileSync(configPath, CONFIG);
    writeFileSync(logPath, [exchange('big', 'Q?', 1000, 200), exchange('big', 'Q?', 1000, 200), '{broken'].join('\n') + '\n');
    const { stdout } = await run(process.execPath, [binary, 'replay', logPath, '--config', configPath, '--json']);
    const json = JSON.parse(stdout);
    expect(json).toMatchObject({ requests: 2, skipped: 1, cost_before_usd: 0.009, cost_after_usd: 0.0045, savings_by_lever_usd: { cache: 0.0045 } });
    const text = await run(process.execPath, [binary, 'replay', logPath, '--config', configPath]);
    expect(text.stdout).toContain('line 3: malformed');
    expect(text.stdout).toContain('Assumptions:');
  }, 60_000);

  it('replays what `frugal export ledger` wrote, oldest first', async () => {
    const dataDir = join(workDir, 'ledger-data');
    const stores = await openStores({ dataDir, store: 'sqlite' });
    const older = makeLedgerRecord({ time: Date.UTC(2025, 0, 1), costNano: 2_000, baselineCostNano: 9_000, savingsNano: { routing: 7_000 }, tags: { feature: 'a' } });
    const newer = makeLedgerRecord({ time: Date.UTC(2025, 0, 2), costNano: 0, baselineCostNano: 3_000, savingsNano: { cache: 3_000 }, cacheStatus: 'hit', tags: { feature: 'b' } });
    await stores.ledger.append([newer, older]);
    await stores.close();
    const configPath = join(workDir, 'ledger-config.yaml');
    writeFileSync(configPath, `data_dir: ${JSON.stringify(dataDir)}\n${CONFIG}`);
    const exportPath = join(workDir, 'ledger.jsonl');
    await run(process.execPath, [binary, 'export', 'ledger', '--config', configPath, '--out', exportPath]);
    const { stdout } = await run(process.execPath, [binary, 'replay', exportPath, '--config', configPath, '--json']);
    const json = JSON.parse(stdout);
    expect(json.decisions.map((decision: { line: number; source: string }) => [decision.line, decision.source])).toEqual([[1, 'recorded'], [2, 'recorded']]);
    expect(json.decisions[0].tags).toEqual({ feature: 'a' });
    expect([json.cost_before_usd, json.cost_after_usd, json.savings_by_lever_usd]).toEqual([0.000012, 0.000002, { routing: 0.000007, cache: 0.000003 }]);
  }, 60_000);
});
