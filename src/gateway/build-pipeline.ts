import { compose } from '../pipeline/compose.ts';
import { createAccountStage } from '../pipeline/account/account-stage.ts';
import { budgetStageFor } from '../pipeline/budget/budget-stage.ts';
import { budgetGuardFor } from '../pipeline/budget/budget-guard.ts';
import { createGatewayCacheStage } from '../pipeline/cache/gateway-cache-stage.ts';
import { createCallHandler } from '../pipeline/call/call-handler.ts';
import { createGatewayCompressStage } from '../pipeline/compress/gateway-compress-stage.ts';
import { createRouteStage } from '../pipeline/route/route-stage.ts';
import { createCascadeStage } from '../pipeline/cascade/cascade-stage.ts';
import { ShadowEvaluator } from '../pipeline/cascade/shadow-evaluator.ts';
import { OutcomesStore } from '../pipeline/cascade/outcomes-store.ts';
import type { ChatHandler, Stage } from '../pipeline/types.ts';
import { createMicroBatchStage } from '../batch/micro-batch/micro-batch-stage.ts';
import type { Gateway } from './build-gateway.ts';

/**
 * The one place the stage order lives:
 *   account → budget → cache → compress → route → cascade → micro-batch → call (fallback, retry) → provider
 * account is outermost so that every outcome — hit, cascade, failure, abort — is recorded once.
 */
export function buildPipeline(gateway: Omit<Gateway, 'pipeline'>): ChatHandler {
  const { config } = gateway;
  const stages: Stage[] = [createAccountStage({ ledger: gateway.ledger, logger: gateway.logger }), budgetStageFor(gateway)];
  stages.push(createGatewayCacheStage(gateway));
  stages.push(createGatewayCompressStage(gateway));
  const shadow = new ShadowEvaluator({ ledger: gateway.ledger, outcomes: new OutcomesStore(gateway.dataDir), logger: gateway.logger, budget: budgetGuardFor(gateway) });
  // Background shadow evaluations finish (and are recorded) before the ledger closes.
  gateway.onClose(() => shadow.idle());
  stages.push(createRouteStage(gateway.routes), createCascadeStage({ shadow }));
  stages.push(createMicroBatchStage(config.batch.micro_batch));
  const call = createCallHandler({
    retry: {
      maxRetries: config.retry.max_retries,
      baseDelayMs: config.retry.base_delay_ms,
      maxDelayMs: config.retry.max_delay_ms,
      timeoutMs: config.retry.timeout_ms,
      maxRetryAfterMs: config.retry.max_retry_after_ms,
    },
    breakers: gateway.breakers,
  });
  return compose(stages, call);
}
