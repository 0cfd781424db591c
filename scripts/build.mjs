#!/usr/bin/env node
/**
 * Compiles src/ to dist/ (tsc, .ts imports rewritten to .js) and copies the runtime assets (weights,
 * web/), so `frugal serve` runs plain JavaScript: no TypeScript loader in memory (~35 MB) and a faster
 * start. Runs on `npm ci` (prepare). A failed build never breaks the install: dist/ is removed and the
 * CLI falls back to running the sources through tsx.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const tsc = join(root, 'node_modules', 'typescript', 'lib', 'tsc.js');

function copyAssets(from, to) {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    if (entry.isDirectory()) copyAssets(source, join(to, entry.name));
    else if (!entry.name.endsWith('.ts')) {
      mkdirSync(to, { recursive: true });
      cpSync(source, join(to, entry.name));
    }
  }
}

try {
  if (!existsSync(tsc)) throw new Error('typescript is not installed');
  rmSync(dist, { recursive: true, force: true });
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
  copyAssets(join(root, 'src'), join(dist, 'src'));
  cpSync(join(root, 'web'), join(dist, 'web'), { recursive: true });
  writeFileSync(join(dist, 'BUILD'), `${new Date().toISOString()}\n`);
  console.log(`frugal: compiled to ${relative(process.cwd(), dist) || 'dist'}/`);
} catch (error) {
  rmSync(dist, { recursive: true, force: true });
  console.warn(`frugal: build skipped (${error.message}); the CLI will run the TypeScript sources through tsx.`);
}
