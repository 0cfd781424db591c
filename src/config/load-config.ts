import { readFileSync, existsSync } from 'node:fs';
import { providerForModelName } from './model-patterns.ts';
import { LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { configSchema, type FrugalConfig } from './schema.ts';
import { defaultConfig } from './default-config.ts';
import { routeConfigIssues, routeModelReferences } from '../pipeline/route/route-config.ts';
import { cacheConfigIssues } from '../pipeline/cache/cache-config.ts';
import { compressionConfigIssues } from '../pipeline/compress/compression-config.ts';
import { batchConfigIssues } from '../batch/batch-config.ts';
import { ConfigError } from './config-error.ts';

export { ConfigError };

export interface LoadedConfig {
  config: FrugalConfig;
  /** The file it came from, or 'defaults'. */
  source: string;
}

type Env = Record<string, string | undefined>;

/**
 * Resolves the config: `--config` path, else FRUGAL_CONFIG, else ./frugal.config.yaml when present,
 * else the built-in defaults (real providers for keys in the environment, simulated models otherwise).
 */
export function loadConfig(options: { path?: string; env?: Env; cwd?: string } = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const explicit = options.path ?? env.FRUGAL_CONFIG;
  const implicit = `${options.cwd ?? process.cwd()}/frugal.config.yaml`;
  const path = explicit ?? (existsSync(implicit) ? implicit : undefined);
  if (!path) return { config: validateConfig(defaultConfig(env), 'defaults'), source: 'defaults' };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [`cannot read the file: ${(error as Error).message}`]);
  }
  return { config: parseConfigText(text, path, env), source: path };
}

/** Parses YAML (or JSON) config text, interpolates ${ENV}, validates; errors carry line numbers. */
export function parseConfigText(text: string, source: string, env: Env = process.env): FrugalConfig {
  // ${VAR} is swapped for a plain placeholder before parsing: braces would otherwise break YAML flow
  // mappings such as `{ api_key: ${KEY} }`, and an env value must never be parsed as YAML.
  const placeholders: { name: string; fallback: string | undefined }[] = [];
  const swaps: { at: number; written: number; original: number }[] = [];
  let shift = 0;
  const prepared = text.replace(placeholder, (match: string, name: string, fallback: string | undefined, offset: number) => {
    placeholders.push({ name, fallback });
    const swapped = `__frugal_env_${placeholders.length - 1}__`;
    swaps.push({ at: offset + shift, written: swapped.length, original: match.length });
    shift += swapped.length - match.length;
    return swapped;
  });
  const lineCounter = new LineCounter();
  const document = parseDocument(prepared, { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    throw new ConfigError(source, document.errors.map((error) => syntaxIssue(text, originalOffset(swaps, error.pos[0]), error.message)));
  }
  const raw: unknown = document.toJS() ?? {};
  const interpolationIssues: string[] = [];
  const interpolated = interpolate(raw, [], env, interpolationIssues, placeholders);
  if (interpolationIssues.length > 0) throw new ConfigError(source, interpolationIssues);
  const lineOf = (path: PropertyKey[]) => {
    const node = document.getIn(path.map(String), true) as YamlNode | undefined;
    const offset = node && 'range' in node && node.range ? node.range[0] : undefined;
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  return validateConfig(interpolated, source, lineOf);
}

/** A YAML syntax error as `line L, column C: message` (1-based, in the file as written). */
function syntaxIssue(text: string, offset: number, message: string): string {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const line = before.split('\n').length;
  const column = before.length - (before.lastIndexOf('\n') + 1) + 1;
  return `line ${line}, column ${column}: ${message.split('\n')[0].replace(/:\s*$/, '')}`;
}

/** An offset in the text with ${ENV} swapped for placeholders, mapped back to the text as written. */
function originalOffset(swaps: { at: number; written: number; original: number }[], offset: number): number {
  let delta = 0;
  for (const swap of swaps) {
    if (offset < swap.at) break;
    if (offset < swap.at + swap.written) return swap.at - delta; // inside a placeholder: its ${…}
    delta += swap.written - swap.original;
  }
  return offset - delta;
}

export function validateConfig(
  raw: unknown,
  source: string,
  lineOf: (path: PropertyKey[]) => number | undefined = () => undefined,
): FrugalConfig {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(source, formatIssues(parsed.error.issues, lineOf));
  const config = parsed.data;
  const issues = crossCheck(config);
  if (issues.length > 0) throw new ConfigError(source, issues);
  return config;
}

function formatIssues(issues: z.core.$ZodIssue[], lineOf: (path: PropertyKey[]) => number | undefined): string[] {
  return issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    let line: number | undefined;
    for (let length = issue.path.length; length > 0 && line === undefined; length--) {
      line = lineOf(issue.path.slice(0, length));
    }
    const where = line === undefined ? path : `${path} (line ${line})`;
    if (issue.code === 'unrecognized_keys') return `${where}: unknown key(s) ${issue.keys.map((key) => `'${key}'`).join(', ')}`;
    return `${where}: ${issue.message}`;
  });
}

function crossCheck(config: FrugalConfig): string[] {
  const issues: string[] = [];
  const providers = new Set(Object.keys(config.providers));
  for (const [name, model] of Object.entries(config.models)) {
    const deployments = model.deployments ?? [{ provider: model.provider! }];
    deployments.forEach((deployment, index) => {
      if (!providers.has(deployment.provider)) {
        const where = model.deployments ? `models.${name}.deployments.${index}.provider` : `models.${name}.provider`;
        issues.push(
          `${where}: unknown provider '${deployment.provider}' (configured: ${[...providers].join(', ') || 'none'})`,
        );
      }
    });
  }
  for (const [name, provider] of Object.entries(config.providers)) {
    if (provider.type === 'openai-compatible' && !provider.base_url) {
      issues.push(`providers.${name}.base_url: required for type openai-compatible`);
    }
  }
  issues.push(...routeConfigIssues(config.routes, Object.keys(config.models)));
  issues.push(...cacheConfigIssues(config.cache, Object.keys(config.models), Object.keys(config.routes), config.rewrite));
  issues.push(...compressionConfigIssues(config.compression, Object.keys(config.models), Object.keys(config.routes)));
  issues.push(...batchConfigIssues(config.batch, config));
  const summaryModel = config.compression.summary_model;
  if (summaryModel && !(summaryModel in config.models)) {
    issues.push(`compression.summary_model: unknown model '${summaryModel}' (configured: ${Object.keys(config.models).join(', ') || 'none'})`);
  }
  issues.push(...modelKindIssues(config));
  const servable = new Set([...Object.keys(config.models), ...Object.keys(config.routes)]);
  for (const [from, to] of Object.entries(config.rewrite)) {
    if (!servable.has(to) && !providerForModelName(config.providers, to)) {
      issues.push(`rewrite.${from}: '${to}' is neither a model, a route nor a name a provider's models pattern matches`);
    }
  }
  return issues;
}

/**
 * A model's `kind` against the places that name it: routes, judges, the summary model and the cache's
 * verifier chat; the semantic cache's upstream embedder embeds. A model of the other kind would fail at
 * the first request that reaches it, so the config is refused instead.
 */
function modelKindIssues(config: FrugalConfig): string[] {
  const issues: string[] = [];
  const kindOf = (name: string) => config.models[name]?.kind;
  const ofKind = (kind: 'chat' | 'embedding') => Object.keys(config.models).filter((name) => kindOf(name) !== (kind === 'chat' ? 'embedding' : 'chat')).join(', ') || 'none';
  const chatOnly = (path: string, name: string | undefined) => {
    if (name !== undefined && kindOf(name) === 'embedding') issues.push(`${path}: '${name}' is an embeddings model (kind: embedding); this needs a chat model (${ofKind('chat')})`);
  };
  for (const [routeName, route] of Object.entries(config.routes)) {
    for (const reference of routeModelReferences(route)) chatOnly(`routes.${routeName}.${reference.path}`, reference.model);
  }
  chatOnly('compression.summary_model', config.compression.summary_model);
  chatOnly('cache.semantic.verifier.model', config.cache.semantic.verifier?.model);
  const embedder = config.cache.semantic.embedder;
  if (typeof embedder === 'object' && kindOf(embedder.model) === 'chat') {
    issues.push(`cache.semantic.embedder.model: '${embedder.model}' is a chat model (kind: chat); the embedder needs a model that serves /v1/embeddings (${ofKind('embedding')})`);
  }
  return issues;
}

const placeholder = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const token = /__frugal_env_(\d+)__/g;

function interpolate(
  value: unknown,
  path: string[],
  env: Env,
  issues: string[],
  placeholders: { name: string; fallback: string | undefined }[],
): unknown {
  if (typeof value === 'string') {
    const whole = /^__frugal_env_\d+__$/.test(value);
    const result = value.replace(token, (_match, index: string) => {
      const { name, fallback } = placeholders[Number(index)];
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      issues.push(`${path.join('.')}: environment variable ${name} is not set (use \${${name}:-} to allow empty)`);
      return '';
    });
    // `port: ${PORT}` should become a number, as if it had been written in the file.
    if (whole && /^-?\d+(\.\d+)?$/.test(result)) return Number(result);
    if (whole && (result === 'true' || result === 'false')) return result === 'true';
    return result;
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolate(item, [...path, String(index)], env, issues, placeholders));
  if (value && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) result[key] = interpolate(item, [...path, key], env, issues, placeholders);
    return result;
  }
  return value;
}
