import type { Gateway } from '../../gateway/build-gateway.ts';
import type { Stage } from '../types.ts';
import { createCompressStage } from './compress-stage.ts';
import { modelSummarizer } from './model-summarizer.ts';
import { createSummaryCompressor, memoStoreFromKeyValue } from './summary-compressor.ts';

/**
 * The compress stage for a gateway: settings from `compression:`, summaries written by
 * `compression.summary_model` and memoized in the gateway's cache store (shared by replicas on Redis).
 */
export function createGatewayCompressStage(gateway: Omit<Gateway, 'pipeline'>): Stage {
  const settings = gateway.config.compression;
  const model = settings.summary_model ? gateway.models.get(settings.summary_model) : undefined;
  if (!model) return createCompressStage({ settings });
  const deployment = model.deployments[0];
  return createCompressStage({
    settings,
    summary: createSummaryCompressor({
      store: memoStoreFromKeyValue(gateway.stores.cache),
      summarize: modelSummarizer(model, gateway.config.retry.timeout_ms),
      summarizerId: model.name,
    }),
    summaryModel: { provider: deployment.provider.name, model: model.name, upstreamModel: deployment.upstreamModel },
  });
}
