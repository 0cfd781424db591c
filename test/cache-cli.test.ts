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

describe('frugal eval cache on input a user can get wrong', () => {
  async function run(args: string[]): Promise<{ out: string[]; err: string[]; error?: Error }> {
    const out: string[] = [];
    const err: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void out.push(String(line)));
    const table = vi.spyOn(console, 'table').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation((line: unknown) => void err.push(String(line)));
    try {
      await buildCli().exitOverride().parseAsync(['node', 'frugal', 'eval', 'cache', ...args]);
      return { out, err };
    } catch (thrown) {
      return { out, err, error: thrown as Error };
    } finally {
      log.mockRestore();
      table.mockRestore();
      error.mockRestore();
    }
  }

  it('names each skipped line and what is wrong with it', async () => {
    const path = pairsFile([
      JSON.stringify({ a: 'How do I reset my password?', b: 'how do i reset my password', label: 1 }),
      '{"a": "x", "b": "y", "label": 1',
      JSON.stringify({ a: 'x', label: 1 }),
      JSON.stringify({ a: 'x', b: 'y', label: 2 }),
    ]);
    const { err, error } = await run(['--pairs', path]);
    expect(error).toBeUndefined();
    expect(err).toEqual([
      expect.stringMatching(/^skipped line 2: not JSON/),
      'skipped line 3: b: Invalid input: expected string, received undefined',
      'skipped line 4: label: expected 0 or 1',
    ]);
  });

  it('refuses a file with no valid pair, naming its lines, instead of printing a curve of zeros', async () => {
    const { out, error } = await run(['--pairs', pairsFile(['question one, question two'])]);
    expect(out).toEqual([]);
    expect(error?.message).toMatch(/no labelled pairs to evaluate \(line 1: not JSON/);
  });

  it('refuses a --route that names no model or route', async () => {
    const path = pairsFile([JSON.stringify({ a: 'a', b: 'b', label: 0 })]);
    const { error } = await run(['--pairs', path, '--route', 'nope']);
    expect(error?.message).toMatch(/--route: no model or route is called 'nope'/);
  });
});
