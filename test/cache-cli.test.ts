import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { buildCli } from '../src/cli/main.ts';

function pairsFile(lines: string[]): string {
  const directory = mkdtempSync(join(tmpdir(), 'frugal-eval-cache-'));
  const path = join(directory, 'pairs.jsonl');
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

describe('frugal eval cache', () => {
  it('prints precision, recall and the curve at the configured threshold as JSON', async () => {
    const path = pairsFile([
      JSON.stringify({ a: 'How do I reset my password?', b: 'how do i reset my password', label: 1 }),
      JSON.stringify({ a: 'Can I get a refund after 14 days?', b: 'Can I get a refund after 30 days?', label: 0 }),
      JSON.stringify({ a: 'What are your opening hours?', b: 'Where is your nearest shop?', label: 0 }),
      'not json',
    ]);
    const config = join(mkdtempSync(join(tmpdir(), 'frugal-eval-cache-config-')), 'frugal.config.yaml');
    writeFileSync(config, 'cache:\n  semantic:\n    threshold: 0.85\n');
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void printed.push(String(line)));
    try {
      await buildCli().parseAsync(['node', 'frugal', 'eval', 'cache', '--pairs', path, '--json', '--config', config]);
    } finally {
      log.mockRestore();
    }
    const result = JSON.parse(printed.join('\n')) as { threshold: number; precision: number; recall: number; pairs: number; skipped: number; curve: { threshold: number }[] };
    expect(result).toMatchObject({ threshold: 0.85, precision: 1, recall: 1, pairs: 3, skipped: 1 });
    expect(result.curve.map((point) => point.threshold)).toContain(0.85);
  });
});
