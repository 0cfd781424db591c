import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';
import { routeRegistrars } from '../src/server/register-extensions.ts';
import { requireAdmin } from '../src/server/admin-guard.ts';
import { sendJson } from '../src/server/http-exchange.ts';
import { makeAttempt, makeLedgerRecord } from '../src/reports/testing/make-ledger-record.ts';
import type { LedgerRecord } from '../src/store/types.ts';

const CHROMIUM = '/usr/bin/chromium';
const ADMIN_KEY = 'admin-key-for-dashboard-test';
const SCREENSHOT = join(import.meta.dirname, '..', 'test-artifacts', 'dashboard.png');
const chromiumPresent = existsSync(CHROMIUM);

if (!chromiumPresent) {
  if (process.env.CI === 'true') throw new Error(`The dashboard test needs Debian's Chromium at ${CHROMIUM} (apt-get install -y chromium); CI must not skip it.`);
  console.warn(`\n*** SKIPPING the dashboard browser test: no Chromium at ${CHROMIUM}. Install it with: apt-get install -y chromium ***\n`);
}

/** The colours the dashboard draws each chart's data in (web/dashboard.js COLORS), as RGB. */
const CHART_COLORS: Record<string, [number, number, number]> = {
  'spend-over-time': [37, 99, 235],
  'spend-by-feature': [37, 99, 235],
  'spend-by-model': [37, 99, 235],
  'spend-by-key': [37, 99, 235],
  'savings-by-lever': [22, 163, 74],
  'cache-hit-rate': [8, 145, 178],
  'escalation-rate': [217, 119, 6],
  // The dashed limit line: drawn whenever there is a budget, whatever its spend.
  budgets: [55, 65, 81],
};
const SPENT_RED: [number, number, number] = [220, 38, 38];

// Until the budgets capability serves GET /admin/budgets, stand in for it with its agreed shape
// (registered last, so a real endpoint wins when it exists).
routeRegistrars.push((router, gateway) => {
  if (router.match('GET', '/admin/budgets').handler) return;
  router.on('GET', '/admin/budgets', ({ request, response }) => {
    requireAdmin(gateway, request.headers, request.socket.remoteAddress);
    const periodEnd = new Date(Date.now() + 86_400_000).toISOString();
    sendJson(response, 200, {
      data: [
        { name: 'feature=support (day)', limit_nano: 5_000_000_000, spent_nano: 3_100_000_000, reserved_nano: 400_000_000, period_end: periodEnd },
        { name: 'key_ops (month)', limit_nano: 20_000_000_000, spent_nano: 4_000_000_000, reserved_nano: 0, period_end: periodEnd },
      ],
    });
  });
});

/** A week of varied traffic: features, models, keys, cache hits, cascades, rejections and simulated answers. */
function weekOfRecords(now: number): LedgerRecord[] {
  const features = ['support', 'search', 'onboarding', 'summaries'];
  const models = ['gpt-4o-mini', 'claude-sonnet', 'qwen3-8b'];
  const records: LedgerRecord[] = [];
  for (let index = 0; index < 160; index++) {
    const time = now - 7 * 86_400_000 + Math.floor((index + 0.5) * (7 * 86_400_000 - 3_600_000) / 160);
    const cost = 150_000 + ((index * 7_919) % 50) * 60_000;
    const hit = index % 5 === 0;
    const escalated = index % 7 === 3;
    const servedModel = models[index % 3];
    records.push(makeLedgerRecord({
      id: `seed_${String(index).padStart(4, '0')}`,
      time,
      tags: { feature: features[index % 4] },
      keyId: ['key_web', 'key_ops', 'key_batch'][index % 3],
      route: index % 2 === 0 ? 'auto' : null,
      requestedModel: 'gpt-4o',
      servedModel,
      simulated: index % 9 === 0,
      costNano: hit ? 0 : cost,
      baselineCostNano: hit ? 2_000_000 : cost + 900_000 + (index % 2) * 300_000,
      savingsNano: hit ? { cache: 2_000_000 } : { routing: 600_000, compression: 300_000, ...(index % 2 ? { prompt_cache: 300_000 } : {}) },
      cacheStatus: hit ? 'hit' : 'miss',
      attempts: escalated
        ? [makeAttempt({ purpose: 'tier', tier: 0, model: 'qwen3-8b', status: 'rejected', costNano: 20_000 }), makeAttempt({ purpose: 'tier', tier: 1, model: servedModel, costNano: cost - 20_000 })]
        : [makeAttempt({ model: servedModel, costNano: cost })],
      trace: [
        { stage: 'route', detail: `task chat → ${servedModel}`, data: { score: 0.87, candidates: models } },
        ...(escalated ? [{ stage: 'cascade', detail: 'tier 0 answer failed the check; escalated' }] : []),
      ],
    }));
  }
  records.push(makeLedgerRecord({ id: 'seed_rejected', time: now - 3_600_000, status: 'error', httpStatus: 429, errorCode: 'budget_exceeded', servedModel: null, cacheStatus: 'bypass' }));
  return records;
}

describe.skipIf(!chromiumPresent)('dashboard in headless Chromium', () => {
  let upstream: FakeUpstream;
  let frugal: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    upstream = await startFakeOpenAI({ apiKey: 'sk-upstream-000000' });
    frugal = await startTestGateway({
      auth: { admin_key: ADMIN_KEY },
      providers: {
        primary: { type: 'openai-compatible', base_url: upstream.url, api_key: 'sk-upstream-000000' },
        sim: { type: 'simulated' },
      },
      models: {
        'gpt-4o': { provider: 'primary', upstream_model: 'gpt-4o', price: { input: 2.5, output: 10 } },
        'sim-mini': { provider: 'sim', upstream_model: 'gpt-4o-mini', price: { input: 0.15, output: 0.6 } },
      },
      ledger: { flush_interval_ms: 20 },
      // Soft, so nothing is refused; small, so the seeding requests burn a visible share.
      budgets: [
        { scope: 'tag', tag: 'feature=support', limit_usd: 0.0005, period: 'day', mode: 'soft' },
        { scope: 'global', limit_usd: 0.002, period: 'month', mode: 'soft' },
      ],
    });
    await frugal.gateway.stores.ledger.append(weekOfRecords(Date.now()));
    // Real requests too, through the gateway to a fake upstream and to the simulated provider.
    for (const [model, feature] of [['gpt-4o', 'chat-widget'], ['gpt-4o', 'support'], ['sim-mini', 'search']]) {
      const response = await fetch(`${frugal.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-frugal-tags': `feature=${feature}` },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: `A question about ${feature} that needs a long answer.` }] }),
      });
      expect(response.status).toBe(200);
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await frugal?.close();
    await upstream?.close();
  });

  async function openPage(problems: string[]): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('console', (message) => message.type() === 'error' && problems.push(`console: ${message.text()}`));
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
    return page;
  }

  it('asks for the admin key, then draws every chart and the request table from /admin data', async () => {
    const problems: string[] = [];
    const page = await openPage(problems);
    await page.goto(`${frugal.url}/dashboard`);
    await page.locator('#login-form').waitFor({ state: 'visible' });
    await page.fill('#admin-key', ADMIN_KEY);
    await page.click('#login-form button[type="submit"]');
    await page.waitForSelector('body[data-loaded="true"]');
    expect(await page.locator('#login').isVisible()).toBe(false);

    const drawn = await page.evaluate((colors) => {
      const result: Record<string, { canvas: boolean; coloured: number }> = {};
      for (const [key, [red, green, blue]] of Object.entries(colors)) {
        const name = key.split('/')[0];
        const canvas = document.querySelector<HTMLCanvasElement>(`[data-chart="${name}"] canvas`);
        if (!canvas) {
          result[key] = { canvas: false, coloured: 0 };
          continue;
        }
        const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let coloured = 0;
        for (let offset = 0; offset < pixels.length; offset += 4) {
          if (pixels[offset + 3] > 200 && Math.abs(pixels[offset] - red) < 40 && Math.abs(pixels[offset + 1] - green) < 40 && Math.abs(pixels[offset + 2] - blue) < 40) coloured++;
        }
        result[key] = { canvas: true, coloured };
      }
      return result;
    }, { ...CHART_COLORS, 'budgets/spent': SPENT_RED });
    const budgets = (await (await fetch(`${frugal.url}/admin/budgets`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json()) as { data: { spent_nano: number }[] };
    expect(budgets.data.length).toBeGreaterThan(0);
    const budgetsSpent = budgets.data.some((budget) => budget.spent_nano > 0);
    if (!budgetsSpent) delete drawn['budgets/spent'];
    for (const [name, chart] of Object.entries(drawn)) {
      expect(chart.canvas, `${name} has a canvas`).toBe(true);
      // Enough pixels in the data colour that the series was drawn, not only axes and grid.
      expect(chart.coloured, `${name} drew its data`).toBeGreaterThan(50);
    }

    await expect(page.locator('#simulated').textContent()).resolves.toMatch(/Simulated traffic: \d+ of 164 requests/);
    expect(await page.locator('#kpi-requests').textContent()).toBe('164');
    const rows = page.locator('#requests tr.request');
    expect(await rows.count()).toBe(25);
    // Most expensive first: the first row costs at least as much as the second.
    const costs = await page.locator('#requests tr.request td:nth-child(5)').allTextContents();
    expect(Number(costs[0].slice(1))).toBeGreaterThanOrEqual(Number(costs[1].slice(1)));
    await rows.first().click();
    const detail = page.locator('#requests tr.detail').first();
    await expect(detail.isVisible()).resolves.toBe(true);
    await expect(detail.textContent()).resolves.toMatch(/Decision trace.*route — task chat →/s);

    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('refuses a wrong admin key and keeps the data behind it', async () => {
    const unauthenticated = await fetch(`${frugal.url}/admin/summary`);
    expect(unauthenticated.status).toBe(401);
    const problems: string[] = [];
    const page = await openPage(problems);
    await page.goto(`${frugal.url}/dashboard`);
    await page.fill('#admin-key', 'not-the-admin-key');
    await page.click('#login-form button[type="submit"]');
    await page.locator('#login-error').waitFor({ state: 'visible' });
    expect(await page.locator('#login-error').textContent()).toBe('That admin key was refused.');
    expect(await page.locator('#content').isVisible()).toBe(false);
    // The only errors are the refused /admin calls themselves.
    expect(problems.every((problem) => problem.includes('401'))).toBe(true);
    await page.close();
  });
});
