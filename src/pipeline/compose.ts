import type { ChatHandler, Stage } from './types.ts';

/**
 * Composes stages right-to-left around a terminal handler, so the first stage listed runs first
 * (Hono's compose / undici's interceptors). The order of Frugal's stages lives in one place:
 * `src/pipeline/build-pipeline.ts`.
 */
export function compose(stages: readonly Stage[], terminal: ChatHandler): ChatHandler {
  let handler = terminal;
  for (let index = stages.length - 1; index >= 0; index--) handler = stages[index](handler);
  return handler;
}
