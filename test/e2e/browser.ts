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

/**
 * What makes a drawing hard to follow besides overlapping blocks: edges drawn across a block they
 * do not connect ("edge id × block id", sampling each path every 8 px) and Batch field labels
 * ("label obs × block id") on a block.
 */
export async function edgeClutter(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    type Rect = { top: number; bottom: number; left: number; right: number };
    type Point = { x: number; y: number; matrixTransform(m: unknown): Point };
    type Path = { getTotalLength(): number; getPointAtLength(d: number): Point; getScreenCTM(): unknown };
    type El = { getBoundingClientRect(): Rect; getAttribute(name: string): string | null; querySelector(selector: string): Path | null; textContent: string | null };
    const document = (globalThis as unknown as { document: { querySelectorAll(selector: string): Iterable<El> } }).document;
    const blocks = [...document.querySelectorAll('.react-flow__node')].map((n) => ({ id: n.getAttribute('data-id')!, r: n.getBoundingClientRect() }));
    const out: string[] = [];
    for (const label of document.querySelectorAll('.edge-field-label')) {
      const r = label.getBoundingClientRect();
      for (const b of blocks) if (r.left < b.r.right && b.r.left < r.right && r.top < b.r.bottom && b.r.top < r.bottom) out.push(`label ${label.textContent} × ${b.id}`);
    }
    for (const g of document.querySelectorAll('.react-flow__edge')) {
      const id = g.getAttribute('data-id') ?? '';
      const [from, to] = id.split('->').map((s) => s.split('.')[0]);
      const path = g.querySelector('.react-flow__edge-path')!;
      const ctm = path.getScreenCTM();
      const length = path.getTotalLength();
      const hit = new Set<string>();
      for (let d = 0; d <= length; d += 8) {
        const p = path.getPointAtLength(d).matrixTransform(ctm);
        for (const b of blocks)
          if (b.id !== from && b.id !== to && p.x > b.r.left + 2 && p.x < b.r.right - 2 && p.y > b.r.top + 2 && p.y < b.r.bottom - 2) hit.add(b.id);
      }
      for (const b of hit) out.push(`${id} × ${b}`);
    }
    return out;
  });
}
