import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', 'bin', 'frugal.js');
let folder: string;
let configPath: string;

/** `frugal serve …` as a user starts it; resolves with its exit code and output once it exits. */
function serve(args: string[], env: Record<string, string> = {}, config = configPath): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, 'serve', '--config', config, ...args], { env: { ...process.env, FRUGAL_DATA_DIR: join(folder, 'data'), ...env }, timeout: 30_000 }, (error, _stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr });
    });
    child.stdin?.end();
  });
}

let occupied: Server;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'frugal-serve-'));
  configPath = join(folder, 'frugal.config.yaml');
  writeFileSync(configPath, 'providers:\n  sim: { type: simulated }\nmodels:\n  small: { provider: sim, price: { input: 0.01, output: 0.01 } }\n');
  occupied = createServer();
  await new Promise<void>((resolve) => occupied.listen(0, '127.0.0.1', resolve));
});

afterAll(() => new Promise<void>((resolve) => occupied.close(() => resolve())));

describe.concurrent('frugal serve refuses what it cannot do in one line, without a stack trace', () => {
  it('a PORT that is not a port number', async () => {
    const { code, stderr } = await serve([], { PORT: 'abc' });
    expect(code).toBe(2);
    expect(stderr).toContain("PORT is 'abc'; expected a port number from 0 to 65535");
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('a port another process already listens on', async () => {
    const port = (occupied.address() as AddressInfo).port;
    const { code, stderr } = await serve(['--port', String(port), '--host', '127.0.0.1']);
    expect(code).toBe(1);
    expect(stderr).toContain(`cannot listen on 127.0.0.1:${port}: the address is already in use`);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('a config with no model (it started, and answered every request 404)', async () => {
    const empty = join(folder, 'no-models.yaml');
    writeFileSync(empty, 'providers:\n  sim: { type: simulated }\n');
    const { code, stderr } = await serve(['--port', '0'], {}, empty);
    expect(code).toBe(2);
    expect(stderr).toContain(`Invalid config (${empty}):\n  - models: no model is configured; the gateway would serve nothing`);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe('frugal serve with no config file at all', () => {
  it('starts on the built-in default models', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'frugal-serve-defaults-'));
    const env: Record<string, string | undefined> = { ...process.env, FRUGAL_DATA_DIR: join(empty, 'data'), PORT: '0' };
    for (const name of ['FRUGAL_CONFIG', 'OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'DEEPSEEK_API_KEY', 'DASHSCOPE_API_KEY']) delete env[name];
    const child = spawn(process.execPath, [BIN, 'serve', '--host', '127.0.0.1'], { cwd: empty, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const listening = await new Promise<string | undefined>((resolve) => {
      const seen = (chunk: Buffer) => {
        output += chunk.toString();
        const url = /Frugal listening on (http:\/\/[^"\s]+)/.exec(output)?.[1];
        if (url) resolve(url);
      };
      child.stdout.on('data', seen);
      child.stderr.on('data', seen);
      child.on('exit', () => resolve(undefined));
    });
    try {
      expect(listening, output).toBeDefined();
      const models = (await (await fetch(`${listening}/v1/models`)).json()) as { data: { id: string }[] };
      expect(models.data.map((model) => model.id)).toContain('gpt-4o-mini');
    } finally {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });
});
