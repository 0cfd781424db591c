import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { ChatRequest, ChatResponse } from '../../protocol/openai/chat-schema.ts';

/** A user's answer check: the default export of the route's `check_module` file. */
export type UserCheck = (request: ChatRequest, response: ChatResponse) => unknown;

const verdictSchema = z.union([z.boolean(), z.looseObject({ pass: z.boolean(), score: z.number().min(0).max(1).optional() })]);

/** A user check's verdict, normalized. */
export interface UserCheckVerdict {
  pass: boolean;
  score: number;
  reason?: string;
}

/**
 * Resolves a `check_module` path: absolute as given, else relative to the config file's folder
 * (or the working directory when the config did not come from a file). Throws when it is missing,
 * so a typo fails at startup and not on the first request.
 */
export function resolveCheckModule(path: string, configSource: string | undefined): string {
  const absolute = resolveConfigPath(path, configSource);
  if (!existsSync(absolute)) throw new Error(`check_module '${path}' not found (looked at ${absolute})`);
  return absolute;
}

/** A path written in config: absolute as given, else relative to the config file's folder (or the working directory). */
export function resolveConfigPath(path: string, configSource: string | undefined): string {
  const base = configSource && existsSync(configSource) ? dirname(resolve(configSource)) : process.cwd();
  return isAbsolute(path) ? path : resolve(base, path);
}

const loaded = new Map<string, Promise<UserCheck>>();

/** Imports a check module once per process; its default export must be a function. */
export function loadUserCheck(absolutePath: string): Promise<UserCheck> {
  let promise = loaded.get(absolutePath);
  if (!promise) {
    promise = import(pathToFileURL(absolutePath).href).then((module: { default?: unknown }) => {
      if (typeof module.default !== 'function') throw new Error(`check_module ${absolutePath}: the default export must be a function (request, response) => boolean | { pass, score }`);
      return module.default as UserCheck;
    });
    loaded.set(absolutePath, promise);
  }
  return promise;
}

/**
 * Runs a user check. A check that throws or returns something else fails the answer (the cascade
 * escalates rather than serve an answer nobody could verify), with the reason in the trace.
 */
export async function runUserCheck(check: UserCheck, request: ChatRequest, response: ChatResponse): Promise<UserCheckVerdict> {
  let result: unknown;
  try {
    result = await check(request, response);
  } catch (error) {
    return { pass: false, score: 0, reason: `check_module threw: ${(error as Error)?.message ?? String(error)}` };
  }
  const parsed = verdictSchema.safeParse(result);
  if (!parsed.success) return { pass: false, score: 0, reason: 'check_module returned neither a boolean nor { pass, score }' };
  if (typeof parsed.data === 'boolean') return { pass: parsed.data, score: parsed.data ? 1 : 0, reason: parsed.data ? undefined : 'check_module rejected the answer' };
  const score = parsed.data.score ?? (parsed.data.pass ? 1 : 0);
  return { pass: parsed.data.pass, score, reason: parsed.data.pass ? undefined : 'check_module rejected the answer' };
}
