/**
 * The config Frugal runs with when no config file is given. Every model of the seeds' price list
 * exists; each is served by a real provider when its key is in the environment, and by the offline
 * `simulated` provider otherwise (labelled simulated everywhere).
 */
type Env = Record<string, string | undefined>;

interface SeedModel {
  name: string;
  /** USD per 1M tokens (input, output). */
  input: string;
  output: string;
  /** Chat models serve chat only; embedding models POST /v1/embeddings only (and no route picks them). */
  kind: 'chat' | 'embedding';
  real?: { env: string; provider: string; upstream: string };
}

const seedModels: SeedModel[] = [
  { name: 'gpt-4o', input: '2.50', output: '10.00', kind: 'chat', real: { env: 'OPENAI_API_KEY', provider: 'openai', upstream: 'gpt-4o' } },
  { name: 'gpt-4o-mini', input: '0.15', output: '0.60', kind: 'chat', real: { env: 'OPENAI_API_KEY', provider: 'openai', upstream: 'gpt-4o-mini' } },
  { name: 'deepseek-v4-flash', input: '0.25', output: '0.25', kind: 'chat', real: { env: 'DEEPSEEK_API_KEY', provider: 'deepseek', upstream: 'deepseek-chat' } },
  { name: 'qwen3-8b', input: '0.01', output: '0.01', kind: 'chat', real: { env: 'DASHSCOPE_API_KEY', provider: 'qwen', upstream: 'qwen3-8b' } },
  { name: 'deepseek-coder', input: '0.25', output: '0.25', kind: 'chat', real: { env: 'DEEPSEEK_API_KEY', provider: 'deepseek', upstream: 'deepseek-chat' } },
  { name: 'qwen3-32b', input: '0.28', output: '0.28', kind: 'chat', real: { env: 'DASHSCOPE_API_KEY', provider: 'qwen', upstream: 'qwen3-32b' } },
  { name: 'qwen-mt-turbo', input: '0.30', output: '0.30', kind: 'chat', real: { env: 'DASHSCOPE_API_KEY', provider: 'qwen', upstream: 'qwen-mt-turbo' } },
  { name: 'deepseek-reasoner', input: '2.50', output: '2.50', kind: 'chat', real: { env: 'DEEPSEEK_API_KEY', provider: 'deepseek', upstream: 'deepseek-reasoner' } },
  // OpenAI's embedding models (input tokens only), so an app that embeds needs no config either.
  { name: 'text-embedding-3-small', input: '0.02', output: '0', kind: 'embedding', real: { env: 'OPENAI_API_KEY', provider: 'openai', upstream: 'text-embedding-3-small' } },
  { name: 'text-embedding-3-large', input: '0.13', output: '0', kind: 'embedding', real: { env: 'OPENAI_API_KEY', provider: 'openai', upstream: 'text-embedding-3-large' } },
];

/**
 * A real provider also serves the names of its own family that the seeds do not list (`models` patterns:
 * gpt-4.1-mini, o3, claude-opus-4-1, deepseek-chat…), priced from the price book, so an app that only
 * changes its baseURL keeps working. The simulated provider gets no patterns: it serves the seeds only.
 */
const realProviders: Record<string, { env: string; config: Record<string, unknown> }> = {
  openai: { env: 'OPENAI_API_KEY', config: { type: 'openai', models: ['gpt-*', 'o1*', 'o3*', 'o4*', 'chatgpt-*', 'text-embedding-*'] } },
  anthropic: { env: 'ANTHROPIC_API_KEY', config: { type: 'anthropic', models: ['claude-*'] } },
  deepseek: {
    env: 'DEEPSEEK_API_KEY',
    config: { type: 'openai-compatible', base_url: 'https://api.deepseek.com/v1', price_family: 'deepseek', models: ['deepseek-*'] },
  },
  qwen: {
    env: 'DASHSCOPE_API_KEY',
    config: { type: 'openai-compatible', base_url: 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1', price_family: 'alibaba', models: ['qwen*'] },
  },
};

/** The seeds' task map over the seed models (docs/routing.md); savings are measured against gpt-4o. */
const autoRoute = {
  description: 'cheapest seed model per task class',
  baseline: 'gpt-4o',
  tasks: {
    chat: 'deepseek-v4-flash',
    code: 'deepseek-coder',
    classification: 'qwen3-8b',
    summarization: 'qwen3-32b',
    translation: 'qwen-mt-turbo',
    reasoning: 'deepseek-reasoner',
    math: 'deepseek-reasoner',
    creative: 'deepseek-v4-flash',
  },
};

export function defaultConfig(env: Env): Record<string, unknown> {
  const providers: Record<string, Record<string, unknown>> = {};
  for (const [name, provider] of Object.entries(realProviders)) {
    const key = env[provider.env];
    if (key) providers[name] = { ...provider.config, api_key: key };
  }
  const models: Record<string, Record<string, unknown>> = {};
  let needsSimulated = false;
  for (const seed of seedModels) {
    const price = { input: seed.input, output: seed.output };
    if (seed.real && providers[seed.real.provider]) {
      models[seed.name] = { provider: seed.real.provider, upstream_model: seed.real.upstream, price, kind: seed.kind };
    } else {
      models[seed.name] = { provider: 'simulated', price, kind: seed.kind };
      needsSimulated = true;
    }
  }
  if (providers.anthropic) {
    // Anthropic's models are priced from the maintained price table (genai-prices).
    models['claude-sonnet-4-5'] = { provider: 'anthropic', upstream_model: 'claude-sonnet-4-5', kind: 'chat' };
    models['claude-haiku-4-5'] = { provider: 'anthropic', upstream_model: 'claude-haiku-4-5', kind: 'chat' };
  }
  if (needsSimulated) {
    providers.simulated = {
      type: 'simulated',
      simulate: { latency_ms: { default: 40, 'gpt-4o': 120, 'deepseek-reasoner': 300 }, chunk_delay_ms: 5 },
    };
  }
  const config: Record<string, unknown> = { providers, models, routes: { auto: autoRoute } };
  if (env.FRUGAL_API_KEYS) config.auth = { keys: env.FRUGAL_API_KEYS.split(',').map((key) => key.trim()).filter(Boolean) };
  return config;
}
