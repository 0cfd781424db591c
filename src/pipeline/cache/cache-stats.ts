import type { RequestContext } from '../types.ts';

type Status = RequestContext['cacheStatus'];

/** One row of `GET /admin/cache/stats`. */
export interface CacheStatsRow {
  tenant: string;
  route: string;
  hits: number;
  semantic_hits: number;
  misses: number;
  bypass: number;
  /** (hits + semantic hits) / (hits + semantic hits + misses); bypassed requests are not counted. */
  hit_rate: number;
}

/**
 * Cache outcomes per tenant and model/route since this process started. Each replica counts its
 * own requests; the ledger (cacheStatus per record) holds the durable, fleet-wide history.
 */
export class CacheStats {
  readonly since = Date.now();
  readonly #rows = new Map<string, { tenant: string; route: string; counts: Record<Status, number> }>();

  record(tenant: string, route: string, status: Status): void {
    const key = `${tenant}\u0000${route}`;
    let row = this.#rows.get(key);
    if (!row) {
      row = { tenant, route, counts: { hit: 0, 'semantic-hit': 0, miss: 0, bypass: 0 } };
      this.#rows.set(key, row);
    }
    row.counts[status] += 1;
  }

  rows(filter: { tenant?: string; route?: string } = {}): CacheStatsRow[] {
    const rows: CacheStatsRow[] = [];
    for (const { tenant, route, counts } of this.#rows.values()) {
      if (filter.tenant !== undefined && filter.tenant !== tenant) continue;
      if (filter.route !== undefined && filter.route !== route) continue;
      const served = counts.hit + counts['semantic-hit'];
      const lookups = served + counts.miss;
      rows.push({ tenant, route, hits: counts.hit, semantic_hits: counts['semantic-hit'], misses: counts.miss, bypass: counts.bypass, hit_rate: lookups === 0 ? 0 : served / lookups });
    }
    return rows.sort((left, right) => left.tenant.localeCompare(right.tenant) || left.route.localeCompare(right.route));
  }
}
