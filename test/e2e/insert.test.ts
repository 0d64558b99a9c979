/**
 * Search-and-insert at the cursor in a real browser: double-click an empty canvas spot (or press "/"
 * over the canvas), type, pick with the keyboard, and the block lands there, selected, as one undo step.
 * Screenshots land in test-results/screenshots/insert-*.png.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { RunningServer } from '../../engine/host/server.ts';
import { emptyCanvasSpot, screenshot } from './browser.ts';
import { openTemplate, pagePerTest } from './fixture.ts';

const PPO = 'ppo-clip.cartpole.rlgraph.json';

let server: RunningServer;
let page: Page;

const nodeIds = () =>
  page.locator('.react-flow__node [data-testid^="node-"]').evaluateAll((els) =>
    els.map((e) => e.getAttribute('data-testid')!).filter((t) => !t.startsWith('node-error-')).map((t) => t.slice('node-'.length)),
  );



pagePerTest((f) => ({ server, page } = f));

describe('quick insert in chromium', () => {
  it('double-click or "/" opens a search box that inserts a block at that spot', async () => {
    await page.goto(server.url);
    await openTemplate(page, PPO);
    const before = await nodeIds();
    expect(before).toContain('gae');

    const spot = await emptyCanvasSpot(page);
    await page.mouse.dblclick(spot.x, spot.y);
    const box = page.getByTestId('quick-insert');
    await expect.poll(() => box.isVisible()).toBe(true);
    const input = page.getByLabel('Insert block', { exact: true });
    await expect.poll(() => input.evaluate((el) => el === (el as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement)).toBe(true);
    // The box shows where it was opened.
    const boxBox = (await box.boundingBox())!;
    expect(Math.abs(boxBox.x - spot.x)).toBeLessThan(40);
    expect(Math.abs(boxBox.y - spot.y)).toBeLessThan(40);

    await page.keyboard.type('gae');
    await expect.poll(() => page.getByTestId('quick-insert-adv.gae').count()).toBe(1);
    expect(await page.locator('[data-testid^="quick-insert-"][role="option"]').count()).toBeLessThanOrEqual(8);
    await screenshot(page, 'insert-01-search');
    await page.keyboard.press('Enter');

    await expect.poll(() => box.count()).toBe(0);
    await expect.poll(async () => (await nodeIds()).length, { timeout: 5000 }).toBe(before.length + 1);
    const added = (await nodeIds()).filter((id) => !before.includes(id));
    expect(added).toEqual(['gae2']);
    const node = page.getByTestId('node-gae2');
    const nodeBox = (await node.boundingBox())!;
    expect(Math.abs(nodeBox.x - (spot.x - 90))).toBeLessThan(120);
    expect(Math.abs(nodeBox.y - (spot.y - 20))).toBeLessThan(120);
    // Selected: the inspector shows it.
    await expect.poll(async () => (await page.locator('.insp-head h2').textContent()) ?? '').toMatch(/gae2.*GAE/);
    await screenshot(page, 'insert-02-inserted');

    // One undo step takes it away.
    await page.getByTestId('undo').click();
    await expect.poll(() => node.count()).toBe(0);
    expect((await nodeIds()).sort()).toEqual([...before].sort());

    // "/" over the canvas opens it at the pointer; ArrowDown + Enter inserts the second match.
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.mouse.move(spot.x, spot.y);
    await page.keyboard.press('/');
    await expect.poll(() => box.isVisible()).toBe(true);
    await page.keyboard.type('loss');
    const options = page.locator('[data-testid^="quick-insert-"][role="option"]');
    await expect.poll(() => options.count()).toBeGreaterThan(1);
    const second = ((await options.nth(1).getAttribute('data-testid')) ?? '').slice('quick-insert-'.length);
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => options.nth(1).getAttribute('aria-selected')).toBe('true');
    await screenshot(page, 'insert-03-slash');
    await page.keyboard.press('Enter');
    await expect.poll(() => box.count()).toBe(0);
    await expect.poll(async () => (await nodeIds()).length, { timeout: 5000 }).toBe(before.length + 1);
    const [id] = (await nodeIds()).filter((n) => !before.includes(n));
    await expect.poll(async () => (await page.locator('.insp-head .small').textContent()) ?? '').toContain(second);
    expect(id).toBeTruthy();

    // Escape closes the box without inserting (elsewhere: the spot now holds the new block).
    const spot2 = await emptyCanvasSpot(page);
    await page.mouse.dblclick(spot2.x, spot2.y);
    await expect.poll(() => box.isVisible()).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => box.count()).toBe(0);
    // A tap of Space over the canvas opens it too.
    await page.mouse.move(spot2.x, spot2.y);
    await page.keyboard.press('Space');
    await expect.poll(() => box.isVisible()).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => box.count()).toBe(0);
    expect((await nodeIds()).length).toBe(before.length + 1);
  });
});
