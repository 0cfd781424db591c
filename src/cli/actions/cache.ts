import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { loadConfig } from '../../config/load-config.ts';
import { buildModels } from '../../gateway/build-models.ts';
import { formatUsd } from '../../pricing/money.ts';
import { PriceBook } from '../../pricing/price-book.ts';
import { createProvider } from '../../providers/create-provider.ts';
import { resolveCachePolicy } from '../../pipeline/cache/cache-config.ts';
import { buildEmbedder } from '../../pipeline/cache/build-semantic-cache.ts';
import type { Embedder } from '../../pipeline/cache/semantic/embedder.ts';
import { evalCache, type CacheEvaluation } from '../../pipeline/cache/semantic/eval-cache.ts';
import { DEFAULT_GUARDS } from '../../pipeline/cache/semantic/precision-guards.ts';
import { formatTable } from '../format-table.ts';

/** Flags of `frugal eval cache`. */
export interface EvalCacheCommandOptions {
  pairs: string;
  json?: boolean;
  config?: string;
  /** Use this route's (or model's) threshold override instead of the global one. */
  route?: string;
  threshold?: number;
}

/**
 * Scores labelled pairs (`{"a","b","label":0|1}` per line) the way the configured semantic cache
 * decides: the configured embedder (local, or the upstream embeddings model — whose calls cost
 * money, reported), the configured guards, and the configured threshold as the operating point.
 */
export async function runEvalCache(options: EvalCacheCommandOptions, onProgress?: (done: number, total: number) => void): Promise<CacheEvaluation> {
  const { config, source } = loadConfig({ path: options.config });
  const lines = readFileSync(options.pairs, 'utf8').split('\n');
  const providers = new Map(Object.entries(config.providers).map(([name, provider]) => [name, createProvider(name, provider)] as const));
  try {
    const models = buildModels(config, providers, new PriceBook());
    if (options.route !== undefined && !models.has(options.route) && !(options.route in config.routes)) {
      throw new InvalidArgumentError(`--route: no model or route is called '${options.route}' in ${source === 'defaults' ? 'the built-in default config' : source} (configured: ${[...models.keys(), ...Object.keys(config.routes)].join(', ')})`);
    }
    const name = options.route ?? '';
    const policy = resolveCachePolicy(config.cache, name, name in config.routes);
    const embedder = withProgress(buildEmbedder({ config: config.cache, models, timeoutMs: config.retry.timeout_ms }), lines, onProgress);
    const evaluation = await evalCache(lines, {
      embedder,
      guards: config.cache.semantic.guards ? DEFAULT_GUARDS : [],
      threshold: options.threshold ?? policy.threshold,
    });
    if (evaluation.pairs === 0) {
      const named = evaluation.invalidLines.map((invalid) => `line ${invalid.line}: ${invalid.error}`).join('; ');
      throw new Error(`${options.pairs}: no labelled pairs to evaluate${named ? ` (${named})` : ' (the file is empty)'}; each line is {"a": "…", "b": "…", "label": 0|1}`);
    }
    return evaluation;
  } finally {
    await Promise.all([...providers.values()].map((provider) => provider.close?.()));
  }
}

function withProgress(embedder: Embedder, lines: string[], onProgress?: (done: number, total: number) => void): Embedder {
  if (!onProgress) return embedder;
  const total = 2 * lines.filter((line) => line.trim() !== '').length;
  let done = 0;
  return {
    id: embedder.id,
    dimensions: embedder.dimensions,
    async embed(texts) {
      const result = await embedder.embed(texts);
      done += texts.length;
      onProgress(Math.min(done, total), total);
      return result;
    },
  };
}

function printEvaluation(evaluation: CacheEvaluation): void {
  const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
  console.log(`pairs: ${evaluation.pairs} (skipped ${evaluation.skipped} invalid lines), vetoed by guards: ${evaluation.vetoed}, embedding cost: $${formatUsd(evaluation.costNano)}`);
  console.log(formatTable(
    evaluation.curve.map((point) => ({
      threshold: point.threshold.toFixed(2) + (point.threshold === evaluation.threshold ? ' ←' : ''),
      precision: percent(point.precision),
      recall: percent(point.recall),
      f1: point.f1.toFixed(3),
      hits: point.hits,
    })),
 ));
  console.log(`operating point (threshold ${evaluation.threshold}): precision ${percent(evaluation.precision)}, recall ${percent(evaluation.recall)}, F1 ${evaluation.f1.toFixed(3)}`);
  printInvalidLines(evaluation);
}

/** Names the lines that were skipped, on stderr, so a malformed file is not read as a small one. */
function printInvalidLines(evaluation: CacheEvaluation): void {
  for (const invalid of evaluation.invalidLines) console.error(`skipped line ${invalid.line}: ${invalid.error}`);
  const unnamed = evaluation.skipped - evaluation.invalidLines.length;
  if (unnamed > 0) console.error(`… and ${unnamed} more invalid line(s)`);
}

/** What `frugal eval cache` does (its flags are defined in ../commands/cache.ts). */
export async function evalCacheCommand(options: EvalCacheCommandOptions): Promise<void> {
  const bar = process.stderr.isTTY ? new SingleBar({ stream: process.stderr, format: 'embedding {bar} {value}/{total} texts' }, Presets.shades_classic) : undefined;
  let started = false;
  const evaluation = await runEvalCache(options, (done, total) => {
    if (!bar) return;
    if (!started) bar.start(total, 0);
    started = true;
    bar.update(done);
  });
  bar?.stop();
  if (options.json) {
    const { costNano, invalidLines, ...rest } = evaluation;
    console.log(JSON.stringify({ ...rest, invalid_lines: invalidLines, cost_usd: formatUsd(costNano) }, null, 2));
  } else printEvaluation(evaluation);
}
