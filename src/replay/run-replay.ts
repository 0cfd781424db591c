import type { FrugalConfig } from '../config/schema.ts';
import { isReplayIssue, parseReplayLine } from './replay-entry.ts';
import { buildReplayGateway } from './replay-gateway.ts';
import type { ReplayOutcomes } from './replay-outcomes.ts';
import { replayExchange, replayRecordedLine, type BatchTag } from './replay-request.ts';
import { ReplayTotals, type RequestDecision } from './replay-totals.ts';

export interface ReplayOptions {
  /** The user's config (loaded and validated); replay runs it in memory. */
  config: FrugalConfig;
  outcomes?: ReplayOutcomes;
  /** Traffic that would be sent as batches: requests carrying any of these tags. */
  batchTags?: readonly BatchTag[];
  /** Called after each line (progress bars). */
  onLine?: (line: number) => void;
}

/** A finished replay: exact totals, every request's decision, and what had to be assumed. */
export interface ReplayReport {
  totals: ReplayTotals;
  decisions: RequestDecision[];
  assumptions: string[];
  /** Lines read, blank ones included. */
  lines: number;
}

/** Notes gathered while replaying, turned into the printed assumptions. */
interface ReplayNotes {
  assumedSameRequests: number;
  assumedSameModels: Set<string>;
  verdicts: number;
  failingVerdicts: number;
  sideCalls: number;
  batchWithoutApi: number;
  loggedUsageMissing: number;
  firstTimestamp?: number;
  lastTimestamp?: number;
}

/**
 * Replays logged traffic (JSONL lines, in log order) through the configured pipeline with no
 * upstream calls. Requests go one at a time so the cache sees them in the order the log has them.
 * Every line ends up either in the totals or in the issues with its number: nothing is dropped.
 */
export async function runReplay(lines: AsyncIterable<string> | Iterable<string>, options: ReplayOptions): Promise<ReplayReport> {
  const replay = await buildReplayGateway(options.config, options.outcomes);
  const totals = new ReplayTotals();
  const decisions: RequestDecision[] = [];
  const notes: ReplayNotes = { assumedSameRequests: 0, assumedSameModels: new Set(), verdicts: 0, failingVerdicts: 0, sideCalls: 0, batchWithoutApi: 0, loggedUsageMissing: 0 };
  let lineNumber = 0;
  try {
    for await (const text of lines) {
      lineNumber += 1;
      const parsed = parseReplayLine(text, lineNumber);
      if (parsed !== undefined) {
        if (isReplayIssue(parsed)) totals.skip(parsed);
        else {
          const result = parsed.kind === 'ledger' ? replayRecordedLine(parsed.record, lineNumber) : await replayExchange(parsed, { ...replay, batchTags: options.batchTags ?? [] });
          if ('issue' in result) totals.skip(result.issue);
          else {
            totals.add(result.decision);
            decisions.push(result.decision);
            if (result.batchWithoutApi) notes.batchWithoutApi += 1;
            if (result.turn) {
              const { turn } = result;
              if (turn.assumedSame.size > 0) notes.assumedSameRequests += 1;
              for (const model of turn.assumedSame) notes.assumedSameModels.add(model);
              notes.verdicts += turn.verdicts.size;
              for (const passes of turn.verdicts.values()) if (!passes) notes.failingVerdicts += 1;
              notes.sideCalls += turn.sideCalls;
              if (!turn.entry.response.usage) notes.loggedUsageMissing += 1;
              const time = turn.entry.timestamp;
              if (time !== undefined) {
                notes.firstTimestamp = Math.min(notes.firstTimestamp ?? time, time);
                notes.lastTimestamp = Math.max(notes.lastTimestamp ?? time, time);
              }
            }
          }
        }
      }
      options.onLine?.(lineNumber);
    }
  } finally {
    await replay.close();
  }
  return { totals, decisions, assumptions: assumptionsOf(totals, notes, options), lines: lineNumber };
}

function assumptionsOf(totals: ReplayTotals, notes: ReplayNotes, options: ReplayOptions): string[] {
  const assumptions = [
    'No upstream call was made: every answer is the logged answer, replayed.',
    'Output tokens of an answer = the logged completion tokens (an outcomes file\'s output_tokens or response length, where it gives one).',
    'Input tokens = the logged prompt tokens, plus or minus what the pipeline changed in the request (counted with the o200k tokenizer), so compression shows and an unchanged request costs what it did.',
    'Cost before = the logged usage at the requested model\'s price (or the log\'s cost_usd). Cost after = every call the pipeline would make (rejected cascade tiers, judges, summaries too), from the ledger.',
    'Provider prompt-cache reads are counted only where the log reports them, and only for the logged model.',
    'Requests are replayed one at a time in log order: the cache sees repeats as they came; concurrent duplicates (coalescing) are not modelled. Budgets and rate limits are not applied.',
  ];
  if (notes.loggedUsageMissing > 0) assumptions.push(`${notes.loggedUsageMissing} logged response(s) had no usage: their tokens were counted with the o200k tokenizer (estimates).`);
  if (notes.assumedSameRequests > 0) {
    const models = [...notes.assumedSameModels].sort().join(', ');
    const hint = options.outcomes ? 'the outcomes file has no score for them' : 'give --outcomes FILE with measured scores to replace this assumption';
    assumptions.push(`QUALITY NOT KNOWN OFFLINE: in ${notes.assumedSameRequests} request(s) a model other than the logged one (${models}) answered; its answer is assumed as good as the logged one (${hint}).`);
  }
  if (options.outcomes) {
    assumptions.push(`Outcomes file: ${options.outcomes.size} prompt(s), scores on ${options.outcomes.scale}; an answer scoring below ${options.outcomes.passScore} (on 0..1) fails — it is replayed as an empty answer so the cascade's checks escalate. ${notes.verdicts} scored answer(s) used, ${notes.failingVerdicts} failing.`);
  }
  if (totals.servedFailing > 0) assumptions.push(`${totals.servedFailing} request(s) were served by a model whose outcome scores below the pass score: those savings cost quality.`);
  if (notes.sideCalls > 0) assumptions.push(`${notes.sideCalls} side call(s) (judge, verifier or summary) were answered with the logged text; their cost is counted, their verdicts are not meaningful.`);
  if ((options.batchTags ?? []).length > 0) {
    const tags = options.batchTags!.map((tag) => (tag.value === undefined ? tag.key : `${tag.key}=${tag.value}`)).join(', ');
    assumptions.push(`Batchable traffic (${tags}): ${totals.batched} request(s) priced at their model's batch multiplier on providers with a batch API (results arrive within 24 h instead of seconds).`);
    if (notes.batchWithoutApi > 0) assumptions.push(`${notes.batchWithoutApi} batchable request(s) got no discount: their provider has no batch API (Frugal's own workers run such batches at full price).`);
  }
  const ttlMs = options.config.cache.ttl_seconds * 1000;
  if (notes.firstTimestamp !== undefined && notes.lastTimestamp !== undefined && notes.lastTimestamp - notes.firstTimestamp > ttlMs) {
    assumptions.push(`The log spans ${Math.round((notes.lastTimestamp - notes.firstTimestamp) / 3_600_000)} h, longer than the cache TTL (${options.config.cache.ttl_seconds} s): replay does not expire entries, so cache hits may be overstated.`);
  }
  if (totals.recorded > 0) assumptions.push(`${totals.recorded} line(s) are Frugal ledger records: they hold no message text, so they are summarized as recorded (cost and savings as Frugal measured them), not re-simulated.`);
  if (totals.byLever.has('other')) assumptions.push('"other" is the part of before − after the pipeline did not attribute to a lever: the logged cost differs from the price book\'s price for the same usage (a logged cost_usd, or provider prompt caching already in the log).');
  return assumptions;
}
