import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError } from '../config/config-error.ts';
import { commandRegistrars } from './commands/index.ts';
import { formatTable } from './format-table.ts';

// Only what commander needs to parse and print --help is imported up front: each action imports its
// implementation (the gateway, providers, price book, …) when it runs, so `frugal --help` and every
// command start without loading the others' code.

function isPort(value: string): boolean {
  const port = Number(value);
  return value.trim() !== '' && Number.isInteger(port) && port >= 0 && port <= 65535;
}

function parsePort(value: string): number {
  if (!isPort(value)) throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return Number(value);
}

/** Why the listener could not start, in words, for the errors a user can fix; undefined for anything else. */
function listenFailure(error: unknown): string | undefined {
  switch ((error as { code?: string } | undefined)?.code) {
    case 'EADDRINUSE':
      return 'the address is already in use (another process, maybe another Frugal, listens there); choose another port with --port or PORT';
    case 'EACCES':
      return 'permission denied (ports below 1024 need privileges); choose another port with --port or PORT';
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return 'no such interface on this machine; check --host or HOST';
    default:
      return undefined;
  }
}

export function buildCli(): Command {
  const program = new Command('frugal')
    .description('Frugal — an OpenAI-compatible gateway that cuts LLM bills without losing answer quality')
    .version(packageVersion(), '-v, --version')
    .showHelpAfterError();

  program
    .command('serve')
    .description('run the gateway')
    .option('-c, --config <file>', 'config file (default: FRUGAL_CONFIG or ./frugal.config.yaml, else built-in defaults)')
    .option('-p, --port <port>', 'port (default: PORT or 8787)', parsePort)
    .option('--host <host>', 'interface to bind (default: HOST or 127.0.0.1)')
    .action(async (options: { config?: string; port?: number; host?: string }) => {
      const [{ loadConfig }, { unservableIssues }, { startFrugal }] = await Promise.all([import('../config/load-config.ts'), import('../config/servable.ts'), import('../main.ts')]);
      const { config, source } = loadConfig({ path: options.config });
      // A config with no model would start and answer every request 404: refuse it as `config check` does.
      const unservable = unservableIssues(config);
      if (unservable.length > 0) throw new ConfigError(source, unservable);
      const envPort = process.env.PORT;
      if (options.port === undefined && envPort && !isPort(envPort)) {
        console.error(`error: PORT is '${envPort}'; expected a port number from 0 to 65535`);
        process.exitCode = 2;
        return;
      }
      const port = options.port ?? (envPort ? Number(envPort) : config.server.port);
      const host = options.host ?? process.env.HOST ?? config.server.host;
      let running: Awaited<ReturnType<typeof startFrugal>>;
      try {
        running = await startFrugal({ config, configSource: source, port, host });
      } catch (error) {
        const reason = listenFailure(error);
        if (!reason) throw error;
        console.error(`error: cannot listen on ${host}:${port}: ${reason}`);
        process.exitCode = 1;
        return;
      }
      const { logger } = running.gateway;
      logger.info({ url: running.url, config: source, dataDir: running.gateway.dataDir }, `Frugal listening on ${running.url}`);
      const tunedYoungGeneration = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((flag) => flag.startsWith('--max-semi-space-size'));
      if (!tunedYoungGeneration) {
        logger.info('Node runs without --max-semi-space-size=32 (the frugal command and npm start pass it): expect 13–24% more CPU per request under load');
      }
      const simulated = [...running.gateway.models.values()].filter((model) => model.simulated).map((model) => model.name);
      if (simulated.length > 0) {
        logger.warn({ simulated }, `SIMULATED provider serves ${simulated.length} model(s): answers are offline stand-ins, not real model output. Set provider keys (OPENAI_API_KEY, ANTHROPIC_API_KEY, …) or a config file for real upstreams.`);
      }
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down: finishing in-flight requests and flushing the ledger');
        await running.close();
        logger.info('stopped');
        logger.flush?.();
        setTimeout(() => process.exit(0), 50).unref();
      };
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
    });

  const configCommand = program.command('config').description('work with config files');
  configCommand
    .command('check [file]')
    .description('validate a config file (and the weights and check files it names) and print what it defines')
    .action(async (file: string | undefined) => {
      const [{ loadConfig }, { checkConfigFiles }] = await Promise.all([import('../config/load-config.ts'), import('../gateway/check-config-files.ts')]);
      const { config, source } = loadConfig({ path: file });
      const { warnings } = await checkConfigFiles(config, source);
      console.log(`OK: ${source}${warnings.length > 0 ? ` (${warnings.length} warning${warnings.length === 1 ? '' : 's'})` : ''}`);
      console.log(`  providers: ${Object.keys(config.providers).join(', ') || 'none'}`);
      console.log(`  models:    ${Object.keys(config.models).join(', ') || 'none'}`);
      console.log(`  routes:    ${Object.keys(config.routes).join(', ') || 'none'}`);
      for (const warning of warnings) console.error(`warning: ${warning}`);
    });

  program
    .command('models')
    .description('list the models and routes the config defines, with prices per 1M tokens')
    .option('-c, --config <file>', 'config file')
    .action(async (options: { config?: string }) => {
      const [{ loadConfig }, { createProvider }, { buildModels }, { PriceBook }, { formatUsd }] = await Promise.all([
        import('../config/load-config.ts'),
        import('../providers/create-provider.ts'),
        import('../gateway/build-models.ts'),
        import('../pricing/price-book.ts'),
        import('../pricing/money.ts'),
      ]);
      const { config, source } = loadConfig({ path: options.config });
      const providers = new Map([...Object.entries(config.providers)].map(([name, provider]) => [name, createProvider(name, provider)] as const));
      const models = buildModels(config, providers, new PriceBook());
      console.log(`config: ${source}`);
      const rows = [...models.values()].map((model) => ({
        model: model.name,
        providers: model.deployments.map((deployment) => `${deployment.provider.name}:${deployment.upstreamModel}`).join(' → '),
        input: model.price ? formatUsd(Number(model.price.input)) : '?',
        output: model.price ? formatUsd(Number(model.price.output)) : '?',
        kind: model.kind ?? '',
        simulated: model.simulated ? 'yes' : '',
      }));
      console.log(formatTable(rows));
      const routes = Object.keys(config.routes);
      if (routes.length > 0) console.log(`routes: ${routes.join(', ')}`);
      // Names the config does not list, served by a provider whose patterns match them (priced from the price book).
      for (const [name, provider] of Object.entries(config.providers)) {
        if (provider.models?.length) console.log(`also served by ${name}: any priced name matching ${provider.models.join(', ')}`);
      }
      await Promise.all([...providers.values()].map((provider) => provider.close?.()));
    });

  for (const register of commandRegistrars) register(program);
  return program;
}

function packageVersion(): string {
  // Two folders up from src/cli (sources) or dist/src/cli (compiled build) is not the same place: walk up.
  for (let folder = dirname(fileURLToPath(import.meta.url)); folder !== dirname(folder); folder = dirname(folder)) {
    const candidate = join(folder, 'package.json');
    if (existsSync(candidate)) {
      const parsed = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (parsed.name === 'frugal') return parsed.version ?? '0.0.0';
    }
  }
  return '0.0.0';
}

export async function runCli(argv: string[]): Promise<void> {
  // `frugal report | head`: the reader closed the pipe, so the output is no longer wanted; stop quietly.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(0);
  });
  const program = buildCli();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exitCode = 2;
      return;
    }
    const message = userErrorMessage(error);
    if (message === undefined) throw error;
    console.error(`error: ${message}`);
    process.exitCode = error instanceof InvalidArgumentError ? 2 : 1;
  }
}

/**
 * The message of an error a user can fix (a missing or unreadable file, a malformed input line, a
 * bad flag value found while a command runs), shown in one line instead of a stack trace; undefined
 * for anything else (TypeError and the like are bugs, and keep their stack).
 */
function userErrorMessage(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error instanceof InvalidArgumentError) return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code) && (error as NodeJS.ErrnoException).syscall) return error.message;
  return Object.getPrototypeOf(error) === Error.prototype ? error.message : undefined;
}
