import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll } from 'vitest';
import { requireService, testPostgresUrl } from '../../store/contract/require-service.ts';
import { uniqueRunId } from '../../store/contract/store-fixture.ts';
import { jobStoreContract } from './job-store-contract.ts';
import { PostgresJobStore } from './postgres-job-store.ts';
import { SqliteJobStore } from './sqlite-job-store.ts';

jobStoreContract('sqlite', () => {
  const directory = mkdtempSync(join(tmpdir(), 'frugal-jobs-'));
  return {
    persistent: true,
    open: async () => new SqliteJobStore({ path: join(directory, 'batches.db') }),
    destroy: async () => rmSync(directory, { recursive: true, force: true }),
  };
});

const available = await requireService('PostgreSQL', testPostgresUrl);
const admin = available ? postgres(testPostgresUrl, { onnotice: () => {}, max: 1 }) : undefined;
const runId = uniqueRunId();
let fixtureNumber = 0;
afterAll(async () => {
  await admin?.end({ timeout: 5 });
});

jobStoreContract(
  'postgres',
  () => {
    const schema = `frugal_jobs_${runId}_${fixtureNumber++}`;
    return {
      persistent: true,
      open: () => PostgresJobStore.open({ url: testPostgresUrl, schema }),
      destroy: async () => {
        await admin?.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      },
    };
  },
  { skip: !available },
);
