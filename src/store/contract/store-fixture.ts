/**
 * What a contract suite needs from a backend: a fresh, isolated storage per test, opened as many
 * times as the test wants. Persistent backends return the same storage from every `open()` (so
 * "survives reopen" can be checked); `destroy` removes the storage (temp dir, schema, key prefix).
 */
export interface StoreFixture<Store> {
  open(): Promise<Store>;
  /** True when data written before `close()` is there after the next `open()`. */
  persistent: boolean;
  destroy?(): Promise<void>;
}

/** Creates one fixture per test; called inside the test, so each test has its own storage. */
export type StoreFixtureFactory<Store> = () => StoreFixture<Store> | Promise<StoreFixture<Store>>;

/** Per-run name suffix so parallel test files (and parallel CI jobs on one server) never collide. */
export function uniqueRunId(): string {
  return `${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
