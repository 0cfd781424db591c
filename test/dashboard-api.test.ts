import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';
import { seededRecords } from '../src/reports/testing/seeded-records.ts';

const ADMIN_KEY = 'admin-key-for-api-test';
const WINDOW = `since=2025-01-01&until=2025-01-03`;
let frugal: TestGateway;

beforeAll(async () => {
  frugal = await startTestGateway({ auth: { admin_key: ADMIN_KEY } });
  await frugal.gateway.stores.ledger.append(seededRecords());
});

afterAll(async () => {
  await frugal?.close();
});

const admin = (path: string, key: string | null = ADMIN_KEY) => fetch(`${frugal.url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

describe('admin APIs behind the dashboard', () => {
  it('GET /admin/summary gives exact totals, breakdowns and a series for the window', async () => {
    const response = await admin(`/admin/summary?${WINDOW}`);
    expect(response.status).toBe(200);
    const summary = await response.json();
    expect(summary.totals).toMatchObject({ requests: 5, cost_nano: 3_001_235_074, cost_usd: '3.001235074', baseline_cost_usd: '4.015002001', savings_usd: '1.013766927' });
    expect(summary.by_feature.map((row: { group: string }) => row.group)).toEqual(['search', 'support', '(none)']);
    expect(summary.by_key.map((row: { group: string }) => row.group)).toEqual(['key_b', 'key_a', '(none)']);
    expect(summary.by_lever[0]).toMatchObject({ group: 'cascade', savings_usd: '0.999999993' });
    expect(summary.cache_hit_rate).toBe(0.25);
    expect(summary.escalation_rate).toBe(0.2);
    expect(summary.simulated_requests).toBe(1);
    expect(summary.series.time).toHaveLength(48);
  });

  it('GET /admin/requests lists the most expensive first, each with its attempts and decision trace', async () => {
    const response = await admin(`/admin/requests?order=cost&limit=2&${WINDOW}`);
    expect(response.status).toBe(200);
    const list = await response.json();
    expect(list.data.map((record: { id: string }) => record.id)).toEqual(['req_b1', 'req_a1']);
    expect(list.data[0].cost_usd).toBe('3.000000007');
    expect(list.data[0].attempts.map((attempt: { tier: number }) => attempt.tier)).toEqual([0, 1]);
    expect(list.data[0].trace[0].detail).toContain('escalated');
    const latest = await (await admin(`/admin/requests?order=time&${WINDOW}`)).json();
    expect(latest.data.map((record: { id: string }) => record.id)).toEqual(['req_b2', 'req_c1', 'req_b1', 'req_a2', 'req_a1']);
  });

  it('says which query parameter is wrong', async () => {
    const badOrder = await admin('/admin/requests?order=price');
    expect(badOrder.status).toBe(400);
    expect((await badOrder.json()).error.param).toBe('order');
    const badSince = await admin('/admin/summary?since=yesterday');
    expect(badSince.status).toBe(400);
    expect((await badSince.json()).error.message).toContain('30d');
    expect((await admin('/admin/requests?limit=100000')).status).toBe(400);
  });

  it('keeps the data, /metrics included, behind the admin key while the page shell is public', async () => {
    for (const path of ['/admin/summary', '/admin/requests', '/metrics']) {
      expect((await admin(path, null)).status, path).toBe(401);
      expect((await admin(path, 'wrong-key-000000')).status, path).toBe(401);
      expect((await admin(path)).status, path).toBe(200);
    }
    // The refusal says which key is wanted: a virtual key is the usual mistake.
    expect((await (await admin('/admin/summary', null)).json()).error.message).toMatch(/needs the admin key \(FRUGAL_ADMIN_KEY or auth\.admin_key\)/);
    expect((await (await admin('/admin/summary', 'wrong-key-000000')).json()).error.message).toMatch(/^Invalid admin key\..*not a gateway or virtual key/);
    const page = await fetch(`${frugal.url}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('content="key"');
    expect(html).not.toMatch(/https?:\/\//);
    const uplot = await fetch(`${frugal.url}/dashboard/assets/uplot.js`);
    expect(uplot.status).toBe(200);
    expect(await uplot.text()).toContain('uPlot');
    expect((await fetch(`${frugal.url}/dashboard/assets/..%2Fpackage.json`)).status).toBe(404);
  });
});
