/** An abort signal that fires on the caller's abort or after `timeoutMs`, whichever is first. */
export interface TimedSignal {
  signal: AbortSignal;
  timedOut(): boolean;
  /** Stops the timer but keeps following the caller's abort (a stream past its first byte). */
  clearTimer(): void;
  /** Stops both. */
  clear(): void;
}

export function withTimeout(parent: AbortSignal, timeoutMs: number): TimedSignal {
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = () => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('timeout'));
  }, timeoutMs);
  timer.unref?.();
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    clearTimer: () => clearTimeout(timer),
    clear: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onAbort);
    },
  };
}
