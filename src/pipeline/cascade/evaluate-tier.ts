import type { ChatRequest, ChatResponse } from '../../protocol/openai/chat-schema.ts';
import { countChatTokens } from '../../tokens/count-tokens.ts';
import type { ChatHandler, RequestContext } from '../types.ts';
import type { CompiledRoute } from '../route/route-stage.ts';
import { checkAnswer } from './answer-checks.ts';
import { answerText, attemptsOfFailure, callModel } from './call-model.ts';
import { callWorstCase, fitsUnderCap, spentNano } from './cost-cap.ts';
import { excerpt, gradeRequest, parseGrade } from './judge.ts';
import { loadUserCheck, runUserCheck } from './user-check.ts';
import { scoreAnswer } from './answer-verifier.ts';
import { requestTexts } from '../route/task-classifier.ts';

/** A tier answer's verdict: hard checks passed, and its score (0..1) against the tier threshold. */
export interface TierVerdict {
  pass: boolean;
  score: number;
  reasons: string[];
}

/** Tokens the judge's instructions add around the conversation and the answer. */
export const JUDGE_OVERHEAD_TOKENS = 160;

/**
 * Checks one tier's answer: the built-in checks (math included when on), the learned verifier (not on
 * the last tier), then the user's check module, then (except on the
 * last tier, whose answer is served anyway when it passes the hard checks) the LLM judge. The
 * judge's call is charged to the request as a `judge` attempt, and is skipped when its worst case
 * no longer fits under the cost cap (the answer then counts as unverified: score 0).
 */
export async function evaluateTier(
  next: ChatHandler,
  request: ChatRequest,
  response: ChatResponse,
  route: CompiledRoute,
  context: RequestContext,
  options: { judge: boolean; tier: number; last?: boolean },
): Promise<TierVerdict> {
  const verdict = checkAnswer(request, response, route.config.checks);
  if (!verdict.pass) return verdict;
  let score = verdict.score;
  const reasons = [...verdict.reasons];
  if (route.verifier && !options.last) {
    // The last tier's answer is served anyway: only answers that could still escalate are scored.
    const { system, user } = requestTexts(request.messages);
    const probability = scoreAnswer(route.verifier.verifier, [system, user].filter(Boolean).join('\n'), answerText(response));
    const detail = `verifier: P(as good as ${route.verifier.verifier.strong})=${probability.toFixed(3)}, needs ${Number(route.verifier.minScore.toFixed(3))}`;
    if (probability < route.verifier.minScore) return { pass: false, score: probability, reasons: [detail] };
    reasons.push(detail);
  }
  if (route.checkModule) {
    const user = await runUserCheck(await loadUserCheck(route.checkModule), request, response);
    if (!user.pass) return { pass: false, score: 0, reasons: [user.reason ?? 'check_module rejected the answer'] };
    score = Math.min(score, user.score);
  }
  if (route.judge && options.judge) {
    const judgeRequest = gradeRequest(request, answerText(response), route.judge.maxTokens);
    const worst = callWorstCase(route.judge.model, countChatTokens(judgeRequest), route.judge.maxTokens);
    if (!fitsUnderCap(spentNano(context.attempts), worst, context.maxCostNano)) {
      return { pass: true, score: 0, reasons: ['judge skipped: its worst case does not fit under the cost cap'] };
    }
    try {
      const graded = await callModel(next, judgeRequest, context, route.judge.model, 'judge');
      context.attempts.push(...graded.attempts.map((attempt) => ({ ...attempt, tier: options.tier })));
      const reply = answerText(graded.response);
      const grade = parseGrade(reply);
      if (grade === undefined) {
        reasons.push(`judge ${route.judge.model.name} gave no score: ${JSON.stringify(excerpt(reply, 120))}`);
        score = 0;
      } else {
        score = Math.min(score, grade);
        reasons.push(`judge ${route.judge.model.name}: ${(grade * 9 + 1).toFixed(0)}/10`);
      }
    } catch (error) {
      context.attempts.push(...attemptsOfFailure(error).map((attempt) => ({ ...attempt, tier: options.tier })));
      if (context.signal.aborted) throw error;
      reasons.push(`judge ${route.judge.model.name} failed: ${(error as Error)?.message ?? String(error)}`);
      score = 0;
    }
  }
  return { pass: true, score, reasons };
}

/** Upper bound of a judge call's prompt for an answer of up to `answerTokens`, before the answer exists. */
export function judgePromptBound(requestTokens: number, answerTokens: number): number {
  return requestTokens + answerTokens + JUDGE_OVERHEAD_TOKENS;
}
