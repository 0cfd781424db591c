import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SpawnedFrugal {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

const binary = join(import.meta.dirname, '..', '..', 'bin', 'frugal.js');

/** Runs `frugal serve` as a real child process with a YAML config, and waits until it listens. */
export async function spawnFrugal(configYaml: string, dataDir: string, env: Record<string, string> = {}): Promise<SpawnedFrugal> {
  const configPath = join(dataDir, 'frugal.config.yaml');
  writeFileSync(configPath, configYaml);
  const child = spawn(process.execPath, [binary, 'serve', '--config', configPath, '--port', '0'], {
    env: { ...process.env, FRUGAL_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`frugal did not start:\n${output}`)), 20_000);
    const check = () => {
      const match = /Frugal listening on (http:\/\/[^"\s]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', () => reject(new Error(`frugal exited early:\n${output}`)));
  });
  return { child, url, output: () => output, exited };
}
