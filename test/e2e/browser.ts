/**
 * Headless Debian Chromium for the editor's end-to-end tests, and an `rlc serve` to point it at.
 * No vitest here: the UI benchmark (bench/part-ui.ts) imports this outside vitest; helpers that
 * assert or register hooks are in fixture.ts.
 */
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

/** A point of the visible canvas pane with no block (nor anything else) on it. */
export async function emptyCanvasSpot(page: Page): Promise<{ x: number; y: number }> {
  const spot = await page.evaluate(() => {
    // The test tsconfig has no DOM lib: the few page APIs used here, typed by hand.
    type Box = { top: number; bottom: number; left: number; right: number };
    type PageDocument = {
      querySelector(selector: string): { getBoundingClientRect(): Box } | null;
      elementFromPoint(x: number, y: number): { classList: { contains(name: string): boolean } } | null;
    };
    const document = (globalThis as unknown as { document: PageDocument }).document;
    const pane = document.querySelector('.react-flow__pane')!.getBoundingClientRect();
    const clear = (x: number, y: number) => {
      // the spot and a block-sized area to its right and below must all be bare pane
      for (let dx = -20; dx <= 220; dx += 20)
        for (let dy = -20; dy <= 140; dy += 20) {
          const el = document.elementFromPoint(x + dx, y + dy);
          if (!el || !el.classList.contains('react-flow__pane')) return false;
        }
      return true;
    };
    for (let y = pane.top + 60; y < pane.bottom - 160; y += 20)
      for (let x = pane.left + 60; x < pane.right - 260; x += 20) if (clear(x, y)) return { x, y };
    return null;
  });
  if (!spot) throw new Error('no empty spot on the canvas');
  return spot;
}
