import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', 'bin', 'frugal.js');
let folder: string;
let configPath: string;

/** `frugal serve …` as a user starts it; resolves with its exit code and output once it exits. */
function serve(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, 'serve', '--config', configPath, ...args], { env: { ...process.env, FRUGAL_DATA_DIR: join(folder, 'data'), ...env }, timeout: 30_000 }, (error, _stdout, stderr) => {
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
});
