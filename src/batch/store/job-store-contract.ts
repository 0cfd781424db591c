import { describe, expect, it } from 'vitest';
import { storeHarness, type StoreFixture, type StoreFixtureFactory } from '../../store/contract/store-fixture.ts';
import type { BatchRecord, JobStore } from './job-store.ts';

/** A batch record for contract tests. */
export function sampleBatch(id: string, tenant = 'acme', lines = 3): BatchRecord {
  return {
    id, tenant, keyId: null, endpoint: '/v1/chat/completions', inputFileId: `file-${id}`, completionWindow: '24h',
    status: 'in_progress', createdAt: 1_700_000_000, expiresAt: 1_700_086_400, inProgressAt: 1_700_000_000,
    finalizingAt: null, completedAt: null, failedAt: null, expiredAt: null, cancellingAt: null, cancelledAt: null,
    outputFileId: null, errorFileId: null, metadata: { job: 'nightly' }, errors: null, total: lines,
  };
}

function sampleLines(count: number) {
  return Array.from({ length: count }, (_, index) => ({
    lineNumber: index + 1,
    customId: `row-${index + 1}`,
    url: '/v1/chat/completions',
    request: { model: 'm', messages: [{ role: 'user', content: `question ${index + 1}` }] },
  }));
}

/** Behaviour every JobStore backend must show (SQLite, PostgreSQL). */
export function jobStoreContract(name: string, factory: StoreFixtureFactory<JobStore>, options: { skip?: boolean } = {}): void {
  describe.skipIf(options.skip === true)(`JobStore contract: ${name}`, () => {
    const harness = storeHarness<JobStore, StoreFixture<JobStore>>(factory);
    const { open } = harness;

    it('keeps files per tenant: another tenant neither sees nor deletes them', async () => {
      const store = await open();
      await store.putFile({ id: 'file-1', tenant: 'acme', filename: 'in.jsonl', purpose: 'batch', bytes: 5, createdAt: 1 }, 'hello');
      expect(await store.getFileContent('acme', 'file-1')).toBe('hello');
      expect((await store.getFile('acme', 'file-1'))?.filename).toBe('in.jsonl');
      expect(await store.getFile('other', 'file-1')).toBeUndefined();
      expect(await store.getFileContent('other', 'file-1')).toBeUndefined();
      expect(await store.listFiles('other')).toEqual([]);
      expect(await store.deleteFile('other', 'file-1')).toBe(false);
      expect(await store.deleteFile('acme', 'file-1')).toBe(true);
      expect(await store.getFile('acme', 'file-1')).toBeUndefined();
    });

    it('stores a batch with its lines and lists batches per tenant, newest first, with a cursor', async () => {
      const store = await open();
      await store.createBatch({ ...sampleBatch('batch_a'), createdAt: 10 }, sampleLines(3));
      await store.createBatch({ ...sampleBatch('batch_b'), createdAt: 20 }, sampleLines(2));
      await store.createBatch({ ...sampleBatch('batch_c', 'other'), createdAt: 30 }, sampleLines(1));
      expect((await store.getBatch('acme', 'batch_a'))?.metadata).toEqual({ job: 'nightly' });
      expect(await store.getBatch('other', 'batch_a')).toBeUndefined();
      expect((await store.listBatches('acme', { limit: 10 })).map((batch) => batch.id)).toEqual(['batch_b', 'batch_a']);
      expect((await store.listBatches('acme', { limit: 10, after: 'batch_b' })).map((batch) => batch.id)).toEqual(['batch_a']);
      expect((await store.lines('batch_a')).map((line) => line.customId)).toEqual(['row-1', 'row-2', 'row-3']);
      expect((await store.countLines('batch_a')).pending).toBe(3);
    });

    it('pages backwards with before, filters by endpoint, and deletes a batch with its lines for its tenant only', async () => {
      const store = await open();
      for (const [index, id] of ['batch_1', 'batch_2', 'batch_3', 'batch_4'].entries()) {
        await store.createBatch({ ...sampleBatch(id), createdAt: 10 + index, endpoint: index % 2 === 0 ? '/v1/messages' : '/v1/chat/completions' }, sampleLines(2));
      }
      expect((await store.listBatches('acme', { limit: 2, before: 'batch_1' })).map((batch) => batch.id)).toEqual(['batch_3', 'batch_2']);
      expect((await store.listBatches('acme', { limit: 10, endpoint: '/v1/messages' })).map((batch) => batch.id)).toEqual(['batch_3', 'batch_1']);
      expect((await store.listBatches('acme', { limit: 10, excludeEndpoint: '/v1/messages' })).map((batch) => batch.id)).toEqual(['batch_4', 'batch_2']);
      expect((await store.listBatches('acme', { limit: 10, endpoint: '/v1/messages', before: 'batch_1' })).map((batch) => batch.id)).toEqual(['batch_3']);
      expect(await store.deleteBatch('other', 'batch_1')).toBe(false);
      expect(await store.deleteBatch('acme', 'batch_1')).toBe(true);
      expect(await store.deleteBatch('acme', 'batch_1')).toBe(false);
      expect(await store.getBatch('acme', 'batch_1')).toBeUndefined();
      expect(await store.lines('batch_1')).toEqual([]);
      expect(await store.lines('batch_2')).toHaveLength(2);
    });

    it('changes a batch only from the expected status', async () => {
      const store = await open();
      await store.createBatch(sampleBatch('batch_t'), sampleLines(1));
      expect(await store.transitionBatch('batch_t', ['validating'], { status: 'failed' })).toBe(false);
      expect(await store.transitionBatch('batch_t', ['in_progress'], { status: 'finalizing', finalizingAt: 5 })).toBe(true);
      const batch = await store.getBatch('acme', 'batch_t');
      expect(batch?.status).toBe('finalizing');
      expect(batch?.finalizingAt).toBe(5);
      expect((await store.listActiveBatches()).map((active) => active.id)).toEqual(['batch_t']);
    });

    it('never hands one line to two claimers, even when they claim at once', async () => {
      const first = await open();
      const second = await open();
      await first.createBatch(sampleBatch('batch_c', 'acme', 40), sampleLines(40));
      const claims = await Promise.all([
        first.claimLines('worker-1', 25, 60_000),
        second.claimLines('worker-2', 25, 60_000),
        first.claimLines('worker-3', 25, 60_000),
      ]);
      const numbers = claims.flat().map((line) => line.lineNumber);
      expect(numbers.length).toBe(40);
      expect(new Set(numbers).size).toBe(40);
      expect(claims.flat()[0].tenant).toBe('acme');
      expect(await first.claimLines('worker-4', 10, 60_000)).toEqual([]);
    });

    it('finishes a line once, only while its claimer still holds it', async () => {
      const store = await open();
      await store.createBatch(sampleBatch('batch_f', 'acme', 1), sampleLines(1));
      const [line] = await store.claimLines('worker-1', 1, 60_000);
      const key = { batchId: line.batchId, lineNumber: line.lineNumber };
      expect(await store.finishLine(key, { status: 'running', owner: 'worker-2' }, { status: 'done', output: { a: 1 } })).toBe(false);
      expect(await store.finishLine(key, { status: 'running', owner: 'worker-1' }, { status: 'done', output: { a: 1 } })).toBe(true);
      expect(await store.finishLine(key, { status: 'running', owner: 'worker-1' }, { status: 'done', output: { a: 2 } })).toBe(false);
      expect((await store.lines('batch_f'))[0].output).toEqual({ a: 1 });
      expect((await store.countLines('batch_f')).done).toBe(1);
    });

    it('gives the line of a claimer whose lease ran out to another, and the late claimer cannot finish it', async () => {
      const store = await open();
      await store.createBatch(sampleBatch('batch_l', 'acme', 1), sampleLines(1));
      const [line] = await store.claimLines('crashed', 1, 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const [again] = await store.claimLines('survivor', 1, 60_000);
      expect(again.lineNumber).toBe(line.lineNumber);
      expect(again.attempts).toBe(2);
      const key = { batchId: line.batchId, lineNumber: line.lineNumber };
      expect(await store.finishLine(key, { status: 'running', owner: 'crashed' }, { status: 'done', output: {} })).toBe(false);
      expect(await store.finishLine(key, { status: 'running', owner: 'survivor' }, { status: 'done', output: {} })).toBe(true);
    });

    it('does not claim lines of batches that are not in progress', async () => {
      const store = await open();
      await store.createBatch({ ...sampleBatch('batch_v'), status: 'validating' }, sampleLines(2));
      expect(await store.claimLines('worker', 5, 60_000)).toEqual([]);
    });

    it('tracks provider jobs and closes open lines as cancelled', async () => {
      const store = await open();
      await store.createBatch(sampleBatch('batch_p', 'acme', 3), sampleLines(3));
      await store.assignProviderJob('batch_p', [1, 2], 'openai:batch_x');
      expect(await store.openProviderJobs('batch_p')).toEqual(['openai:batch_x']);
      expect((await store.lines('batch_p', { providerJob: 'openai:batch_x' })).map((line) => line.lineNumber)).toEqual([1, 2]);
      const key = { batchId: 'batch_p', lineNumber: 1 };
      expect(await store.finishLine(key, { status: 'provider', providerJob: 'openai:batch_x' }, { status: 'done', output: { ok: true } })).toBe(true);
      const closed = await store.closeOpenLines('batch_p', ['pending', 'provider'], 'cancelled', (line) => ({ custom_id: line.customId }));
      expect(closed).toBe(2);
      const counts = await store.countLines('batch_p');
      expect(counts).toMatchObject({ done: 1, cancelled: 2, pending: 0, provider: 0 });
      expect((await store.lines('batch_p', { status: 'cancelled' })).map((line) => line.output)).toEqual([{ custom_id: 'row-2' }, { custom_id: 'row-3' }]);
    });

    it('leases a batch to one owner at a time', async () => {
      const store = await open();
      await store.createBatch(sampleBatch('batch_o'), sampleLines(1));
      expect(await store.leaseBatch('batch_o', 'a', 60_000)).toBe(true);
      expect(await store.leaseBatch('batch_o', 'b', 60_000)).toBe(false);
      expect(await store.leaseBatch('batch_o', 'a', 1)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await store.leaseBatch('batch_o', 'b', 60_000)).toBe(true);
    });
  });
}
