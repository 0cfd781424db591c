import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCli } from '../src/cli/main.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'frugal.js');
const folder = mkdtempSync(join(tmpdir(), 'frugal-cli-errors-'));

/** `frugal …` as a user runs it; resolves with its exit code and stderr once it exits. */
function frugal(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd: folder, env: { ...process.env, FRUGAL_DATA_DIR: join(folder, 'data') }, timeout: 60_000 }, (error, _stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr });
    });
    child.stdin?.end();
  });
}

function file(name: string, text: string): string {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
}

const noStack = /\n\s+at /;

describe.concurrent('commands report what a user got wrong in one line, without a stack trace', () => {
  it('a file that does not exist', async () => {
    const { code, stderr } = await frugal(['eval', 'router', '--outcomes', join(folder, 'missing.jsonl')]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: ENOENT: no such file or directory, open '.*missing\.jsonl'\n$/);
  });

  it('a malformed line, named by its number', async () => {
    const outcomes = file('outcomes.jsonl', '{"prompt": "hi", "outcomes": {"a": {"score": 1}, "b": {"score": 0}}}\n{"prompt": "x", "outcomes": \n');
    const { code, stderr } = await frugal(['train', 'router', '--outcomes', outcomes, '--out', join(folder, 'weights.json')]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: outcomes line 2: not JSON/);
    expect(stderr).not.toMatch(noStack);
  });

  it('a weights file a route names that is missing, when the gateway starts', async () => {
    const config = file(
      'frugal.config.yaml',
      'providers:\n  sim: { type: simulated }\nmodels:\n  strong: { provider: sim }\n  weak: { provider: sim }\nroutes:\n  r:\n    quality: { strong: strong, weak: weak, weights: ./no-weights.json }\n',
    );
    const { code, stderr } = await frugal(['serve', '--config', config, '--port', '0']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: routes\.r\.quality\.weights: cannot load '.*no-weights\.json': ENOENT/m);
    expect(stderr).not.toMatch(noStack);
  });
});

/** Runs a command in this process; resolves with what it threw (commander's usage errors included). */
async function thrownBy(args: string[]): Promise<Error | undefined> {
  const program = buildCli().exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  for (const command of program.commands) command.exitOverride().configureOutput({ writeErr: () => undefined });
  for (const command of program.commands.flatMap((group) => group.commands)) command.exitOverride().configureOutput({ writeErr: () => undefined });
  try {
    await program.parseAsync(['node', 'frugal', ...args]);
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

describe('frugal eval compress', () => {
  it('refuses a ratio below 1 and a negative token bound before reading anything', async () => {
    const qa = file('qa.jsonl', `${JSON.stringify({ context: 'The crane lifts 40 tonnes.', question: 'What does the crane lift?', answers: ['40 tonnes'] })}\n`);
    expect((await thrownBy(['eval', 'compress', '--qa', qa, '--ratio', '0']))?.message).toMatch(/--ratio <n>' argument '0' is invalid\. a number ≥ 1/);
    expect((await thrownBy(['eval', 'compress', '--qa', qa, '--max-context-tokens', '-5']))?.message).toMatch(/argument '-5' is invalid\. a whole number of tokens ≥ 1/);
  });

  it('refuses a file with no valid row, naming its lines, instead of printing 0% retention', async () => {
    const qa = file('bad-qa.jsonl', '{"context": "x"\n');
    expect((await thrownBy(['eval', 'compress', '--qa', qa]))?.message).toMatch(/no rows to evaluate \(line 1: not JSON/);
  });
});

describe('output piped into a reader that stops early (frugal … | head)', () => {
  it('ends quietly with exit code 0 instead of an EPIPE stack trace', async () => {
    const dataDir = join(folder, 'piped');
    mkdirSync(join(dataDir, 'outcomes'), { recursive: true });
    const line = JSON.stringify({ time: 1, tenant: 'default', request_id: 'r', route: 'auto', task: 'chat', judge: 'j', served_model: 'a', baseline_model: 'b', prompt: 'x'.repeat(200), outcomes: { a: { score: 1 }, b: { score: 0 } } });
    writeFileSync(join(dataDir, 'outcomes', 'shadow.jsonl'), `${line}\n`.repeat(5_000)); // ~1.2 MB, far more than a pipe holds
    const child = spawn(process.execPath, [BIN, 'export', 'outcomes', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE/);
    expect(code).toBe(0);
  });
});

describe('frugal config check loads the files a config names, as serve does', () => {
  const config = (name: string, routes: string, extra = '') =>
    file(name, `providers:\n  sim: { type: simulated }\nmodels:\n  strong: { provider: sim }\n  weak: { provider: sim }\nroutes:\n${routes}${extra}`);

  it('names a missing weights file, check module, static embedder weights or model directory', async () => {
    const missingRouter = config('c1.yaml', '  r:\n    quality: { strong: strong, weak: weak, weights: ./gone.json }\n');
    expect((await thrownBy(['config', 'check', missingRouter]))?.message).toMatch(/routes\.r\.quality\.weights: cannot load '.*gone\.json': ENOENT/);
    const missingCheck = config('c2.yaml', '  r:\n    cascade: [weak, strong]\n    check_module: ./gone.mjs\n');
    expect((await thrownBy(['config', 'check', missingCheck]))?.message).toMatch(/routes\.r\.check_module: check_module '\.\/gone\.mjs' not found/);
    const missingStatic = config('c3.yaml', '  r: { default: weak }\n', 'cache:\n  semantic: { embedder: static, static_weights: ./gone.bin }\n');
    expect((await thrownBy(['config', 'check', missingStatic]))?.message).toMatch(/cache\.semantic\.static_weights: static embedder weights .*gone\.bin cannot be read/);
    const missingModel = config('c4.yaml', '  r: { default: weak }\n', 'cache:\n  semantic: { embedder: model2vec, model_dir: ./no-such-model, threshold: 0.9 }\n');
    expect((await thrownBy(['config', 'check', missingModel]))?.message).toMatch(/cache\.semantic\.model_dir: model directory .*no-such-model: model\.safetensors cannot be read \(ENOENT\)/);
  });

  it('names the first wrong field of weights of another kind instead of dumping every schema issue', async () => {
    file('verifier.json', JSON.stringify({ kind: 'frugal-answer-verifier', version: 1 }));
    const wrongKind = config('c4.yaml', '  r:\n    quality: { strong: strong, weak: weak, weights: ./verifier.json }\n');
    const message = (await thrownBy(['config', 'check', wrongKind]))?.message ?? '';
    expect(message).toMatch(/routes\.r\.quality\.weights: cannot load '.*verifier\.json': not weights written by `frugal train router`: kind: Invalid input: expected "frugal-quality-router" \(and \d+ more\)/);
    expect(message.split('\n')).toHaveLength(2);
  });
});

describe.concurrent('frugal config check reports what would go wrong when serving', () => {
  it('refuses a config with no model at all (it was reported OK, and the gateway served nothing)', async () => {
    const empty = file('no-models.yaml', 'providers:\n  sim: { type: simulated }\n');
    const { code, stderr } = await frugal(['config', 'check', empty]);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/- models: no model is configured; the gateway would serve nothing\n/);
    expect(stderr).not.toMatch(/^OK/m);
  });

  it('passes with a warning line for each model or fallback deployment with no known price', async () => {
    const unpriced = file(
      'unpriced.yaml',
      'providers:\n  local: { type: openai-compatible, base_url: "http://127.0.0.1:9/v1" }\nmodels:\n' +
        '  mystery: { provider: local, upstream_model: my-local-7b }\n' +
        '  priced: { provider: local, upstream_model: my-local-7b, price: { input: 0.1, output: 0.2 } }\n' +
        '  pair:\n    deployments:\n      - { provider: local, upstream_model: a, price: { input: 1, output: 2 } }\n      - { provider: local, upstream_model: my-local-7b }\n',
    );
    const { code, stderr } = await frugal(['config', 'check', unpriced]);
    expect(code).toBe(0);
    const warnings = stderr.split('\n').filter((line) => line.startsWith('warning: '));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^warning: models\.mystery: no price known .*'my-local-7b'.*recorded as costing 0/);
    expect(warnings[1]).toMatch(/^warning: models\.pair\.deployments\.1: no price known for 'my-local-7b'.*costing 0/);
  });

  it('names the line and column of a YAML syntax error, without a dangling colon', async () => {
    const broken = file('broken.yaml', 'providers:\n  sim: { type: simulated\nmodels:\n  a: { provider: sim }\n');
    const { code, stderr } = await frugal(['config', 'check', broken]);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/^ {2}- line 3, column 1: Flow map in block collection must be sufficiently indented and end with a }$/m);
    expect(stderr).not.toMatch(/^ {2}- .*:$/m);
    // Columns count in the file as written, ${ENV} references included.
    const line = '  sim: { type: simulated, note: ${FRUGAL_TEST_UNSET_VAR:-x} } }';
    const withEnv = file('broken-env.yaml', `providers:\n${line}\n`);
    expect((await frugal(['config', 'check', withEnv])).stderr).toMatch(new RegExp(`- line 2, column ${line.lastIndexOf('}') + 1}: .*"}"$`, 'm'));
  });
});
