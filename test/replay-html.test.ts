import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { parseConfigText } from '../src/config/load-config.ts';
import { replayHtml } from '../src/replay/replay-html.ts';
import { runReplay } from '../src/replay/run-replay.ts';

const CHROMIUM = '/usr/bin/chromium';
const chromiumPresent = existsSync(CHROMIUM);
if (!chromiumPresent) {
  if (process.env.CI === 'true') throw new Error(`The replay report test needs Debian's Chromium at ${CHROMIUM} (apt-get install -y chromium); CI must not skip it.`);
  console.warn(`\n*** SKIPPING the replay HTML browser test: no Chromium at ${CHROMIUM}. Install it with: apt-get install -y chromium ***\n`);
}

const CONFIG = `
providers:
  simulated: { type: simulated }
models:
  big: { provider: simulated, price: { input: "2.50", output: "10.00" } }
  small: { provider: simulated, price: { input: "0.01", output: "0.02" } }
routes:
  cheap: { baseline: big, default: small }
`;

function exchange(model: string, question: string, feature: string): string {
  return JSON.stringify({
    request: { model, messages: [{ role: 'user', content: question }] },
    response: { id: 'x', model: 'big', choices: [{ index: 0, message: { role: 'assistant', content: 'An answer.' }, finish_reason: 'stop' }], usage: { prompt_tokens: 500, completion_tokens: 100 } },
    tags: { feature },
  });
}

const workDir = mkdtempSync(join(tmpdir(), 'replay-html-'));
let browser: Browser | undefined;

beforeAll(async () => {
  if (!chromiumPresent) return;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  rmSync(workDir, { recursive: true, force: true });
});

describe.skipIf(!chromiumPresent)('the replay HTML report in headless Chromium', () => {
  it('opens from a file with no network, draws its charts and shows the totals and skipped lines', async () => {
    const lines = [
      exchange('big', 'Where is my order?', 'support'),
      exchange('big', 'Where is my order?', 'support'),
      exchange('cheap', 'Say hi', 'chat'),
      'not json <script>alert(1)</script>',
      exchange('cheap', 'Say bye', 'chat'),
    ];
    const report = await runReplay(lines, { config: parseConfigText(CONFIG, 'replay-html.test.yaml', {}) });
    const path = join(workDir, 'report.html');
    writeFileSync(path, replayHtml(report, { source: 'generated.jsonl' }));

    const page = await browser!.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    // Self-contained: any request other than the file itself is a failure.
    await page.route('**/*', (route) => (route.request().url() === pathToFileURL(path).href ? route.continue() : (problems.push(`network: ${route.request().url()}`), route.abort())));
    await page.goto(pathToFileURL(path).href);

    expect(await page.textContent('#figure-requests')).toBe('4');
    expect(await page.textContent('#figure-skipped')).toBe('1');
    // before 4 × (500 × 2.5 + 100 × 10)/1M = $0.009; after: 0.00225 + 0 + 2 × (500 × 0.01 + 100 × 0.02)/1M.
    expect(await page.textContent('#figure-before')).toBe('$0.009');
    expect(await page.textContent('#figure-after')).toBe('$0.002264');
    expect(await page.textContent('#issues')).toContain('not JSON');

    for (const chart of ['chart-before-after', 'chart-levers', 'chart-tags']) {
      const bars = await page.$$eval(`svg[data-chart="${chart}"] rect.bar`, (rects) => rects.map((rect) => (rect as SVGRectElement).getBBox().width));
      expect(bars.length, chart).toBeGreaterThan(0);
      for (const width of bars) expect(width, chart).toBeGreaterThan(0);
    }
    const levers = await page.$$eval('svg[data-chart="chart-levers"] rect.bar title', (titles) => titles.map((title) => title.textContent));
    // The duplicate's $0.00225 is the cache's; 2 × (0.00225 − 0.000007) is routing's.
    expect(levers).toEqual(['routing: $0.004486', 'cache: $0.002250']);
    const polylinePoints = await page.$$eval('svg[data-chart="chart-cumulative"] polyline.series', (polylines) => polylines.map((polyline) => (polyline as SVGPolylineElement).points.length));
    expect(polylinePoints).toEqual([4, 4]);
    await page.screenshot({ path: join(workDir, 'report.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});
