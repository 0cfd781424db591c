/**
 * Provider model patterns (`providers.<name>.models`): the model names a provider serves without a
 * `models:` entry. The pattern language is deliberately tiny: `*` matches any run of characters (none
 * included, `/` included), every other character is literal, and matching is case-sensitive and whole-name.
 * `?`, `[`, `]`, `{`, `}` and `!` are refused rather than read as glob syntax, so a pattern never means
 * something other than what it looks like. (Not picomatch: it is only a transitive dev dependency here, and
 * its path rules — `*` stops at `/`, leading dots are special — are wrong for names like `meta-llama/llama-3`.)
 */

const compiled = new Map<string, RegExp>();

/** Why `pattern` is not a valid model pattern, or undefined when it is. */
export function modelPatternIssue(pattern: string): string | undefined {
  if (pattern.length === 0) return "a model pattern cannot be empty (write 'gpt-*', or '*' for every name)";
  if (/\s/.test(pattern)) return `model pattern '${pattern}' contains whitespace`;
  const special = /[?[\]{}!]/.exec(pattern);
  if (special) return `model pattern '${pattern}': '${special[0]}' is not supported; only '*' (any run of characters) is a wildcard, everything else is literal`;
  return undefined;
}

/** True when `name` matches `pattern` as a whole. */
export function matchesModelPattern(pattern: string, name: string): boolean {
  let regex = compiled.get(pattern);
  if (!regex) {
    regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
    compiled.set(pattern, regex);
  }
  return regex.test(name);
}

/**
 * The provider whose patterns claim `name`: the first provider in config order with a matching pattern,
 * and the first of its patterns that matches.
 */
export function providerForModelName(providers: Record<string, { models?: readonly string[] | undefined }>, name: string): { provider: string; pattern: string } | undefined {
  for (const [provider, config] of Object.entries(providers)) {
    const pattern = config.models?.find((candidate) => matchesModelPattern(candidate, name));
    if (pattern !== undefined) return { provider, pattern };
  }
  return undefined;
}

/** Every provider's patterns, for messages about names nothing serves (`openai: gpt-*, o3*`). */
export function describeModelPatterns(providers: Record<string, { models?: readonly string[] | undefined }>): string[] {
  return Object.entries(providers)
    .filter(([, config]) => (config.models?.length ?? 0) > 0)
    .map(([provider, config]) => `${provider}: ${config.models!.join(', ')}`);
}
