/** Per-run name suffix so parallel test files (and parallel CI jobs on one server) never collide. */
export function uniqueRunId(): string {
  return `${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
