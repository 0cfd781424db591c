import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import { costOf } from '../../pricing/price-book.ts';
import { usageFromOpenAI, zeroUsage } from '../../pricing/usage.ts';
import type { KeyValueStore } from '../../store/types.ts';
import type { Attempt, Deployment, ModelEntry, RequestContext } from '../types.ts';
import { defaultThreshold, longestTtlMs, type CacheConfig } from './cache-config.ts';
import type { CacheKeys } from './cache-key.ts';
import { upstreamEmbedder, type Embedder } from './semantic/embedder.ts';
import { localEmbedder } from './semantic/local-embedder.ts';
import { staticEmbedder } from './semantic/static-embedder.ts';
import { model2vecEmbedder } from './semantic/model2vec-embedder.ts';
import { DEFAULT_GUARDS } from './semantic/precision-guards.ts';
import { sameQuestionMessages, saysSame } from './semantic/same-question-prompt.ts';
import { SemanticCache, type SameQuestionVerifier, type SemanticIndexStore } from './semantic/semantic-cache.ts';

/**
 * The request whose lookup is running, so that embedding and verifier calls made deep inside the
 * shared SemanticCache are charged to it as `attempts` (purpose 'embedding' / 'verifier').
 */
export const chargeScope = new AsyncLocalStorage<RequestContext>();

export interface SemanticWiring {
  config: CacheConfig;
  models: Map<string, ModelEntry>;
  store: KeyValueStore;
  keys: CacheKeys;
  logger?: Logger;
  /** Per-call timeout for embedding and verifier calls. */
  timeoutMs: number;
}

/**
 * Builds the semantic cache the config asks for, or `undefined` when it is off everywhere.
 * Throws at startup when `embedder` or `verifier` names a model that is not configured.
 */
export function buildSemanticCache(wiring: SemanticWiring): SemanticCache | undefined {
  const semantic = wiring.config.semantic;
  const anyOverrideOn = Object.values(wiring.config.overrides).some((override) => override.semantic?.enabled === true);
  if (semantic.enabled === 'off' && !anyOverrideOn) return undefined;
  const ttlMs = longestTtlMs(wiring.config);
  const indexStore: SemanticIndexStore = {
    get: (namespace) => wiring.store.get(wiring.keys.semanticIndex(namespace)),
    // String stores hold the index base64-encoded; VectorIndex.load accepts that text back.
    set: (namespace, bytes) => wiring.store.set(wiring.keys.semanticIndex(namespace), Buffer.from(bytes).toString('base64'), { ttlMs }),
    // A small token beside each index, so replicas sharing the store notice each other's writes.
    getVersion: (namespace) => wiring.store.get(wiring.keys.semanticIndexVersion(namespace)),
    setVersion: (namespace, version) => wiring.store.set(wiring.keys.semanticIndexVersion(namespace), version, { ttlMs }),
    getPurgeGeneration: () => wiring.store.get(wiring.keys.purgeGeneration()),
  };
  return new SemanticCache({
    embedder: buildEmbedder(wiring),
    guards: semantic.guards ? DEFAULT_GUARDS : [],
    verifier: semantic.verifier ? buildVerifier(wiring, semantic.verifier.model) : undefined,
    store: indexStore,
    capacityPerNamespace: semantic.capacity_per_namespace,
    syncIntervalMs: semantic.sync_interval_ms,
    defaultThreshold: semantic.threshold ?? (typeof semantic.embedder === 'string' ? defaultThreshold(semantic) : undefined),
    onProblem: (problem) => wiring.logger?.warn({ namespace: problem.namespace, problem: problem.message }, 'semantic cache problem (treated as a miss)'),
  });
}

/**
 * The configured embedder: `local`, `static` or `model2vec` (weights loaded now, so a missing or
 * corrupt file fails startup with the file's name), or the upstream embeddings model (its calls charged to the
 * request in scope).
 */
export function buildEmbedder(wiring: Pick<SemanticWiring, 'config' | 'models' | 'timeoutMs'>): Embedder {
  const { embedder, static_weights: weightsPath } = wiring.config.semantic;
  if (embedder === 'local') return localEmbedder();
  if (embedder === 'static') {
    // The config schema refuses `static` without `static_weights`; this guards hand-built configs.
    if (weightsPath === undefined) throw new Error('cache.semantic.embedder `static` needs cache.semantic.static_weights');
    return staticEmbedder({ weightsPath });
  }
  if (embedder === 'model2vec') {
    const modelDir = wiring.config.semantic.model_dir;
    if (modelDir === undefined) throw new Error('cache.semantic.embedder `model2vec` needs cache.semantic.model_dir');
    return model2vecEmbedder({ modelDir });
  }
  return buildUpstreamEmbedder(wiring, embedder);
}

function requireModel(wiring: Pick<SemanticWiring, 'models'>, name: string, role: string): ModelEntry {
  const model = wiring.models.get(name);
  if (!model) throw new Error(`cache.semantic.${role} names the model '${name}', which is not in \`models\``);
  return model;
}

function buildUpstreamEmbedder(wiring: Pick<SemanticWiring, 'models' | 'timeoutMs'>, settings: { model: string; dimensions: number }): Embedder {
  const model = requireModel(wiring, settings.model, 'embedder.model');
  return upstreamEmbedder(
    async (texts) => {
      let lastError: unknown = new Error(`the model '${model.name}' has no deployment that serves embeddings`);
      for (const deployment of model.deployments) {
        if (!deployment.provider.embed) continue;
        const started = performance.now();
        try {
          const reply = await deployment.provider.embed({ model: deployment.upstreamModel, input: texts }, callOptions(wiring));
          const usage = { ...zeroUsage(), inputTokens: reply.usage?.prompt_tokens ?? 0 };
          const costNano = deployment.price ? costOf(deployment.price, usage) : 0;
          charge({ ...attemptBase(model, deployment, 'embedding', started), status: 'ok', usage, costNano });
          const rows = [...reply.data].sort((left, right) => left.index - right.index);
          return { vectors: rows.map((row) => decodeEmbedding(row.embedding)), costNano };
        } catch (error) {
          lastError = error;
          charge({ ...attemptBase(model, deployment, 'embedding', started), status: 'error', error: (error as Error).message, costNano: 0 });
        }
      }
      throw lastError;
    },
    { id: settings.model, dimensions: settings.dimensions },
  );
}

function buildVerifier(wiring: SemanticWiring, name: string): SameQuestionVerifier {
  const model = requireModel(wiring, name, 'verifier.model');
  return async (storedQuestion, incomingQuestion) => {
    const deployment = model.deployments[0];
    const started = performance.now();
    try {
      const { response } = await deployment.provider.chat(
        {
          model: deployment.upstreamModel,
          temperature: 0,
          max_tokens: 3,
          messages: sameQuestionMessages(storedQuestion, incomingQuestion),
        },
        callOptions(wiring),
      );
      const usage = response.usage ? usageFromOpenAI(response.usage) : zeroUsage();
      const costNano = deployment.price ? costOf(deployment.price, usage) : 0;
      charge({ ...attemptBase(model, deployment, 'verifier', started), status: 'ok', usage, costNano });
      return { same: saysSame(response.choices[0]?.message.content ?? ''), costNano };
    } catch (error) {
      charge({ ...attemptBase(model, deployment, 'verifier', started), status: 'error', error: (error as Error).message, costNano: 0 });
      throw error;
    }
  };
}

function callOptions(wiring: Pick<SemanticWiring, 'timeoutMs'>) {
  return { signal: chargeScope.getStore()?.signal ?? new AbortController().signal, timeoutMs: wiring.timeoutMs };
}

function attemptBase(model: ModelEntry, deployment: Deployment, purpose: Attempt['purpose'], started: number) {
  return { provider: deployment.provider.name, model: model.name, upstreamModel: deployment.upstreamModel, purpose, latencyMs: Math.round(performance.now() - started) };
}

function charge(attempt: Attempt): void {
  chargeScope.getStore()?.attempts.push(attempt);
}

/** OpenAI returns float arrays, or base64 little-endian float32 when asked for `encoding_format: base64`. */
function decodeEmbedding(embedding: number[] | string): number[] {
  if (Array.isArray(embedding)) return embedding;
  // Copied into a fresh buffer: a pooled Buffer's offset need not be 4-byte aligned.
  const bytes = Uint8Array.from(Buffer.from(embedding, 'base64'));
  return Array.from(new Float32Array(bytes.buffer, 0, Math.floor(bytes.byteLength / 4)));
}
