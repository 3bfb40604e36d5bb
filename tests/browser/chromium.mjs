// tests/browser/chromium.mjs — starts Debian's Chromium headless through playwright-core, with the
// flags this machine needs: no sandbox (we run as root), and none of Chromium's background
// connections (there is no internet here; they would be refused, many at a time). Used by the
// browser tests (run.mjs) and the browser benchmark (bench/browser.mjs). Not a test.

import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium() {
  if (!existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath}; run scripts/install-chromium.sh (or set CHROMIUM)`);
  }
  return chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** Opens the demo (served at `url`), trains one epoch of the MNIST MLP, returns { seconds, accuracy, threads }. */
export async function trainDemoEpoch(page, url) {
  await page.goto(url);
  await page.waitForFunction(() => ['ready', 'error'].includes(document.documentElement.dataset.phase), null, { timeout: 30_000 });
  const threads = Number(await page.getAttribute('html', 'data-threads'));
  await page.selectOption('#epochs', '1');
  await page.click('#train');
  await page.waitForFunction(() => ['trained', 'error'].includes(document.documentElement.dataset.phase), null, { timeout: 180_000 });
  if ((await page.getAttribute('html', 'data-phase')) === 'error') throw new Error(await page.textContent('#status'));
  return {
    seconds: Number(await page.textContent('#seconds-per-epoch')),
    accuracy: Number(await page.getAttribute('#test-accuracy', 'data-value')),
    threads,
  };
}
