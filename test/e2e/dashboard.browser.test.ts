/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core; never a downloaded
 * browser): it loads, shows a region turning impaired during an outage, and an operator hold works.
 * Without /usr/bin/chromium the test says so and is skipped (`.ci/run` installs it).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../local/stack.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`browser test skipped: ${CHROMIUM} not found (apt-get install chromium)`);

describe.skipIf(!hasChromium)('dashboard in headless Chromium', () => {
  let stack: Stack;
  let browser: import('playwright-core').Browser;

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    stack = await startStack({ port: 0, stepMs: 50, reconcileSchedule: '*/1 * * * * *' });
    for (let i = 0; i < 4; i++) {
      await stack.api('/api/jobs', { body: { jobId: `ui-${i}`, entrypoint: 'python train.py', gpus: 1, checkpointPrefix: `runs/ui-${i}/`, runtimeEnv: { env_vars: { TOTAL_STEPS: '100000000' } } } });
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM, headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 90_000);
  afterAll(async () => { await browser?.close(); await stack?.stop(); });

  it('loads, shows an outage as it happens, and places an operator hold', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // `GET /` is the dashboard's address (DESIGN §7): it sends the browser to the page with its key.
    await page.goto(`${stack.hostUrl}/?code=${encodeURIComponent(stack.functionKey)}`);
    expect(page.url()).toBe(`${stack.hostUrl}/api/dashboard?code=${encodeURIComponent(stack.functionKey)}`);
    const badge = (region: string) => page.locator(`[data-region="${region}"] [data-health]`).first();
    await expect.poll(() => badge('eastus2').getAttribute('data-health'), { timeout: 15_000 }).toBe('healthy');

    stack.world.regionDown('eastus2');
    await stack.serviceHealth(['eastus2'], 'Active', 'UI-1');
    await expect.poll(() => badge('eastus2').getAttribute('data-health'), { timeout: 15_000 }).toBe('impaired');
    await expect.poll(async () => (await page.locator('#timeline').textContent()) ?? '', { timeout: 15_000 }).toContain('requeueJob');

    await page.getByTestId('hold-minutes-westus3').fill('30');
    await page.getByTestId('hold-reason-westus3').fill('maintenance window');
    await page.getByTestId('hold-westus3').click();
    await page.getByTestId('confirm-hold-westus3').click();
    await expect.poll(async () => (await page.locator('#holds').textContent()) ?? '', { timeout: 15_000 }).toContain('maintenance window');
    const holds = (await stack.api('/api/ops/holds')).body.holds as Array<{ target: string; reason: string }>;
    expect(holds).toEqual([expect.objectContaining({ target: 'westus3', reason: 'maintenance window' })]);

    mkdirSync('.local', { recursive: true });
    await page.screenshot({ path: '.local/dashboard-1280.png', fullPage: true });
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.screenshot({ path: '.local/dashboard-1920.png', fullPage: true });
  }, 60_000);
});
