import { FrugalError } from '../errors/frugal-error.ts';
import type { Gateway } from '../gateway/build-gateway.ts';
import { costOf } from '../pricing/price-book.ts';
import type { Nano } from '../pricing/money.ts';
import { usageFromOpenAI, type TokenUsage } from '../pricing/usage.ts';
import { createRequestContext } from '../server/request-context.ts';
import { resolveModel } from '../server/resolve-model.ts';
import type { LedgerRecord } from '../store/types.ts';
import { countChatTokens, countTextTokens } from '../tokens/count-tokens.ts';
import { newTurn, ReplayAdapter, withTurn, type ReplayTurn } from './replay-adapter.ts';
import type { ReplayEntry, ReplayIssue } from './replay-entry.ts';
import type { ReplayLever, RequestDecision } from './replay-totals.ts';

type Exchange = Extract<ReplayEntry, { kind: 'exchange' }>;

/** A tag filter for batchable traffic: `feature=reports` (exact), or `feature` (any value). */
export interface BatchTag {
  key: string;
  value?: string;
}

export interface ReplayRequestOptions {
  gateway: Gateway;
  records: Map<string, LedgerRecord>;
  batchTags: readonly BatchTag[];
}

/** A replayed request and the turn's notes (for the assumptions), or why it was skipped. */
export type ReplayRequestResult = { decision: RequestDecision; turn?: ReplayTurn; batchWithoutApi?: boolean } | { issue: ReplayIssue };

/** The logged usage; when the log has none, counted with the tokenizer (an estimate). */
export function loggedUsage(entry: Exchange): TokenUsage {
  if (entry.response.usage) return usageFromOpenAI(entry.response.usage);
  const message = entry.response.choices[0].message;
  return {
    inputTokens: countChatTokens(entry.request),
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: countTextTokens(message.content ?? JSON.stringify(message.tool_calls ?? '')),
    estimated: true,
  };
}

/** What the logged call cost: the log's own figure, else its usage at the requested (else the responding) model's price. */
export function loggedCostNano(entry: Exchange, gateway: Gateway): Nano | undefined {
  if (entry.loggedCostNano !== undefined) return entry.loggedCostNano;
  // A request for a route (or an alias) was served by the model the response names: price that one.
  const priced = [entry.request.model, entry.response.model].map((name) => gateway.models.get(name)?.price ?? gateway.priceBook.lookup(name));
  const price = priced.find((candidate) => candidate !== undefined);
  return price ? costOf(price, loggedUsage(entry)) : undefined;
}

export function isBatchable(tags: Record<string, string>, batchTags: readonly BatchTag[]): boolean {
  return batchTags.some((tag) => tag.key in tags && (tag.value === undefined || tags[tag.key] === tag.value));
}

/**
 * The batch discount on a record's calls: each priced at its deployment's batch multiplier, where
 * the real provider sells a batch API (elsewhere Frugal's own workers run batches at full price).
 */
function batchDiscount(record: LedgerRecord, gateway: Gateway): { savedNano: Nano; withoutApi: boolean } {
  let savedNano = 0;
  let withoutApi = false;
  for (const attempt of record.attempts) {
    if (!attempt.usage) continue;
    const deployment = gateway.models.get(attempt.model)?.deployments.find((candidate) => candidate.provider.name === attempt.provider && candidate.upstreamModel === attempt.upstreamModel);
    if (!deployment?.price) continue;
    if (!(deployment.provider instanceof ReplayAdapter) || !deployment.provider.hasBatchApi) {
      withoutApi = true;
      continue;
    }
    savedNano += attempt.costNano - costOf(deployment.price, attempt.usage, { batch: true });
  }
  return { savedNano, withoutApi };
}

function decisionFromRecord(record: LedgerRecord, line: number, source: RequestDecision['source'], costBeforeNano: Nano): RequestDecision {
  const tierAttempt = [...record.attempts].reverse().find((attempt) => attempt.status === 'ok' && attempt.tier !== undefined);
  const compression = record.trace.find((decision) => decision.stage === 'compress' && typeof decision.data?.before === 'number');
  const removedFromTrace = compression ? Number(compression.data!.before) - Number(compression.data!.after ?? compression.data!.before) : 0;
  return {
    line,
    source,
    requestedModel: record.requestedModel,
    route: record.route,
    task: record.task,
    tier: tierAttempt?.tier ?? null,
    servedModel: record.servedModel,
    cacheStatus: record.cacheStatus,
    tokensRemoved: Math.max(0, removedFromTrace),
    batched: false,
    calls: record.attempts.length,
    tags: record.tags,
    costBeforeNano,
    costAfterNano: record.costNano,
    savingsNano: { ...record.savingsNano },
    servedFailing: false,
  };
}

/** Balances the levers against before − after: the remainder is `other` (see ReplayLever). */
function balance(decision: RequestDecision): void {
  let attributed = 0;
  for (const nano of Object.values(decision.savingsNano)) attributed += nano ?? 0;
  const other = decision.costBeforeNano - decision.costAfterNano - attributed;
  if (other !== 0) decision.savingsNano.other = other;
}

/** A ledger export line: already through Frugal's pipeline, so taken as recorded. */
export function replayRecordedLine(record: LedgerRecord, line: number): ReplayRequestResult {
  const decision = decisionFromRecord(record, line, 'recorded', record.baselineCostNano);
  balance(decision);
  return { decision };
}

/**
 * Runs one logged exchange through the gateway's real pipeline with the replay adapters answering,
 * then prices the decision from the ledger record the account stage wrote.
 */
export async function replayExchange(entry: Exchange, options: ReplayRequestOptions): Promise<ReplayRequestResult> {
  const { gateway, records } = options;
  const { line, request } = entry;
  const principal = { tenant: entry.tenant ?? 'default', keyId: null, tags: entry.tags };
  const requestId = `replay_${line}`;
  const context = createRequestContext({
    requestId,
    principal,
    headers: {},
    requestedModel: request.model,
    protocol: 'openai',
    endpoint: 'chat',
    // Streaming changes how an answer travels, not what it costs: replay asks for whole answers.
    stream: false,
    clientWantsUsage: false,
    signal: new AbortController().signal,
    user: request.user,
  });
  try {
    resolveModel(gateway, context, principal);
  } catch (error) {
    const message = error instanceof FrugalError ? error.message : String(error);
    return { issue: { line, kind: 'unknown_model', message } };
  }
  const costBeforeNano = loggedCostNano(entry, gateway);
  if (costBeforeNano === undefined) {
    return { issue: { line, kind: 'unpriced', message: `no price known for the logged model '${request.model}': add a price for it in config, or cost_usd to the log line` } };
  }
  const turn = newTurn(entry);
  const body = { ...request, stream: false, stream_options: undefined };
  try {
    const outcome = await withTurn(turn, () => gateway.pipeline(body, context));
    if (outcome.kind === 'stream') for await (const _chunk of outcome.stream);
  } catch (error) {
    records.delete(requestId);
    const message = error instanceof Error ? error.message : String(error);
    return { issue: { line, kind: 'failed', message: `the pipeline refused or failed this request: ${message}` } };
  }
  const record = records.get(requestId);
  records.delete(requestId);
  if (!record) return { issue: { line, kind: 'failed', message: 'the pipeline wrote no ledger record for this request' } };
  const decision = decisionFromRecord(record, line, 'simulated', costBeforeNano);
  if (context.compression) decision.tokensRemoved = Math.max(0, context.compression.before - context.compression.after);
  if (context.tier !== undefined && decision.tier === null) decision.tier = context.tier;
  let batchWithoutApi = false;
  if (isBatchable(decision.tags, options.batchTags) && record.status === 'ok' && record.attempts.length > 0) {
    const discount = batchDiscount(record, gateway);
    batchWithoutApi = discount.withoutApi;
    if (discount.savedNano > 0) {
      decision.batched = true;
      decision.costAfterNano -= discount.savedNano;
      decision.savingsNano.batch = (decision.savingsNano.batch ?? 0) + discount.savedNano;
    }
  }
  if (record.servedModel && turn.verdicts.get(record.servedModel) === false) decision.servedFailing = true;
  balance(decision);
  return { decision, turn, batchWithoutApi };
}

export type { ReplayLever };
