import { describe, expect, it, vi } from 'vitest';
import type { Embedder } from './embedder.ts';
import { localEmbedder } from './local-embedder.ts';
import { SemanticCache, type SemanticCacheProblem, type SemanticIndexStore } from './semantic-cache.ts';

function memoryStore(): SemanticIndexStore & { data: Map<string, Uint8Array | string> } {
  const data = new Map<string, Uint8Array | string>();
  return { data, get: async (key) => data.get(key), set: async (key, value) => void data.set(key, value) };
}

async function cacheWith(questions: Record<string, string>, options: Partial<ConstructorParameters<typeof SemanticCache>[0]> = {}) {
  const cache = new SemanticCache({ embedder: localEmbedder(), ...options });
  for (const [entryKey, question] of Object.entries(questions)) await cache.add({ namespace: 'tenant-a', question, entryKey });
  return cache;
}

describe('SemanticCache', () => {
  it.each([
    ['How do I reset my password?', 'how can i reset my password'],
    ['How do I cancel my subscription?', 'How can I cancel my subscriptions?'],
    ['What are the opening hours of the store?', 'What are the store opening hours?'],
  ])('answers a reworded question from the stored one: "%s" ~ "%s"', async (stored, asked) => {
    const cache = await cacheWith({ 'entry-1': stored });
    const found = await cache.lookup({ namespace: 'tenant-a', question: asked });
    expect(found).toMatchObject({ hit: true, entryKey: 'entry-1', matchedQuestion: stored, costNano: 0 });
  });

  it.each([
    ['Can I get a refund within 30 days?', 'Can I get a refund within 60 days?'],
    ['What were the sales in March 2024?', 'What were the sales in May 2024?'],
    ['How do I install Python on Windows?', 'How do I install Python on Mac?'],
    ['Can I pay with a credit card?', "Can't I pay with a credit card?"],
    ['Should I buy bitcoin now?', 'Should I sell bitcoin now?'],
  ])('never answers a question that differs in a number, date, entity, negation or direction: "%s" vs "%s"', async (stored, asked) => {
    const cache = await cacheWith({ 'entry-1': stored });
    const found = await cache.lookup({ namespace: 'tenant-a', question: asked, threshold: 0.5 });
    expect(found.hit).toBe(false);
    if (!found.hit) expect(found.reason).toMatch(/^vetoed|no similar/);
  });

  it('never answers from another namespace (tenant, model or context)', async () => {
    const cache = await cacheWith({ 'entry-1': 'How do I reset my password?' });
    expect((await cache.lookup({ namespace: 'tenant-b', question: 'How do I reset my password?' })).hit).toBe(false);
    expect((await cache.lookup({ namespace: 'tenant-a', question: 'How do I reset my password?' })).hit).toBe(true);
  });

  it('lets a verifier reject a hit and charges its cost either way', async () => {
    const verifier = vi.fn(async () => ({ same: false, costNano: 150 }));
    const cache = await cacheWith({ 'entry-1': 'How do I reset my password?' }, { verifier });
    const found = await cache.lookup({ namespace: 'tenant-a', question: 'how can i reset my password' });
    expect(found).toMatchObject({ hit: false, reason: 'verifier said different', costNano: 150 });
    expect(verifier).toHaveBeenCalledWith('How do I reset my password?', 'how can i reset my password');
  });

  it('charges the upstream embedder for lookups and reuses the lookup vector on add', async () => {
    const local = localEmbedder();
    const embed = vi.fn(async (texts: string[]) => ({ vectors: (await local.embed(texts)).vectors, costNano: 7 }));
    const paid: Embedder = { id: 'paid', dimensions: local.dimensions, embed };
    const cache = new SemanticCache({ embedder: paid });
    const miss = await cache.lookup({ namespace: 'n', question: 'Where is my parcel?' });
    expect(miss).toMatchObject({ hit: false, costNano: 7 });
    const added = await cache.add({ namespace: 'n', question: 'Where is my parcel?', entryKey: 'e', vector: miss.hit ? undefined : miss.vector });
    expect(added.costNano).toBe(0);
    expect(embed).toHaveBeenCalledTimes(1);
  });

  it('turns embedder failures into a reported miss', async () => {
    const problems: SemanticCacheProblem[] = [];
    const broken: Embedder = { id: 'broken', dimensions: 4, embed: async () => { throw new Error('upstream 503'); } };
    const cache = new SemanticCache({ embedder: broken, onProblem: (problem) => problems.push(problem) });
    await expect(cache.lookup({ namespace: 'n', question: 'Hello?' })).resolves.toMatchObject({ hit: false, reason: 'embedding failed' });
    expect(problems[0].message).toContain('upstream 503');
  });

  it('persists namespaces through the store and loads them in a new instance', async () => {
    const store = memoryStore();
    const first = await cacheWith({ 'entry-1': 'How do I reset my password?' }, { store });
    await first.flush();
    expect(store.data.size).toBe(1);
    const second = new SemanticCache({ embedder: localEmbedder(), store });
    expect(await second.lookup({ namespace: 'tenant-a', question: 'how can i reset my password' })).toMatchObject({ hit: true, entryKey: 'entry-1' });
  });

  it('reports corrupt stored data, treats it as empty and keeps working', async () => {
    const store = memoryStore();
    const problems: SemanticCacheProblem[] = [];
    const first = await cacheWith({ 'entry-1': 'How do I reset my password?' }, { store });
    await first.flush();
    const [key, bytes] = [...store.data][0];
    const corrupted = Uint8Array.from(bytes as Uint8Array);
    corrupted[corrupted.length - 10] ^= 0x55;
    store.data.set(key, corrupted);
    const second = new SemanticCache({ embedder: localEmbedder(), store, onProblem: (problem) => problems.push(problem) });
    const found = await second.lookup({ namespace: 'tenant-a', question: 'How do I reset my password?' });
    expect(found.hit).toBe(false);
    expect(problems).toEqual([{ namespace: key, message: expect.stringContaining('checksum') }]);
    await second.add({ namespace: 'tenant-a', question: 'How do I reset my password?', entryKey: 'entry-2' });
    expect(await second.lookup({ namespace: 'tenant-a', question: 'How do I reset my password?' })).toMatchObject({ hit: true, entryKey: 'entry-2' });
  });

  it('bounds each namespace and forgets the least recently used question', async () => {
    const cache = await cacheWith(
      { one: 'How do I reset my password?', two: 'Where is my parcel?', three: 'Can I change my delivery address?' },
      { capacityPerNamespace: 2 },
    );
    expect(await cache.size('tenant-a')).toBe(2);
    expect((await cache.lookup({ namespace: 'tenant-a', question: 'How do I reset my password?' })).hit).toBe(false);
    expect((await cache.lookup({ namespace: 'tenant-a', question: 'Where is my parcel?' })).hit).toBe(true);
  });
});
