#!/usr/bin/env -S node --max-semi-space-size=32
// The V8 flag gives the young generation room for the objects of requests in flight (they used to be
// promoted and collected by the slower full GC): ~15-25% less CPU per proxied request under load
// (docs/BENCHMARKS.md). It only takes effect on Node's command line, so `npm start` passes it too.
// Entry point for the `frugal` command. Runs the compiled build (dist/, made by `npm ci` or
// `npm run build`) when it is at least as new as every source file; otherwise registers the
// TypeScript loader and runs the sources, so an edited checkout never runs stale code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', 'BUILD');

function newestMtime(folder) {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function compiledIsFresh() {
  if (process.env.FRUGAL_NO_DIST === '1' || !existsSync(stamp)) return false;
  const built = statSync(stamp).mtimeMs;
  return newestMtime(join(root, 'src')) <= built && newestMtime(join(root, 'web')) <= built;
}

let entry;
if (compiledIsFresh()) {
  entry = pathToFileURL(join(root, 'dist', 'src', 'cli', 'main.js')).href;
} else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href;
}
const { runCli } = await import(entry);
await runCli(process.argv);
