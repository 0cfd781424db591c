import postgres from 'postgres';
import { afterAll } from 'vitest';
import { ledgerContract } from '../contract/ledger-contract.ts';
import { requireService, testPostgresUrl } from '../contract/require-service.ts';
import { uniqueRunId } from '../contract/store-fixture.ts';
import { PostgresLedgerStore } from './postgres-ledger-store.ts';

const available = await requireService('PostgreSQL', testPostgresUrl);
const admin = available ? postgres(testPostgresUrl, { onnotice: () => {}, max: 1 }) : undefined;
const runId = uniqueRunId();
let fixtureNumber = 0;

afterAll(async () => {
  await admin?.end({ timeout: 5 });
});

ledgerContract(
  'postgres',
  () => {
    // One schema per test, so tests (and parallel runs on the same server) never see each other's rows.
    const schema = `frugal_test_${runId}_${fixtureNumber++}`;
    return {
      persistent: true,
      open: () => PostgresLedgerStore.open({ url: testPostgresUrl, schema }),
      destroy: async () => {
        await admin?.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      },
    };
  },
  { skip: !available },
);
