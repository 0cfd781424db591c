/**
 * Gateway overhead: autocannon against (a) the upstream directly, (b) Frugal (full pipeline, ledger
 * on), (c) @portkey-ai/gateway from npm, all pointed at the same minimal upstream, each in its own
 * process on loopback. Latency percentiles are computed from every response's own float timing
 * (autocannon's histogram keeps whole milliseconds, too coarse for sub-millisecond overhead).
 *
 *   npm run bench -- overhead [--duration 10] [--connections 1,50,500] [--rate 1000] [--write]
 *
 * Also reports Frugal's resident memory idle and at peak under load, and the latency Frugal adds at
 * a fixed request rate (autocannon's overallRate).
 */
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startProcess } from './_process.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : args[index + 1];
};
const duration = Number(option('duration', '10'));
const connectionsList = option('connections', '1,50,500').split(',').map(Number);
const rate = option('rate', '1000');
const write = args.includes('--write');
const root = join(import.meta.dirname, '..');

interface Measured {
  target: string;
  /** CPU time (user + system, all threads) the target's process spent per request, in µs; undefined for Portkey's and the upstream's own. */
  cpuMicrosPerRequest?: number;
  /** The target process's peak resident memory during the run, in MB. */
  peakRssMb?: number;
  connections: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

/** CPU seconds (user + system) a process has used so far, from /proc (clock ticks of 10 ms). */
function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Seconds of each run spent warming up (connections opened, JIT warm) before anything is counted. */
const WARM_UP_SECONDS = 3;

/**
 * One autocannon run per target and connection count: the first WARM_UP_SECONDS on the same connections
 * are not counted, so every figure is steady state (opening hundreds of connections at once against a
 * busy server costs its first answers a second or more, which is not the gateway's per-request cost).
 */
async function measure(target: string, url: string, headers: Record<string, string>, connections: number, fixedRate?: number, pid?: number): Promise<Measured> {
  const body = JSON.stringify({ model: 'bench-model', messages: [{ role: 'user', content: 'What is six times seven? Answer briefly.' }] });
  const times: number[] = [];
  let counting = false;
  let cpuBefore = Number.NaN;
  let peakRssMb: number | undefined;
  let countedFrom = 0;
  const rssSampler = setInterval(() => counting && pid !== undefined && (peakRssMb = Math.max(peakRssMb ?? 0, rssMb(pid))), 100);
  const warmUp = setTimeout(() => {
    counting = true;
    cpuBefore = cpuSeconds(pid);
    countedFrom = performance.now();
    if (pid !== undefined) peakRssMb = rssMb(pid);
  }, WARM_UP_SECONDS * 1_000);
  const instance = autocannon({ url, method: 'POST', headers, body, connections, duration: WARM_UP_SECONDS + duration, ...(fixedRate ? { overallRate: fixedRate } : {}) });
  let errors = 0;
  let non2xx = 0;
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (!counting) return;
    if (statusCode === 200) times.push(responseTime);
    else non2xx += 1;
  });
  instance.on('reqError', () => counting && (errors += 1));
  await instance;
  const seconds = (performance.now() - countedFrom) / 1_000;
  clearTimeout(warmUp);
  clearInterval(rssSampler);
  const cpuUsed = cpuSeconds(pid) - cpuBefore;
  const sorted = Float64Array.from(times).sort();
  return {
    target,
    connections,
    peakRssMb,
    cpuMicrosPerRequest: pid === undefined ? undefined : (cpuUsed * 1e6) / Math.max(1, times.length),
    requestsPerSecond: times.length / seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    errors,
    non2xx,
  };
}

const upstream = await startProcess(process.execPath, ['--import', 'tsx', join(root, 'bench/_fast-upstream.ts')], /listening (\d+)/);
const upstreamUrl = `http://127.0.0.1:${upstream.match}`;

const dataDir = mkdtempSync(join(tmpdir(), 'frugal-bench-'));
const configPath = join(dataDir, 'frugal.config.yaml');
writeFileSync(
  configPath,
  `providers:
  upstream: { type: openai-compatible, base_url: ${upstreamUrl}/v1, api_key: sk-bench }
models:
  bench-model: { provider: upstream, price: { input: 0.15, output: 0.6 } }
`,
);
// As `npm start` and the `frugal` command run it (the V8 flag is on their command line).
const frugal = await startProcess(process.execPath, ['--max-semi-space-size=32', join(root, 'bin/frugal.js'), 'serve', '--config', configPath, '--port', '0'], /Frugal listening on (http:\/\/[^"\s]+)/, { FRUGAL_DATA_DIR: dataDir });
const bare = await startProcess(process.execPath, ['--import', 'tsx', join(root, 'bench/_bare-proxy.ts')], /listening (\d+)/, { UPSTREAM_ORIGIN: upstreamUrl });
const portkeyPort = 18000 + Math.floor(Math.random() * 1000);
const portkey = await startProcess(process.execPath, [join(root, 'node_modules/@portkey-ai/gateway/build/start-server.js'), `--port=${portkeyPort}`, '--headless'], /(Ready for connections)/);

const targets: [string, string, Record<string, string>, number | undefined][] = [
  ['direct (upstream)', `${upstreamUrl}/v1/chat/completions`, { 'content-type': 'application/json', authorization: 'Bearer sk-bench' }, upstream.child.pid],
  // Cache bypassed: this measures the full miss path — auth, parse, pipeline, upstream call, ledger.
  ['bare Node proxy', `http://127.0.0.1:${bare.match}/v1/chat/completions`, { 'content-type': 'application/json' }, bare.child.pid],
  ['Frugal', `${frugal.match}/v1/chat/completions`, { 'content-type': 'application/json', 'cache-control': 'no-store' }, frugal.child.pid],
  ['Portkey gateway', `http://127.0.0.1:${portkeyPort}/v1/chat/completions`, { 'content-type': 'application/json', authorization: 'Bearer sk-bench', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${upstreamUrl}/v1` }, portkey.child.pid],
];

const results: Measured[] = [];
const rated: Measured[] = [];
// Idle memory once start-up garbage had a chance to go: a second of quiet first.
await new Promise((resolve) => setTimeout(resolve, 1_000));
const idleRss = rssMb(frugal.child.pid!);
const idleRssBare = rssMb(bare.child.pid!);
const log = (measured: Measured, note = '') =>
  console.log(`${measured.target.padEnd(18)} c=${String(measured.connections).padEnd(4)}${note} ${measured.requestsPerSecond.toFixed(0).padStart(7)} req/s  p50 ${measured.p50.toFixed(3)} ms  p99 ${measured.p99.toFixed(3)} ms  errors ${measured.errors} non2xx ${measured.non2xx}`);
try {
  for (const connections of connectionsList) {
    for (const [name, url, headers, pid] of targets) {
      const measured = await measure(name, url, headers, connections, undefined, pid);
      results.push(measured);
      log(measured);
    }
  }
  if (rate) {
    for (const [name, url, headers, pid] of targets.filter(([name]) => name !== 'Portkey gateway')) {
      const measured = await measure(name, url, headers, 4, Number(rate), pid);
      rated.push(measured);
      log(measured, ` @${rate}/s`);
    }
  }
} finally {
  await Promise.all([frugal.stop(), portkey.stop(), bare.stop(), upstream.stop()]);
}

const lines = [
  `Command: \`npm run bench -- overhead --duration ${duration} --connections ${connectionsList.join(',')} --rate ${rate || 0} --write\``,
  `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; date ${new Date().toISOString().slice(0, 10)}. Upstream, gateway and load generator share the machine. Each run: ${WARM_UP_SECONDS} s of warm-up on the same connections, then ${duration} s counted (steady state). Frugal runs as \`npm start\` runs it (\`node --max-semi-space-size=32\`).`,
  '',
  '| target | connections | req/s | p50 ms | p99 ms | added p50 ms | added p99 ms | % of direct | CPU µs/request | peak RSS MB | errors |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
];
for (const measured of results) {
  const direct = results.find((candidate) => candidate.target.startsWith('direct') && candidate.connections === measured.connections)!;
  const added = (value: number, base: number) => (measured === direct ? '—' : (value - base).toFixed(3));
  lines.push(`| ${measured.target} | ${measured.connections} | ${measured.requestsPerSecond.toFixed(0)} | ${measured.p50.toFixed(3)} | ${measured.p99.toFixed(3)} | ${added(measured.p50, direct.p50)} | ${added(measured.p99, direct.p99)} | ${((100 * measured.requestsPerSecond) / direct.requestsPerSecond).toFixed(0)}% | ${measured.cpuMicrosPerRequest?.toFixed(0) ?? '—'} | ${measured.peakRssMb?.toFixed(0) ?? '—'} | ${measured.errors + measured.non2xx} |`);
}
for (const connections of connectionsList) {
  const frugalRow = results.find((row) => row.target === 'Frugal' && row.connections === connections)!;
  const portkeyRow = results.find((row) => row.target === 'Portkey gateway' && row.connections === connections)!;
  const bareRow = results.find((row) => row.target === 'bare Node proxy' && row.connections === connections)!;
  lines.push('', `At ${connections} connection(s): Frugal/Portkey throughput = ${(frugalRow.requestsPerSecond / portkeyRow.requestsPerSecond).toFixed(2)}×; Frugal reaches ${((100 * frugalRow.requestsPerSecond) / bareRow.requestsPerSecond).toFixed(0)}% of the bare Node proxy's throughput and adds ${(frugalRow.p50 - bareRow.p50).toFixed(3)} ms at p50 on top of it.`);
}
if (rated.length === 3) {
  const [direct, bareRated, through] = rated;
  lines.push('', `At a fixed ${rate} req/s (4 connections): direct p50 ${direct.p50.toFixed(3)} ms / p99 ${direct.p99.toFixed(3)} ms; through the bare Node proxy p50 ${bareRated.p50.toFixed(3)} ms / p99 ${bareRated.p99.toFixed(3)} ms; through Frugal p50 ${through.p50.toFixed(3)} ms / p99 ${through.p99.toFixed(3)} ms — Frugal adds **${(through.p50 - direct.p50).toFixed(3)} ms at p50 and ${(through.p99 - direct.p99).toFixed(3)} ms at p99**.`);
}
const peakOf = (target: string) => Math.max(...[...results, ...rated].filter((row) => row.target === target).map((row) => row.peakRssMb ?? 0));
lines.push('', `Resident memory (RSS): Frugal ${idleRss.toFixed(0)} MB idle after start-up, ${peakOf('Frugal').toFixed(0)} MB at peak under the load above; the bare Node proxy ${idleRssBare.toFixed(0)} MB idle, ${peakOf('bare Node proxy').toFixed(0)} MB at peak.`);
const markdown = lines.join('\n') + '\n';
console.log('\n' + markdown);
if (write) {
  mkdirSync(join(root, 'docs/benchmarks'), { recursive: true });
  writeFileSync(join(root, 'docs/benchmarks/overhead.md'), `# Gateway overhead\n\n${markdown}`);
}
