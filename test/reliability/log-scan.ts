import type { SpawnedFrugal } from '../helpers/spawn-frugal.ts';

/**
 * Every line a spawned gateway writes (stdout and stderr), kept in full for the secret scan.
 * `spawnFrugal` keeps only a rolling window of its output, so this copies what it already holds
 * (the start-up lines) and then listens for the rest.
 */
export interface CapturedLogs {
  /** Complete lines so far, plus the unterminated tail. */
  lines(): string[];
}

/** Starts capturing a spawned gateway's output; call it right after `spawnFrugal` resolves. */
export function captureLogs(frugal: SpawnedFrugal): CapturedLogs {
  let text = frugal.output.join('');
  const append = (chunk: Buffer) => {
    text += String(chunk);
  };
  frugal.child.stdout?.on('data', append);
  frugal.child.stderr?.on('data', append);
  return { lines: () => text.split('\n').filter((line) => line.length > 0) };
}

/** The lines that contain any of `secrets`, with the secret itself masked so a report never repeats it. */
export function linesLeakingSecrets(lines: readonly string[], secrets: readonly string[]): string[] {
  const real = secrets.filter((secret) => secret.length >= 8);
  const leaked: string[] = [];
  for (const line of lines) {
    const found = real.find((secret) => line.includes(secret));
    if (found !== undefined) leaked.push(line.split(found).join('<a key>'));
  }
  return leaked;
}

/** Throws when any captured line of any gateway contains a secret (the message names the lines, masked). */
export function assertNoSecretsLogged(captures: readonly CapturedLogs[], secrets: readonly string[]): { lines: number } {
  const all = captures.flatMap((capture) => capture.lines());
  const leaked = linesLeakingSecrets(all, secrets);
  if (leaked.length > 0) throw new Error(`${leaked.length} log line(s) contain a key:\n${leaked.slice(0, 5).join('\n')}`);
  return { lines: all.length };
}
