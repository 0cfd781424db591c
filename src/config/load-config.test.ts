import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfigText } from './load-config.ts';

const valid = `
providers:
  global: { type: openai-compatible, base_url: https://example.test/v1, api_key: \${GLOBAL_API_KEY} }
  other: { type: openai-compatible, base_url: https://other.test/v1 }
models:
  qwen3-8b: { provider: global, upstream_model: Qwen/Qwen3-8B, price: { input: 0.01, output: 0.01 } }
  deepseek-v4-flash:
    deployments:
      - { provider: global, upstream_model: deepseek-v4-flash }
      - { provider: other, upstream_model: deepseek-chat }
`;

describe('config', () => {
  it('parses the documented example and interpolates ${ENV}', () => {
    const config = parseConfigText(valid, 'frugal.config.yaml', { GLOBAL_API_KEY: 'sk-from-env' });
    expect(config.providers.global.api_key).toBe('sk-from-env');
    expect(config.models['deepseek-v4-flash'].deployments).toHaveLength(2);
    expect(config.server.port).toBe(8787);
  });

  it('names the missing environment variable and where it is used', () => {
    expect(() => parseConfigText(valid, 'f.yaml', {})).toThrow(/providers\.global\.api_key: environment variable GLOBAL_API_KEY is not set/);
  });

  it('allows an empty default with ${VAR:-}', () => {
    const config = parseConfigText(valid.replace('${GLOBAL_API_KEY}', '${GLOBAL_API_KEY:-}'), 'f.yaml', {});
    expect(config.providers.global.api_key).toBe('');
  });

  it('names the path, the line and what was expected', () => {
    const text = 'providers:\n  p: { type: openai }\nmodels:\n  m:\n    provider: p\n    price: { input: cheap, output: 1 }\n';
    try {
      parseConfigText(text, 'f.yaml', {});
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toContain('models.m.price.input');
      expect(message).toContain('line 6');
      expect(message).toContain('expected a decimal number such as 0.15');
    }
  });

  it('rejects unknown keys, unknown providers and bad rewrites', () => {
    expect(() => parseConfigText('providers: {}\nmodles: {}\n', 'f.yaml', {})).toThrow(/unknown key\(s\) 'modles'/);
    expect(() => parseConfigText('models:\n  m: { provider: nowhere }\n', 'f.yaml', {})).toThrow(/models\.m\.provider: unknown provider 'nowhere'/);
    expect(() => parseConfigText('providers:\n  p: { type: simulated }\nmodels:\n  m: { provider: p }\nrewrite: { gpt-4o: nothing }\n', 'f.yaml', {})).toThrow(/rewrite\.gpt-4o/);
    expect(() => parseConfigText('providers:\n  p: { type: openai-compatible }\n', 'f.yaml', {})).toThrow(/base_url: required/);
  });

  it('reports YAML syntax errors', () => {
    expect(() => parseConfigText('providers: [unclosed', 'f.yaml', {})).toThrow(ConfigError);
  });

  it('without a file: simulated seed models, real providers for keys in the environment', () => {
    const offline = loadConfig({ env: {}, cwd: '/nonexistent' });
    expect(offline.source).toBe('defaults');
    expect(offline.config.models['qwen3-8b']).toMatchObject({ provider: 'simulated', price: { input: '0.01', output: '0.01' } });
    expect(offline.config.models['gpt-4o'].price).toMatchObject({ input: '2.50', output: '10.00' });
    const withOpenAI = loadConfig({ env: { OPENAI_API_KEY: 'sk-x' }, cwd: '/nonexistent' });
    expect(withOpenAI.config.models['gpt-4o']).toMatchObject({ provider: 'openai', upstream_model: 'gpt-4o' });
    expect(withOpenAI.config.models['qwen3-8b'].provider).toBe('simulated');
  });
});
