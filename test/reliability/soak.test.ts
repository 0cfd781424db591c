import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { SqliteLedgerStore } from '../../src/store/sqlite/sqlite-ledger-store.ts';
import { startProcess } from '../../bench/_process.ts';
import { spawnFrugal } from '../helpers/spawn-frugal.ts';

/**
 * Load and soak: 1,000 concurrent streaming clients for SOAK_SECONDS (default 60) against Frugal in
 * its own process, on loopback. No errors, memory that does not keep growing, and one ledger row per
 * request. Figures go to test-artifacts/soak.json.
 */
const seconds = Number(process.env.SOAK_SECONDS ?? 60);
const clients = Number(process.env.SOAK_CLIENTS ?? 1_000);
const root = join(import.meta.dirname, '..', '..');
const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const stop of stops) await stop();
});

function rssMegabytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

describe('soak', () => {
  it(`${clients} concurrent streaming clients for ${seconds}s: no errors, bounded memory, ledger rows = requests`, async () => {
    const upstream = await startProcess(process.execPath, ['--import', 'tsx', join(root, 'bench/_fast-upstream.ts')], /listening (\d+)/, { BENCH_CHUNK_DELAY_MS: '10' });
    stops.push(upstream.stop);
    const dataDir = mkdtempSync(join(tmpdir(), 'frugal-soak-'));
    const frugal = await spawnFrugal(
      `providers:
  upstream: { type: openai-compatible, base_url: http://127.0.0.1:${upstream.match}/v1, api_key: sk-soak }
models:
  soak-model: { provider: upstream, price: { input: 0.15, output: 0.6 } }
cache: { enabled: false }
`,
      dataDir,
    );
    stops.push(async () => {
      if (frugal.child.exitCode === null) frugal.child.kill('SIGKILL');
    });
    const agent = new Agent({ connections: clients, pipelining: 1, keepAliveTimeout: 60_000 });
    const deadline = Date.now() + seconds * 1000;
    let completed = 0;
    const failures: string[] = [];
    const rss: { second: number; mb: number }[] = [];
    const started = Date.now();
    const sampler = setInterval(() => {
      // Sampled only while the gateway lives (a crash is reported after the run, with its output).
      if (frugal.child.exitCode === null && frugal.child.signalCode === null) rss.push({ second: Math.round((Date.now() - started) / 1000), mb: Math.round(rssMegabytes(frugal.child.pid!)) });
    }, 5_000);
    const body = JSON.stringify({ model: 'soak-model', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'stream please' }] });
    async function client() {
      while (Date.now() < deadline) {
        try {
          const response = await request(`${frugal.url}/v1/chat/completions`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body });
          const text = await response.body.text();
          if (response.statusCode !== 200 || !text.trimEnd().endsWith('data: [DONE]') || text.includes('"error"')) failures.push(`${response.statusCode} ${text.slice(0, 200)}`);
          else completed++;
        } catch (error) {
          failures.push(String(error));
        }
      }
    }
    await Promise.all(Array.from({ length: clients }, client));
    clearInterval(sampler);
    // A gateway that died under load says why (its last output), instead of only the clients' ECONNREFUSED.
    if (frugal.child.exitCode !== null || frugal.child.signalCode !== null) {
      throw new Error(`the gateway exited during the soak (code ${frugal.child.exitCode}, signal ${frugal.child.signalCode}):\n${frugal.output.join('').slice(-4000)}`);
    }
    await agent.close();
    frugal.child.kill('SIGTERM');
    expect(await frugal.exited).toBe(0);
    const ledger = new SqliteLedgerStore({ path: join(dataDir, 'ledger.db') });
    const rows = await ledger.count();
    await ledger.close();
    const figures = { clients, seconds, completed, requests_per_second: Math.round(completed / seconds), failures: failures.length, ledger_rows: rows, rss_mb: rss };
    mkdirSync('test-artifacts', { recursive: true });
    writeFileSync('test-artifacts/soak.json', JSON.stringify(figures, null, 2));
    console.log(JSON.stringify(figures));
    expect(failures.slice(0, 5)).toEqual([]);
    expect(rows).toBe(completed);
    // Memory must level off, not keep growing with the number of requests served.
    const settled = rss.filter((sample) => sample.second >= Math.min(15, seconds / 2));
    if (settled.length >= 2) expect(settled.at(-1)!.mb).toBeLessThan(settled[0].mb * 1.5 + 20);
  });
});
