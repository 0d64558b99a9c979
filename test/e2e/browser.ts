/** Headless Debian Chromium for the editor's end-to-end tests, and an `rlc serve` to point it at. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { type RunningServer, startServer } from '../../engine/host/server.ts';
import { ROOT, tempDir } from '../helpers.ts';

export const CHROMIUM = process.env.RLC_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots');

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Without the networking flags the closed network floods Chromium with refused connections.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export async function startUiServer(): Promise<{ server: RunningServer; workspace: string }> {
  const workspace = tempDir('rlc-ui-');
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    workspace,
    uiDir: join(ROOT, 'renderer', 'dist'),
    templatesDir: join(ROOT, 'templates'),
  });
  return { server, workspace };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}
