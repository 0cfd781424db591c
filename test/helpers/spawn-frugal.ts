import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A Frugal started as a child process (`node bin/frugal.js serve`), as an operator would run it. */
export interface SpawnedFrugal {
  url: string;
  child: ChildProcess;
  output: string[];
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** SIGKILL: no shutdown hook runs (the kill -9 case). */
  kill(): Promise<void>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
}

const binary = join(import.meta.dirname, '..', '..', 'bin', 'frugal.js');

/**
 * Every child started here that has not exited. A test that times out keeps running in the background
 * and its `afterEach` may find nothing to stop yet (its gateways were still starting), and vitest ends
 * a test file's worker with SIGTERM, which runs no `exit` handler: such children outlived the run and
 * kept polling their stores every 50 ms, loading the machine for every test after them. They are
 * killed when the worker exits or is told to end.
 */
const live = new Set<ChildProcess>();
let reaping = false;
function killLive(): void {
  for (const child of live) child.kill('SIGKILL');
}
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (reaping) return;
  reaping = true;
  process.once('exit', killLive);
  process.once('SIGTERM', () => {
    killLive();
    process.exit(143);
  });
}

/**
 * Writes `config` (YAML text, or an object written as JSON) to `<dataDir>/<name>` and serves it on a
 * free port with FRUGAL_DATA_DIR set; resolves once it listens.
 */
export async function spawnFrugal(config: string | Record<string, unknown>, dataDir: string, name = 'frugal', env: Record<string, string> = {}): Promise<SpawnedFrugal> {
  const configPath = join(dataDir, typeof config === 'string' ? `${name}.config.yaml` : `${name}.json`);
  writeFileSync(configPath, typeof config === 'string' ? config : JSON.stringify(config));
  const child = spawn(process.execPath, ['--max-semi-space-size=32', binary, 'serve', '--config', configPath, '--port', '0', '--host', '127.0.0.1'], {
    env: { ...process.env, FRUGAL_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    // A child that did not start in time is killed, not left running behind the failed test.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Frugal did not start:\n${output.join('')}`));
    }, 20_000);
    let started = false;
    const onData = (chunk: Buffer) => {
      output.push(String(chunk));
      if (output.length > 2_000) output.splice(0, 1_000);
      if (started) return;
      const match = /Frugal listening on (http:\/\/[\d.:]+)/.exec(output.join(''));
      if (match) {
        started = true;
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!started) reject(new Error(`Frugal exited with ${code}:\n${output.join('')}`));
    });
  });
  return {
    url,
    child,
    output,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
