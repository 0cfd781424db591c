/**
 * A config error that names where the problem is and what was expected. In a module of its own, with
 * no imports, so the CLI can recognise it without loading the config loader (re-exported there).
 */
export class ConfigError extends Error {
  readonly issues: string[];
  constructor(source: string, issues: string[]) {
    super(`Invalid config (${source}):\n  - ${issues.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
