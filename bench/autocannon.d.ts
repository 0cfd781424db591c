// autocannon ships no types; the benchmarks use a small part of its API.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';
  interface Result {
    requests: { average: number };
    latency: { p50: number; p99: number };
    errors: number;
    non2xx: number;
  }
  interface Instance extends EventEmitter, PromiseLike<Result> {}
  function autocannon(options: Record<string, unknown>, callback?: (error: Error | null, result: Result) => void): Instance;
  export default autocannon;
}
