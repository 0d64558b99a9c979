/**
 * Maintainer tool: re-lays out templates with the editor's own Auto layout, in headless Chromium,
 * and keeps the new positions where fewer edges or field labels are drawn across blocks than as
 * shipped (the measure of test/e2e/templates.test.ts). Block sizes come from the real DOM, so the
 * result is what users see.
 *
 *   node --import tsx tools/relayout-templates.ts [template ...] [--dry-run]
 *
 * Needs `npm run build:ui` first (it serves renderer/dist).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { writeFileAtomic } from '../engine/atomic.ts';
import type { GraphFile } from '../engine/graph/schema.ts';
import { edgeClutter, launchBrowser, startUiServer } from '../test/e2e/browser.ts';
import { ROOT } from '../test/helpers.ts';

const args = process.argv.slice(2);
const dryRun = args.includes('--dry-run');
const wanted = args.filter((a) => !a.startsWith('--'));
const files = readdirSync(join(ROOT, 'templates'))
  .filter((f) => f.endsWith('.rlgraph.json'))
  .filter((f) => !wanted.length || wanted.includes(f.replace(/\.rlgraph\.json$/, '')))
  .sort();

/** Flow coordinates of every block, read from the node transforms once they stop changing. */
async function settledPositions(page: Page): Promise<Map<string, { x: number; y: number }>> {
  let last = '';
  for (let i = 0; i < 100; i++) {
    await page.waitForTimeout(200);
    const now = JSON.stringify(
      await page.locator('.react-flow__node').evaluateAll((nodes) =>
        nodes.map((n) => [n.getAttribute('data-id'), (n as unknown as { style: { transform: string } }).style.transform]),
      ),
    );
    if (now === last) break;
    last = now;
  }
  const entries = JSON.parse(last) as [string, string][];
  return new Map(
    entries.map(([id, transform]) => {
      const [, x, y] = /translate\(([-\d.]+)px, ?([-\d.]+)px\)/.exec(transform) ?? [];
      return [id, { x: Number(x), y: Number(y) }];
    }),
  );
}

const { server } = await startUiServer();
const browser = await launchBrowser();
try {
  for (const file of files) {
    const path = join(ROOT, 'templates', file);
    const graph = JSON.parse(readFileSync(path, 'utf8')) as GraphFile;
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.getByTestId(`template-${file}`).click({ timeout: 30_000 });
    await page.getByTestId('node-env').waitFor();
    await settledPositions(page);
    const before = (await edgeClutter(page)).length;
    const started = Date.now();
    await page.getByTestId('auto-layout').click();
    await page.waitForSelector('[data-testid="auto-layout"][aria-busy="false"]', { timeout: 120_000 });
    const placed = await settledPositions(page);
    const seconds = (Date.now() - started) / 1000;
    const after = await edgeClutter(page);
    const keep = after.length < before;
    console.log(`${file}: ${before} → ${after.length} edges/labels over blocks (auto layout ${seconds.toFixed(1)} s)${keep ? (dryRun ? ' [dry run]' : ' — saved') : ''}`);
    if (after.length) console.log(`  ${after.join('\n  ')}`);
    if (keep && !dryRun) {
      for (const node of graph.nodes) {
        const at = placed.get(node.id);
        if (at) node.ui = { ...node.ui, x: Math.round(at.x), y: Math.round(at.y) };
      }
      writeFileAtomic(path, `${JSON.stringify(graph, null, 2)}\n`);
    }
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
}
