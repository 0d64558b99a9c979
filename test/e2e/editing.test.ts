/**
 * Editing the graph in a real browser (Debian chromium via playwright-core) against `rlc serve`:
 * drag a block from the palette and wire it with the mouse, see a wrong-type connection refused
 * with its reason, save → reload → open → save gives the same bytes, and a wrong token shows the
 * connection banner. Screenshots land in test-results/screenshots/editing-*.png.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { RunningServer } from '../../engine/host/server.ts';
import { parseGraph } from '../../engine/graph/io.ts';
import { emptyCanvasSpot, screenshot } from './browser.ts';
import { openTemplate, pagePerTest } from './fixture.ts';

const PPO = 'ppo-clip.cartpole.rlgraph.json';

let server: RunningServer;
let workspace: string;
let page: Page;

const edgeCount = () => page.locator('.react-flow__edge').count();
const nodeIds = () =>
  page.locator('.react-flow__node [data-testid^="node-"]').evaluateAll((els) =>
    els.map((e) => e.getAttribute('data-testid')!).filter((t) => !t.startsWith('node-error-')).map((t) => t.slice('node-'.length)),
  );

async function centre(locator: Locator): Promise<{ x: number; y: number }> {
  await expect.poll(() => locator.count()).toBe(1);
  const box = await locator.boundingBox();
  if (!box) throw new Error('element has no box');
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}


/** Press on `from`, move in steps to `to`, and leave the mouse there (still down). */
async function dragTo(from: { x: number; y: number }, to: { x: number; y: number }): Promise<void> {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 8, from.y + 8, { steps: 4 });
  await page.mouse.move(to.x, to.y, { steps: 20 });
}


pagePerTest((f) => ({ server, workspace, page } = f));

describe('editing in chromium', () => {
  it('drags a block from the palette onto the canvas and wires it with the mouse', async () => {
    await page.goto(server.url);
    await openTemplate(page, PPO);
    const before = await nodeIds();
    expect(before).toContain('entropy');

    await page.getByTestId('palette-search').fill('entropy');
    const item = page.getByTestId('palette-loss.entropy');
    await expect.poll(() => item.isVisible()).toBe(true);
    const spot = await emptyCanvasSpot(page);
    const pane = page.locator('.react-flow__pane');
    const paneBox = (await pane.boundingBox())!;
    await item.dragTo(pane, { targetPosition: { x: spot.x - paneBox.x, y: spot.y - paneBox.y } });

    await expect.poll(async () => (await nodeIds()).length, { timeout: 5000 }).toBe(before.length + 1);
    const added = (await nodeIds()).filter((id) => !before.includes(id));
    expect(added).toHaveLength(1);
    const id = added[0];
    expect(id).toMatch(/^entropy\d+$/);
    const node = page.getByTestId(`node-${id}`);
    // It landed where it was dropped (within a grid snap and the drop offset), not at the centre.
    const nodeBox = (await node.boundingBox())!;
    expect(Math.abs(nodeBox.x - (spot.x - 90))).toBeLessThan(120);
    expect(Math.abs(nodeBox.y - (spot.y - 20))).toBeLessThan(120);
    await screenshot(page, 'editing-01-dropped');

    const edgesBefore = await edgeCount();
    const from = await centre(page.getByTestId('node-policy').getByTestId('port-out-policy'));
    const to = await centre(node.getByTestId('port-in-policy'));
    await dragTo(from, to);
    await screenshot(page, 'editing-02-wiring');
    await page.mouse.up();
    await expect.poll(edgeCount, { timeout: 5000 }).toBe(edgesBefore + 1);
    expect(await page.locator(`.react-flow__edge[aria-label="edge policy.policy->${id}.policy"]`).count()).toBe(1);
    // Validation catches up: the new block no longer misses its policy input (only obs is left).
    const problems = async () => (await page.getByTestId('problems').textContent()) ?? '';
    await expect.poll(problems, { timeout: 10_000 }).not.toMatch(new RegExp(`'${id}'.*'policy'.*not connected`));
    expect(await problems()).toMatch(new RegExp(`'${id}'.*'obs'.*not connected`));
    await screenshot(page, 'editing-03-wired');
  });

  it('refuses a wrong-type connection and says why while dragging', async () => {
    await page.goto(server.url);
    await openTemplate(page, PPO);
    const edgesBefore = await edgeCount();
    const from = await centre(page.getByTestId('node-env').getByTestId('port-out-env'));
    const to = await centre(page.getByTestId('node-logp').getByTestId('port-in-obs'));
    await dragTo(from, to);
    const refusal = page.getByTestId('connect-refusal');
    await expect.poll(() => refusal.isVisible(), { timeout: 5000 }).toBe(true);
    const text = (await refusal.textContent()) ?? '';
    expect(text).toMatch(/\bEnv\b/);
    expect(text).toMatch(/\bTensor\b/);
    await screenshot(page, 'editing-04-refusal');
    await page.mouse.up();
    await expect.poll(() => refusal.count()).toBe(0);
    // Give a (wrongly) accepted connection time to show up before counting.
    await page.waitForTimeout(300);
    expect(await edgeCount()).toBe(edgesBefore);
    expect(await page.locator('.react-flow__edge[aria-label="edge env.env->logp.obs"]').count()).toBe(0);
  });

  it('save → reload → open → save gives the same bytes and keeps the edited param', async () => {
    await page.goto(server.url);
    await openTemplate(page, PPO);
    await page.getByTestId('node-gae').click();
    const lambda = page.getByTestId('param-lambda');
    await lambda.fill('0.93');
    await lambda.press('Enter');

    const name = 'roundtrip.rlgraph.json';
    const file = join(workspace, name);
    page.once('dialog', (d) => void d.accept(name));
    await page.getByTestId('file-saveas').click();
    await expect.poll(() => {
      try {
        return statSync(file).size;
      } catch {
        return 0;
      }
    }, { timeout: 5000 }).toBeGreaterThan(0);
    const first = readFileSync(file);
    expect(parseGraph(first.toString('utf8')).nodes.find((n) => n.id === 'gae')!.params.lambda).toBe(0.93);

    await page.reload();
    // A fresh page greets with the template gallery: close it (Escape) and use Open… instead.
    const gallery = page.getByTestId('gallery');
    await expect.poll(() => gallery.isVisible(), { timeout: 10_000 }).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => gallery.count()).toBe(0);
    await page.getByTestId('file-open').click();
    await expect.poll(() => page.getByTestId('open-dialog').isVisible()).toBe(true);
    await page.getByTestId(`file-${name}`).click();
    await expect.poll(() => page.getByTestId('open-dialog').count()).toBe(0);
    await expect.poll(() => page.getByTestId('node-gae').count()).toBe(1);
    await page.getByTestId('node-gae').click();
    expect(await page.getByTestId('param-lambda').inputValue()).toBe('0.93');

    // Spoil the file on disk: only a real second save can bring its bytes back.
    writeFileSync(file, 'not saved yet\n');
    await page.getByTestId('file-save').click();
    await expect.poll(() => readFileSync(file, 'utf8'), { timeout: 5000 }).not.toBe('not saved yet\n');
    await screenshot(page, 'editing-05-resaved');
    const second = readFileSync(file);
    expect(second.toString('utf8')).toBe(first.toString('utf8'));
    expect(second.equals(first)).toBe(true);
  });

  it('a wrong or missing token shows an accessible connection banner', async () => {
    const wrong = new URL(server.url);
    wrong.searchParams.set('token', 'not-the-token');
    await page.goto(wrong.toString());
    const banner = page.getByTestId('connection-banner');
    await expect.poll(() => banner.getAttribute('data-status'), { timeout: 10_000 }).toBe('unauthorized');
    expect(await banner.getAttribute('role')).toBe('alert');
    expect((await page.getByRole('alert').textContent()) ?? '').toMatch(/token/i);
    expect((await banner.textContent()) ?? '').toMatch(/refused|wrong|invalid/i);
    await screenshot(page, 'editing-06-wrong-token');

    const none = new URL(server.url);
    none.search = '';
    await page.goto(none.toString());
    await expect.poll(() => banner.getAttribute('data-status'), { timeout: 10_000 }).toBe('no-token');
    expect(await banner.getAttribute('role')).toBe('alert');
    expect((await banner.textContent()) ?? '').toMatch(/needs the token/i);
    await screenshot(page, 'editing-07-no-token');
  });
});
