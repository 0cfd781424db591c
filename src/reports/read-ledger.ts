import type { LedgerQuery, LedgerRecord, LedgerStore } from '../store/types.ts';

/** Which records to read: a time window (`since` inclusive, `until` exclusive) and optional owner. */
export type LedgerFilter = Pick<LedgerQuery, 'since' | 'until' | 'tenant' | 'keyId'>;

const DEFAULT_PAGE_SIZE = 2_000;

/**
 * Yields every record matching `filter`, newest first, reading the store a page at a time so a
 * month of traffic is never held in memory at once.
 *
 * Pages are cut by time (`until` = the oldest time seen), which every backend indexes. Records
 * sharing that oldest millisecond may straddle the page boundary, so they are held back and read
 * again at the start of the next page; a page made of one millisecond only is re-read with a
 * bigger limit until it is whole. Each record is yielded exactly once.
 */
export async function* readLedger(store: LedgerStore, filter: LedgerFilter = {}, pageSize = DEFAULT_PAGE_SIZE): AsyncGenerator<LedgerRecord> {
  let until = filter.until;
  let limit = pageSize;
  for (;;) {
    const page = await store.query({ ...filter, until, limit, orderBy: 'time' });
    if (page.length < limit) {
      yield* page;
      return;
    }
    const oldest = page[page.length - 1].time;
    const complete = page.filter((record) => record.time !== oldest);
    if (complete.length === 0) {
      // Every record of this page has the same time: widen the page rather than skip any.
      limit *= 2;
      continue;
    }
    yield* complete;
    // `time < oldest + 1` reads the held-back millisecond again, whole, then continues below it.
    until = oldest + 1;
    limit = pageSize;
  }
}
