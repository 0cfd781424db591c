import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { buildCli } from '../src/cli/main.ts';
import { defaultConfig } from '../src/config/default-config.ts';
import { parseConfigText, validateConfig } from '../src/config/load-config.ts';
import { configSchema } from '../src/config/schema.ts';
import { checkConfigFiles } from '../src/gateway/check-config-files.ts';

/**
 * The docs' examples are what users copy, so each one is checked against the code:
 *
 * - Every ```yaml block in README.md and docs/*.md is a Frugal config and must load through the loader
 *   `frugal config check` uses (parseConfigText → validateConfig), with every `${VAR}` given a dummy value.
 *   A block whose top-level keys include `models` is a whole config file and must pass `frugal config check`
 *   exactly as written (including its file checks, with no warning).
 *   Any other block shows a few sections to add to a config: it is loaded on top of the built-in defaults
 *   (the seed models on the simulated provider and the `auto` route, which the docs' examples name), its
 *   `providers`, `models`, `routes` and `rewrite` entries added to the defaults', its other sections as written.
 *   `<!-- docs-example: skip (why) -->` on the line before a block exempts it (keep these rare).
 * - Every `frugal …` / `npx frugal …` command line, inline or in a code block, names commands and options
 *   the CLI defines; `npm run X` names a package.json script; `node … path.ts` names a file that exists.
 *   `npm run bench -- NAME` names a benchmark in bench/.
 * - Every relative Markdown link points to a file that exists, and its `#anchor` to a heading in it; every
 *   repository path the prose names (`src/…`, `test/…`, `docs/…`, `bench/…`, `scripts/…`, `web/…`, `bin/…`) exists.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const docFiles = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];

interface Block {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  text: string;
  /** The `docs-example:` marker on the line before the fence, if any. */
  marker?: string;
}

/** The fenced code blocks of a Markdown file, and its lines outside them (with code blocks blanked). */
function splitMarkdown(file: string): { blocks: Block[]; prose: string[] } {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  const prose: string[] = [];
  let open: { line: number; lang: string; fence: string; body: string[]; marker?: string } | undefined;
  lines.forEach((line, index) => {
    const fence = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(line);
    if (open) {
      if (fence && fence[2].startsWith(open.fence) && line.trim() === fence[2]) {
        blocks.push({ file, line: open.line, lang: open.lang, text: open.body.join('\n'), marker: open.marker });
        open = undefined;
      } else {
        open.body.push(line);
      }
      prose.push('');
      return;
    }
    if (fence) {
      const before = lines.slice(0, index).reverse().find((previous) => previous.trim() !== '');
      const marker = before && /<!--\s*docs-example:\s*(.*?)\s*-->/.exec(before)?.[1];
      open = { line: index + 1, lang: fence[3].toLowerCase(), fence: fence[2], body: [], marker };
      prose.push('');
      return;
    }
    prose.push(line);
  });
  if (open) throw new Error(`${file}:${open.line}: code fence never closed`);
  return { blocks, prose };
}

const documents = docFiles.map((file) => ({ file, ...splitMarkdown(file) }));

// ---------------------------------------------------------------------------------------------------
// Config examples

const placeholder = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const configKeys = new Set(Object.keys(configSchema.shape));
/** Sections whose entries a fragment adds to the defaults' rather than replacing them. */
const mergedSections = ['providers', 'models', 'routes', 'rewrite'];

/** A dummy value for every `${VAR}` the text names, so examples load without the reader's secrets. */
function dummyEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const match of text.matchAll(placeholder)) env[match[1]] = `dummy-${match[1].toLowerCase()}-value`;
  return env;
}

function substitute(text: string, env: Record<string, string>): string {
  return text.replace(placeholder, (_match, name: string) => env[name]);
}

/** Why the block is not an acceptable example, or undefined when it loads. */
async function configProblem(block: Block): Promise<string | undefined> {
  const env = dummyEnv(block.text);
  let raw: unknown;
  try {
    raw = parseYaml(substitute(block.text, env));
  } catch (error) {
    return `not valid YAML: ${(error as Error).message.split('\n')[0]}`;
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return 'not a mapping of config sections';
  const unknown = Object.keys(raw).filter((key) => !configKeys.has(key));
  if (unknown.length > 0) return `top-level key(s) ${unknown.join(', ')} are not config sections (known: ${[...configKeys].join(', ')})`;
  const where = `${block.file}:${block.line}`;
  try {
    if ('models' in raw) {
      // A whole config file: checked as `frugal config check FILE` checks it.
      const config = parseConfigText(block.text, where, env);
      const { warnings } = await checkConfigFiles(config, where);
      if (warnings.length > 0) return `warning: ${warnings.join('; warning: ')}`;
    } else {
      const fragment = raw as Record<string, unknown>;
      const merged: Record<string, unknown> = { ...defaultConfig({}) };
      for (const [section, value] of Object.entries(fragment)) {
        const base = merged[section];
        merged[section] =
          mergedSections.includes(section) && base && typeof base === 'object' && value && typeof value === 'object'
            ? { ...(base as object), ...(value as object) }
            : value;
      }
      validateConfig(merged, `${where} (added to the built-in defaults)`);
    }
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

const yamlBlocks = documents.flatMap((document) => document.blocks.filter((block) => block.lang === 'yaml' || block.lang === 'yml'));

describe('config examples in the docs', () => {
  it('finds the examples (the extraction itself works)', () => {
    expect(yamlBlocks.length).toBeGreaterThanOrEqual(10);
    expect(yamlBlocks.map((block) => block.file)).toContain('docs/routing.md');
  });

  it('rejects what the loader refuses (the checker can fail)', async () => {
    const example = (text: string): Block => ({ file: 'docs/x.md', line: 1, lang: 'yaml', text });
    expect(await configProblem(example('cache: { ttl: 60 }'))).toMatch(/cache: unknown key\(s\) 'ttl'/);
    expect(await configProblem(example('listen: 8080'))).toMatch(/'?listen'? are not config sections/);
    expect(await configProblem(example('rewrite: { gpt-4o: no-such-route }'))).toMatch(/rewrite\.gpt-4o/);
    expect(await configProblem(example('providers: { p: { type: openai, api_key: ${KEY} } }\nmodels: { m: { provider: q } }'))).toMatch(/unknown provider 'q'/);
    expect(await configProblem(example('routes: { fast: { tasks: { chat: qwen3-8b } } }'))).toBeUndefined();
  });

  it.each(yamlBlocks.map((block) => [`${block.file}:${block.line}`, block] as const))('%s loads through the config loader', async (_name, block) => {
    if (block.marker !== undefined) {
      expect(block.marker, `${block.file}:${block.line}: a skip marker must say why: <!-- docs-example: skip (why) -->`).toMatch(/^skip \(.+\)$/);
      return;
    }
    expect(await configProblem(block), `${block.file}:${block.line}`).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------------
// Command lines

interface CommandLine {
  file: string;
  line: number;
  text: string;
}

/** `frugal …`, `npx frugal …`, `npm run …`, `npm start` and `node … file` lines, inline or in shell blocks. */
function commandLines(): CommandLine[] {
  const found: CommandLine[] = [];
  const starts = /^(?:npx\s+)?frugal(?:\s|$)|^npm\s|^node\s/;
  for (const document of documents) {
    document.prose.forEach((line, index) => {
      for (const match of line.matchAll(/(`+)([^`]+?)\1/g)) {
        const code = match[2].trim();
        if (starts.test(code)) found.push({ file: document.file, line: index + 1, text: code });
      }
    });
    for (const block of document.blocks) {
      if (!['', 'sh', 'bash', 'shell', 'console'].includes(block.lang)) continue;
      const lines = block.text.split('\n');
      for (let index = 0; index < lines.length; index++) {
        let text = lines[index].trim().replace(/^\$\s+/, '');
        if (!starts.test(text)) continue;
        const first = index;
        // Continuations: a trailing backslash, or a synopsis's next line indented and starting with an option.
        while (index + 1 < lines.length && (text.endsWith('\\') || /^\s+[[-]/.test(lines[index + 1]))) {
          text = `${text.replace(/\\$/, '')} ${lines[++index].trim()}`;
        }
        found.push({ file: block.file, line: block.line + 1 + first, text });
      }
    }
  }
  return found;
}

const program = buildCli();
const packageScripts = Object.keys((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);

function findOption(command: Command, flag: string): Option | undefined {
  return command.options.find((option) => option.long === flag || option.short === flag);
}

/** Shell words of one command, up to a pipe, `&&`, `;`, a redirection or a comment. */
function words(text: string): string[] {
  const result: string[] = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (['|', '||', '&&', ';', '>', '>>', '<', '2>', '&'].includes(word) || word.startsWith('#')) break;
    result.push(word);
  }
  return result;
}

/** Why a `frugal …` line does not match the CLI, or undefined. Synopses may use [optional], a|b and `…`. */
function frugalProblem(text: string): string | undefined {
  const tokens = words(text.replace(/^npx\s+/, '')).slice(1);
  // Subcommands: follow names (a|b|c: each must exist) while the current command has subcommands.
  let commands: Command[] = [program];
  let index = 0;
  while (index < tokens.length && commands[0].commands.length > 0 && !tokens[index].startsWith('-')) {
    const names = tokens[index].replace(/^\[|\]$/g, '').split('|');
    const next: Command[] = [];
    for (const command of commands) {
      for (const name of names) {
        const sub = command.commands.find((candidate) => candidate.name() === name || candidate.aliases().includes(name));
        if (!sub) return `'${[command.name() === 'frugal' ? '' : `${command.name()} `, name].join('')}' is not a frugal command (${command.name()} has: ${command.commands.map((candidate) => candidate.name()).join(', ')})`;
        next.push(sub);
      }
    }
    commands = next;
    index++;
  }
  for (const command of commands) {
    let positionals = 0;
    for (let at = index; at < tokens.length; at++) {
      const token = tokens[at].replace(/^[[(]+/, '').replace(/[\]),]+$/, '');
      if (token === '' || token === '…' || token === '...') continue;
      if (token.startsWith('-') && token.length > 1) {
        const flag = token.split('=')[0];
        if (['--help', '-h'].includes(flag) || (command === program && ['--version', '-v'].includes(flag))) continue;
        const option = findOption(command, flag);
        if (!option) return `'frugal ${command.name()}' has no option ${flag} (it has: ${command.options.map((candidate) => candidate.flags).join(', ') || 'none'})`;
        // The option's value (a placeholder such as FILE, or an example such as 30d) is not a positional.
        if ((option.required || option.optional) && !token.includes('=') && !/\]$/.test(tokens[at])) at++;
        continue;
      }
      positionals++;
    }
    const accepts = command.registeredArguments;
    const variadic = accepts.some((argument) => argument.variadic);
    if (!variadic && positionals > accepts.length) {
      return `'frugal ${command.name()}' takes ${accepts.length} argument(s) (${accepts.map((argument) => argument.name()).join(' ') || 'none'}); the line gives ${positionals}`;
    }
  }
  return undefined;
}

function commandProblem(command: CommandLine): string | undefined {
  const tokens = words(command.text);
  if (tokens[0] === 'npm') {
    if (tokens[1] === 'start' || tokens[1] === 'test') return packageScripts.includes(tokens[1]) ? undefined : `no '${tokens[1]}' script in package.json`;
    if (tokens[1] !== 'run') return undefined; // npm ci, npm install …
    if (!packageScripts.includes(tokens[2])) return `no '${tokens[2]}' script in package.json (has: ${packageScripts.join(', ')})`;
    const bench = tokens[2] === 'bench' && tokens[3] === '--' ? tokens[4] : undefined;
    if (bench !== undefined && !bench.startsWith('<') && !existsSync(join(root, 'bench', `${bench}.ts`))) return `no benchmark bench/${bench}.ts`;
    return undefined;
  }
  if (tokens[0] === 'node') {
    const script = tokens.slice(1).find((token) => /\.(ts|mjs|js)$/.test(token) && !token.startsWith('-'));
    if (script === undefined) return undefined;
    return existsSync(join(root, script)) ? undefined : `${script} does not exist`;
  }
  return frugalProblem(command.text);
}

const commands = commandLines();

describe('command lines in the docs', () => {
  it('finds the command lines (the extraction itself works)', () => {
    expect(commands.length).toBeGreaterThanOrEqual(30);
    expect(commands.some((command) => command.text.startsWith('frugal report --since 30d --by'))).toBe(true);
  });

  it('rejects what the CLI does not define (the checker can fail)', () => {
    expect(frugalProblem('frugal evaluate router')).toMatch(/'evaluate' is not a frugal command/);
    expect(frugalProblem('frugal eval router|tasks')).toMatch(/'eval tasks' is not a frugal command/);
    expect(frugalProblem('frugal report --since 30d --group model')).toMatch(/has no option --group/);
    expect(frugalProblem('frugal models extra')).toMatch(/takes 0 argument/);
    expect(frugalProblem('npx frugal replay FILE [--config FILE] [--json]')).toBeUndefined();
  });

  it.each(commands.map((command) => [`${command.file}:${command.line} ${command.text}`, command] as const))('%s', (_name, command) => {
    expect(commandProblem(command), `${command.file}:${command.line}: ${command.text}`).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------------
// Links

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of splitMarkdown(file).prose) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = heading[1]
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

interface Link {
  file: string;
  line: number;
  target: string;
}

function relativeLinks(): Link[] {
  const links: Link[] = [];
  for (const document of documents) {
    document.prose.forEach((line, index) => {
      const withoutCode = line.replace(/(`+)[^`]*?\1/g, '');
      for (const match of withoutCode.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|^\s*\[[^\]]+\]:\s*(\S+)/g)) {
        const target = match[1] ?? match[2];
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, …
        links.push({ file: document.file, line: index + 1, target });
      }
    });
  }
  return links;
}

function linkProblem(link: Link): string | undefined {
  const [path, anchor] = link.target.split('#') as [string, string | undefined];
  const file = path === '' ? link.file : relative(root, resolve(root, dirname(link.file), decodeURIComponent(path)));
  if (!existsSync(join(root, file))) return `${file} does not exist`;
  if (anchor === undefined || anchor === '') return undefined;
  if (!file.endsWith('.md') || statSync(join(root, file)).isDirectory()) return `#${anchor} on a file that is not Markdown`;
  return anchorsOf(file).has(decodeURIComponent(anchor).toLowerCase()) ? undefined : `${file} has no heading for #${anchor} (has: ${[...anchorsOf(file)].join(', ')})`;
}

const links = relativeLinks();

/** Repository paths named in the prose (inline code or not), such as `src/gateway/build-pipeline.ts`. */
function pathMentions(): Link[] {
  const mentions: Link[] = [];
  for (const document of documents) {
    document.prose.forEach((line, index) => {
      for (const match of line.matchAll(/(?<![\w./-])((?:docs|src|test|bench|scripts|web|bin)\/[\w./-]*)/g)) {
        const path = match[1].replace(/[.]+$/, '');
        // A placeholder or a pattern (`<suite>.json`, `*.ts`) names no one file.
        if (/[<*{]/.test(line.slice(match.index + match[1].length, match.index + match[1].length + 1))) continue;
        mentions.push({ file: document.file, line: index + 1, target: path });
      }
    });
  }
  return mentions;
}

const mentions = pathMentions();

describe('relative links in the docs', () => {
  it('finds the links (the extraction itself works)', () => {
    expect(links.length).toBeGreaterThanOrEqual(10);
    expect(linkProblem({ file: 'README.md', line: 0, target: 'docs/no-such-page.md' })).toMatch(/does not exist/);
    expect(linkProblem({ file: 'README.md', line: 0, target: 'docs/CONFIG.md#no-such-heading' })).toMatch(/no heading/);
    expect(linkProblem({ file: 'docs/CONFIG.md', line: 0, target: '#keys' })).toBeUndefined();
  });

  it.each(links.map((link) => [`${link.file}:${link.line} → ${link.target}`, link] as const))('%s', (_name, link) => {
    expect(linkProblem(link), `${link.file}:${link.line}: ${link.target}`).toBeUndefined();
  });
});

describe('repository paths named in the docs', () => {
  it('finds the paths (the extraction itself works)', () => {
    expect(mentions.length).toBeGreaterThanOrEqual(30);
    expect(mentions.map((mention) => mention.target)).toContain('src/gateway/build-pipeline.ts');
  });

  it.each(mentions.map((mention) => [`${mention.file}:${mention.line} ${mention.target}`, mention] as const))('%s exists', (_name, mention) => {
    expect(existsSync(join(root, mention.target)), `${mention.file}:${mention.line}: ${mention.target} does not exist`).toBe(true);
  });
});
