/**
 * Issue 3's acceptance in a real browser, for every template in templates/: it opens from the
 * gallery and lays out readably at the view it opens with (no two blocks' boxes overlap, block
 * titles drawn at a legible size, no edge or field label drawn over a block, the data source — the
 * env — in view), runs from the UI until the first metrics reach the return chart, and the editor's
 * auto layout keeps it readable (no overlaps, legible, every edge left to right). Screenshots in
 * test-results/screenshots/: template-<name> (as opened), -all (fit view), -running, -auto.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../engine/host/server.ts';
import type { GraphFile } from '../../engine/graph/schema.ts';
import { ROOT } from '../helpers.ts';
import { edgeClutter as clutter, launchBrowser, screenshot, startUiServer } from './browser.ts';

/** Smallest on-screen font size (px) of a block's id and title: about the least one reads without leaning in. */
const MIN_FONT_PX = 8.5;
/** Smallest on-screen height (px) of those lines' boxes. */
const MIN_LINE_PX = 10;

const files = readdirSync(join(ROOT, 'templates'))
  .filter((f) => f.endsWith('.rlgraph.json'))
  .sort();

let browser: Browser;
let server: RunningServer;

beforeAll(async () => {
  ({ server } = await startUiServer());
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

interface Block extends Box {
  id: string;
  /** On-screen font size (px) and line height of the block's id and of its title. */
  idFont: number;
  titleFont: number;
  idLine: number;
  titleLine: number;
}

/** Screen boxes of the canvas pane and of every block, with the on-screen size of their titles. */
async function measure(page: Page): Promise<{ pane: Box; transform: string; blocks: Block[] }> {
  return page.evaluate(() => {
    // The test tsconfig has no DOM lib: the few page APIs used here, typed by hand.
    type Rect = { top: number; bottom: number; left: number; right: number; height: number };
    type El = { getBoundingClientRect(): Rect; getAttribute(name: string): string | null; querySelector(selector: string): El | null; style: { transform: string } };
    type PageWindow = {
      document: { querySelector(selector: string): El | null; querySelectorAll(selector: string): Iterable<El> };
      getComputedStyle(el: El): { fontSize: string };
    };
    const win = globalThis as unknown as PageWindow;
    const box = (r: Rect): Box => ({ left: r.left, top: r.top, right: r.right, bottom: r.bottom });
    const transform = win.document.querySelector('.react-flow__viewport')!.style.transform;
    const zoom = Number(/scale\(([\d.]+)\)/.exec(transform)?.[1] ?? '1');
    const text = (el: El | null) => ({ font: el ? parseFloat(win.getComputedStyle(el).fontSize) * zoom : 0, line: el?.getBoundingClientRect().height ?? 0 });
    return {
      pane: box(win.document.querySelector('.react-flow__pane')!.getBoundingClientRect()),
      transform,
      blocks: [...win.document.querySelectorAll('.react-flow__node')].map((n) => {
        const id = text(n.querySelector('.block-id'));
        const title = text(n.querySelector('.block-title'));
        return { id: n.getAttribute('data-id')!, ...box(n.getBoundingClientRect()), idFont: id.font, titleFont: title.font, idLine: id.line, titleLine: title.line };
      }),
    };
  });
}

/** Waits until the view and every block stop moving (the initial fit, an auto-layout animation). */
async function settled(page: Page): Promise<Awaited<ReturnType<typeof measure>>> {
  let last = '';
  await expect
    .poll(
      async () => {
        const now = JSON.stringify(await measure(page));
        const still = now === last;
        last = now;
        return still;
      },
      { interval: 150, timeout: 10_000 },
    )
    .toBe(true);
  return JSON.parse(last) as Awaited<ReturnType<typeof measure>>;
}

/**
 * The off-policy templates (issue 6: 20–37 blocks, critics and targets read by several losses)
 * still ship with a few edges drawn across blocks (laid out by tools/relayout-templates.ts, the
 * editor's auto layout: 0–8 left of elk's 5–19); a ratchet: the count may only go down. Every
 * other template must have none.
 */
const KNOWN_CLUTTER: Record<string, number> = {
  'ddpg.mountaincar-continuous': 4,
  'ddpg.pendulum': 4,
  'dpg-onpolicy.pendulum': 3,
  'sac-v1.pendulum': 4,
  'sac.pendulum': 8,
  'td3.pendulum': 0,
};

const overlap = (a: Box, b: Box) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

function overlapping(blocks: Block[]): string[] {
  const clashes: string[] = [];
  for (let i = 0; i < blocks.length; i++) for (let j = i + 1; j < blocks.length; j++) if (overlap(blocks[i], blocks[j])) clashes.push(`${blocks[i].id} × ${blocks[j].id}`);
  return clashes;
}

function illegible(blocks: Block[]): string[] {
  return blocks
    .filter((b) => Math.min(b.idFont, b.titleFont) < MIN_FONT_PX || Math.min(b.idLine, b.titleLine) < MIN_LINE_PX)
    .map((b) => `${b.id}: font ${b.idFont.toFixed(1)}/${b.titleFont.toFixed(1)} px, lines ${b.idLine.toFixed(1)}/${b.titleLine.toFixed(1)} px`);
}

/** Edges whose target block does not start right of its source block's right side (the rule of test/templates.layout.test.ts). */
function backwards(graph: GraphFile, blocks: Block[]): string[] {
  const at = new Map(blocks.map((b) => [b.id, b]));
  return graph.edges.filter((e) => !(at.get(e.to.node)!.left > at.get(e.from.node)!.right)).map((e) => `${e.from.node}.${e.from.port} → ${e.to.node}.${e.to.port}`);
}

/** Block positions in flow coordinates (their transforms), to tell when a layout has been applied. */
const positions = (page: Page) => page.locator('.react-flow__node').evaluateAll((nodes) => nodes.map((n) => (n as unknown as { style: { transform: string } }).style.transform).join(' '));

describe('every template in chromium', () => {
  it('finds the templates', () => expect(files.length).toBeGreaterThanOrEqual(4));

  for (const file of files) {
    const name = file.replace(/\.rlgraph\.json$/, '');
    it(`${name}: opens readably, runs from the UI, auto-lays out readably`, async () => {
      const t0 = Date.now();
      const phases: string[] = [];
      const lap = (what: string) => phases.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const graph = JSON.parse(readFileSync(join(ROOT, 'templates', file), 'utf8')) as GraphFile;
      // A fresh context per template: the gallery opens by itself on a page with nothing saved locally.
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      try {
        await page.goto(server.url);
        // As openTemplate (browser.ts) does, but it waits for an `adam` block, which not every template has
        // (TRPO's optimizer is `trpo`), and gives the gallery 10 s, which a busy 2-core machine may exceed.
        await expect.poll(() => page.getByTestId(`template-${file}`).count(), { timeout: 30_000 }).toBe(1);
        await page.getByTestId(`template-${file}`).click();
        await expect.poll(() => page.locator('.react-flow__node').count()).toBe(graph.nodes.length);

        const opened = await settled(page);
        lap('opened');
        await screenshot(page, `template-${name}`);
        expect(overlapping(opened.blocks), 'overlapping blocks').toEqual([]);
        expect(illegible(opened.blocks), 'titles too small to read').toEqual([]);
        const drawnOver = await clutter(page);
        if (drawnOver.length) console.log(`${name}: as shipped, edges/labels over blocks: ${drawnOver.join(', ')}`);
        expect(drawnOver.length, `edges or field labels over blocks: ${drawnOver.join(', ')}`).toBeLessThanOrEqual(KNOWN_CLUTTER[name] ?? 0);
        // The view starts at the data source.
        const env = opened.blocks.find((b) => b.id === 'env')!;
        expect(env.left >= opened.pane.left && env.right <= opened.pane.right && env.top >= opened.pane.top && env.bottom <= opened.pane.bottom, 'env in view').toBe(true);

        // The whole graph, for whoever reviews the screenshots.
        await page.getByTestId('fit-view').click();
        await settled(page);
        await screenshot(page, `template-${name}-all`);

        // Runs; stopped as soon as metrics reach the return chart. Stop is taken between env steps
        // or minibatches (the engine hands the event loop back during an iteration), then the
        // final policy is evaluated before the run is done: seconds on the slower templates.
        await page.getByTestId('run-start').click();
        await expect.poll(async () => Number((await page.getByTestId('chart-return').getAttribute('data-points')) ?? '0'), { timeout: 60_000 }).toBeGreaterThan(0);
        lap('first metrics');
        const stopAt = Date.now();
        await page.getByTestId('run-stop').click({ timeout: 20_000 });
        await expect.poll(async () => (await page.getByTestId('run-state').textContent()) ?? '', { timeout: 120_000 }).toMatch(/done/i);
        lap('stopped');
        console.log(`${name}: Stop to done in ${Date.now() - stopAt} ms`);
        await screenshot(page, `template-${name}-running`);

        // Auto layout tidies a graph pushed out of shape (and a template may already be its result):
        // drag the env block away first, so that the layout has something to change.
        const shipped = await positions(page);
        const head = (await page.getByTestId('node-env').locator('.block-head').boundingBox())!;
        await page.mouse.move(head.x + head.width / 2, head.y + head.height / 2);
        await page.mouse.down();
        await page.mouse.move(head.x + head.width / 2 + 60, head.y + head.height / 2 + 120, { steps: 6 });
        await page.mouse.up();
        await expect.poll(() => positions(page)).not.toBe(shipped);
        const before = await positions(page);
        await page.getByTestId('auto-layout').click();
        // Seconds on the largest graphs (TD3, SAC: sideways moves and random restarts), longer on a loaded machine.
        await expect.poll(() => positions(page), { timeout: 60_000 }).not.toBe(before);
        const auto = await settled(page);
        lap('auto layout');
        await screenshot(page, `template-${name}-auto`);
        expect(overlapping(auto.blocks), 'overlapping blocks after auto layout').toEqual([]);
        expect(illegible(auto.blocks), 'titles too small after auto layout').toEqual([]);
        expect(backwards(graph, auto.blocks), 'edges right to left after auto layout').toEqual([]);
        // Auto layout avoids drawing edges over blocks as far as its greedy pass gets (layout.ts
        // untangle), not always all the way: reported, not required.
        const crossed = await clutter(page);
        if (crossed.length) console.log(`${name}: after auto layout, ${crossed.length} edges/labels over blocks`);
      } finally {
        await context.close();
      }
      console.log(`${name}: ${phases.join(', ')}`);
    }, 360_000);
  }
});
