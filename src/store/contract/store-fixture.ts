import { afterEach } from 'vitest';
export { uniqueRunId } from './unique-run-id.ts';

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


/** The per-test fixture and the stores a contract test opened, all closed and destroyed after the test. */
export interface StoreHarness<Store, Fixture extends StoreFixture<Store>> {
  /** The test's fixture, made on first use. */
  fixture(): Promise<Fixture>;
  /** Opens the fixture's store; it is closed after the test. */
  open(): Promise<Store>;
  /** Closes this store after the test too (a replica, a bounded store). */
  track(store: Store): Store;
  /** Stops tracking a store the test closed itself. */
  release(store: Store): void;
}

/** Call inside a `describe`: registers the `afterEach` that closes every opened store and destroys the fixture. */
export function storeHarness<Store extends { close(): Promise<void> }, Fixture extends StoreFixture<Store>>(
  factory: () => Fixture | Promise<Fixture>,
): StoreHarness<Store, Fixture> {
  let current: Fixture | undefined;
  const opened: Store[] = [];
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    await current?.destroy?.();
    current = undefined;
  });
  const harness: StoreHarness<Store, Fixture> = {
    async fixture() {
      current ??= await factory();
      return current;
    },
    async open() {
      return harness.track(await (await harness.fixture()).open());
    },
    track(store) {
      opened.push(store);
      return store;
    },
    release(store) {
      const index = opened.indexOf(store);
      if (index !== -1) opened.splice(index, 1);
    },
  };
  return harness;
}
