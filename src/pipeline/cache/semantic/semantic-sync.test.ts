import { describe, expect, it } from 'vitest';
import { localEmbedder } from './local-embedder.ts';
import { SemanticCache, type SemanticIndexStore } from './semantic-cache.ts';
import { VectorIndex } from './vector-index.ts';

/** One store two "replicas" share, with change tokens and a purge generation, as the Redis-backed store provides. */
function sharedStore(): SemanticIndexStore & { data: Map<string, Uint8Array | string>; versions: Map<string, string>; purge(): void } {
  const data = new Map<string, Uint8Array | string>();
  const versions = new Map<string, string>();
  let generation: string | undefined;
  return {
    data,
    versions,
    get: async (key) => data.get(key),
    set: async (key, value) => void data.set(key, value),
    getVersion: async (key) => versions.get(key),
    setVersion: async (key, version) => void versions.set(key, version),
    getPurgeGeneration: async () => generation,
    // What DELETE /admin/cache does to the indexes: delete them with their tokens, then a new generation.
    purge: () => {
      data.clear();
      versions.clear();
      generation = `purge-${Math.random()}`;
    },
  };
}

function storedKeys(store: { data: Map<string, Uint8Array | string> }): string[] {
  const stored = store.data.get(ns);
  if (stored === undefined) return [];
  const embedder = localEmbedder();
  return VectorIndex.load(stored, { dimensions: embedder.dimensions, capacity: 100, embedderId: embedder.id }).index.keys();
}

function replicas(store: SemanticIndexStore, capacityPerNamespace?: number) {
  let clock = 1_000_000;
  const make = () => new SemanticCache({ embedder: localEmbedder(), store, syncIntervalMs: 2_000, capacityPerNamespace, now: () => clock });
  return { a: make(), b: make(), advance: (ms: number) => void (clock += ms), make };
}

const ns = 'gpt-4o:tenant-a:ctx';

async function eventuallyHits(cache: SemanticCache, question: string): Promise<boolean> {
  for (let round = 0; round < 20; round++) {
    if ((await cache.lookup({ namespace: ns, question })).hit) return true;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return false;
}

describe('semantic indexes shared live between replicas', () => {
  it('a replica that already holds the namespace picks up what another added, after the sync interval', async () => {
    const store = sharedStore();
    const { a, b, advance } = replicas(store);
    // Both replicas have the namespace loaded (empty) before anything is stored.
    expect((await a.lookup({ namespace: ns, question: 'How do I reset my password?' })).hit).toBe(false);
    expect((await b.lookup({ namespace: ns, question: 'How do I reset my password?' })).hit).toBe(false);
    await a.add({ namespace: ns, question: 'How do I reset my password?', entryKey: 'e1' });
    await a.flush();
    // Within the interval B has not looked again: still a miss.
    expect((await b.lookup({ namespace: ns, question: 'how can i reset my password' })).hit).toBe(false);
    advance(2_001);
    expect(await eventuallyHits(b, 'how can i reset my password')).toBe(true);
  });

  it('two replicas writing the same namespace keep both entries', async () => {
    const store = sharedStore();
    const { a, b, make } = replicas(store);
    await a.lookup({ namespace: ns, question: 'warm up' });
    await b.lookup({ namespace: ns, question: 'warm up' });
    await a.add({ namespace: ns, question: 'How do I reset my password?', entryKey: 'e1' });
    await b.add({ namespace: ns, question: 'Where can I download my invoices?', entryKey: 'e2' });
    await a.flush();
    await b.flush();
    // A fresh replica loads the stored index: both answers are there.
    const c = make();
    expect(await c.lookup({ namespace: ns, question: 'How do I reset my password?' })).toMatchObject({ hit: true, entryKey: 'e1' });
    expect(await c.lookup({ namespace: ns, question: 'Where can I download my invoices?' })).toMatchObject({ hit: true, entryKey: 'e2' });
  });

  it('writes again an entry that a concurrent write of another replica dropped', async () => {
    const store = sharedStore();
    const { a, advance } = replicas(store);
    await a.add({ namespace: ns, question: 'How do I reset my password?', entryKey: 'e1' });
    await a.flush();
    const key = [...store.data.keys()][0];
    // Another replica's write that did not hold e1 lands after A's.
    const other = new VectorIndex({ dimensions: localEmbedder().dimensions, capacity: 10, embedderId: localEmbedder().id });
    store.data.set(key, other.serialize());
    store.versions.set(key, 'other-write');
    advance(2_001);
    await a.lookup({ namespace: ns, question: 'anything' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await a.flush();
    const reloaded = VectorIndex.load(store.data.get(key)!, { dimensions: localEmbedder().dimensions, capacity: 10, embedderId: localEmbedder().id });
    expect(reloaded.index.keys()).toEqual(['e1']);
  });

  it('writes again an entry lost to a racing write even after a third replica has written on top of the winner', async () => {
    const store = sharedStore();
    const { a, b, advance, make } = replicas(store);
    const c = make();
    await a.add({ namespace: ns, question: 'How do I reset my password?', entryKey: 'e0' });
    await a.flush();
    for (const replica of [b, c]) expect((await replica.lookup({ namespace: ns, question: 'How do I reset my password?' })).hit).toBe(true);
    // A and B write at once, each onto the copy holding e0: one of the two writes is lost.
    await a.add({ namespace: ns, question: 'Where can I download my invoices?', entryKey: 'e1' });
    await b.add({ namespace: ns, question: 'How do I close my account?', entryKey: 'e2' });
    await Promise.all([a.flush(), b.flush()]);
    expect(storedKeys(store)).toHaveLength(2);
    // C takes in the winner's copy and writes on top of it before the loser looks again.
    advance(2_001);
    await c.lookup({ namespace: ns, question: 'anything' });
    await c.add({ namespace: ns, question: 'Can I change my delivery address?', entryKey: 'e3' });
    await c.flush();
    advance(2_001);
    for (const replica of [a, b]) await replica.lookup({ namespace: ns, question: 'anything' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await Promise.all([a.flush(), b.flush()]);
    expect(storedKeys(store).sort()).toEqual(['e0', 'e1', 'e2', 'e3']);
  });

  it('does not bring back an entry this replica removed', async () => {
    const store = sharedStore();
    const { a, b, advance } = replicas(store);
    await a.add({ namespace: ns, question: 'How do I reset my password?', entryKey: 'e1' });
    await a.flush();
    expect((await b.lookup({ namespace: ns, question: 'How do I reset my password?' })).hit).toBe(true);
    await b.remove({ namespace: ns, entryKey: 'e1' });
    // A writes again (its copy still holds e1); B merges that copy and must not re-add e1.
    await a.add({ namespace: ns, question: 'Where can I download my invoices?', entryKey: 'e2' });
    await a.flush();
    advance(2_001);
    expect(await eventuallyHits(b, 'Where can I download my invoices?')).toBe(true);
    expect((await b.lookup({ namespace: ns, question: 'How do I reset my password?' })).hit).toBe(false);
  });

  it('after a purge on another replica, a replica holding the purged entries stops hitting them at its next check', async () => {
    const store = sharedStore();
    const { a, b, advance } = replicas(store);
    await a.add({ namespace: ns, question: 'How do I reset my password?', entryKey: 'e1' });
    await a.flush();
    expect((await b.lookup({ namespace: ns, question: 'how can i reset my password' })).hit).toBe(true);
    store.purge();
    advance(2_001);
    await b.lookup({ namespace: ns, question: 'anything' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await b.lookup({ namespace: ns, question: 'how can i reset my password' })).toMatchObject({ hit: false, reason: 'no similar question' });
    expect((await a.lookup({ namespace: ns, question: 'how can i reset my password' })).hit).toBe(false);
  });

  it('no replica writes purged entries back: neither one that writes after the purge nor the one that wrote them', async () => {
    const store = sharedStore();
    const { a, b, advance, make } = replicas(store);
    await a.add({ namespace: ns, question: 'How do I reset my password?', entryKey: 'e1' });
    await a.flush();
    expect((await b.lookup({ namespace: ns, question: 'How do I reset my password?' })).hit).toBe(true);
    store.purge();
    // B still holds e1 in memory when it next writes (merge before write).
    await b.add({ namespace: ns, question: 'Where can I download my invoices?', entryKey: 'e2' });
    await b.flush();
    expect(storedKeys(store)).toEqual(['e2']);
    // A wrote e1 and sees a copy without it: a purge, not a race it lost, so e1 is not written again.
    advance(2_001);
    expect(await eventuallyHits(a, 'Where can I download my invoices?')).toBe(true);
    expect((await a.lookup({ namespace: ns, question: 'How do I reset my password?' })).hit).toBe(false);
    await a.add({ namespace: ns, question: 'How do I close my account?', entryKey: 'e3' });
    await a.flush();
    expect(storedKeys(store).sort()).toEqual(['e2', 'e3']);
    // And a replica that loads the namespace now does not find e1 either.
    expect((await make().lookup({ namespace: ns, question: 'How do I reset my password?' })).hit).toBe(false);
  });

  it('an entry one replica removed (its answer was gone) is dropped by the others at their next check', async () => {
    const store = sharedStore();
    const { a, b, advance } = replicas(store);
    await a.add({ namespace: ns, question: 'How do I reset my password?', entryKey: 'e1' });
    await a.add({ namespace: ns, question: 'Where can I download my invoices?', entryKey: 'e2' });
    await a.flush();
    expect((await b.lookup({ namespace: ns, question: 'How do I reset my password?' })).hit).toBe(true);
    await b.remove({ namespace: ns, entryKey: 'e1' });
    await b.flush();
    advance(2_001);
    await a.lookup({ namespace: ns, question: 'anything' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await a.lookup({ namespace: ns, question: 'How do I reset my password?' })).hit).toBe(false);
    expect((await a.lookup({ namespace: ns, question: 'Where can I download my invoices?' })).hit).toBe(true);
  });

  it('at capacity, a replica keeps its own new entries rather than the older ones it merges before writing', async () => {
    const store = sharedStore();
    const { a, b } = replicas(store, 4);
    await b.lookup({ namespace: ns, question: 'warm up' });
    for (let n = 0; n < 4; n++) await a.add({ namespace: ns, question: `Which plan includes feature ${n}?`, entryKey: `a${n}` });
    await a.flush();
    // B, which has not seen A's entries yet, adds four newer ones and writes.
    for (let n = 0; n < 4; n++) await b.add({ namespace: ns, question: `How do I export report number ${n}?`, entryKey: `b${n}` });
    await b.flush();
    expect(storedKeys(store)).toEqual(['b0', 'b1', 'b2', 'b3']);
    expect(await b.lookup({ namespace: ns, question: 'How do I export report number 3?' })).toMatchObject({ hit: true, entryKey: 'b3' });
  });

  it('at capacity, replicas that add nothing write nothing, however many sync intervals pass', async () => {
    const store = sharedStore();
    let writes = 0;
    const counted: SemanticIndexStore = { ...store, set: async (key, value) => void (writes++, store.data.set(key, value)) };
    const { a, b, advance } = replicas(counted, 4);
    await a.lookup({ namespace: ns, question: 'warm up' });
    await b.lookup({ namespace: ns, question: 'warm up' });
    for (let n = 0; n < 4; n++) await a.add({ namespace: ns, question: `Which plan includes feature ${n}?`, entryKey: `a${n}` });
    for (let n = 0; n < 4; n++) await b.add({ namespace: ns, question: `How do I export report number ${n}?`, entryKey: `b${n}` });
    await Promise.all([a.flush(), b.flush()]);
    // The replica whose write lost the race writes once more; after that, nothing.
    for (let round = 0; round < 3; round++) {
      for (const replica of [a, b]) {
        advance(2_001);
        await replica.lookup({ namespace: ns, question: 'anything' });
        await new Promise((resolve) => setTimeout(resolve, 5));
        await replica.flush();
      }
    }
    const settled = writes;
    for (let round = 0; round < 10; round++) {
      for (const replica of [a, b]) {
        advance(2_001);
        await replica.lookup({ namespace: ns, question: 'anything' });
        await new Promise((resolve) => setTimeout(resolve, 5));
        await replica.flush();
      }
    }
    expect(writes).toBe(settled);
    expect(storedKeys(store)).toHaveLength(4);
  });

  it('syncs nothing with the interval set to 0', async () => {
    const store = sharedStore();
    const a = new SemanticCache({ embedder: localEmbedder(), store, syncIntervalMs: 0 });
    const b = new SemanticCache({ embedder: localEmbedder(), store, syncIntervalMs: 0 });
    await b.lookup({ namespace: ns, question: 'warm up' });
    await a.add({ namespace: ns, question: 'How do I reset my password?', entryKey: 'e1' });
    await a.flush();
    expect(await eventuallyHits(b, 'How do I reset my password?')).toBe(false);
  });
});
