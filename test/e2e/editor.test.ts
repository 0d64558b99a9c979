/**
 * The editor in a real browser (Debian chromium via playwright-core) against `rlc serve`:
 * open a template, edit a param, see validation pinned to a node, run / pause / step / stop with
 * the chart gaining points, save to the workspace, delete and undo. Screenshots land in
 * test-results/screenshots/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { parseGraph, serializeGraph } from '../../engine/graph/io.ts';
import { screenshot } from './browser.ts';
import { pageForFile } from './fixture.ts';

let workspace: string;
let page: Page;

const points = async () => Number((await page.getByTestId('chart-return').getAttribute('data-points')) ?? '0');
const runState = async () => (await page.getByTestId('run-state').textContent()) ?? '';

pageForFile((f) => ({ workspace, page } = f));

describe('editor in chromium', () => {
  it('opens the PPO-clip CartPole template from the gallery', async () => {
    await page.getByTestId('template-ppo-clip.cartpole.rlgraph.json').click();
    for (const id of ['env', 'rollout', 'gae', 'ratio', 'clip', 'surrogate', 'adam']) {
      await expect.poll(() => page.getByTestId(`node-${id}`).count()).toBe(1);
    }
    await screenshot(page, '01-template-open');
  });

  it('edits clip ε in the inspector; an invalid value is pinned to the node', async () => {
    await page.getByTestId('node-clip').click();
    const epsilon = page.getByTestId('param-epsilon');
    await epsilon.fill('3');
    await epsilon.press('Enter');
    await expect.poll(() => page.getByTestId('node-error-clip').count(), { timeout: 5000 }).toBe(1);
    await expect.poll(async () => (await page.getByTestId('problems').textContent()) ?? '').toMatch(/epsilon/);
    await screenshot(page, '02-invalid-param');
    await epsilon.fill('0.1');
    await epsilon.press('Enter');
    await expect.poll(() => page.getByTestId('node-error-clip').count(), { timeout: 5000 }).toBe(0);
  });

  it('deletes a node and brings it back with its edges on undo', async () => {
    const edgesBefore = await page.locator('.react-flow__edge').count();
    await page.getByTestId('node-entropy').click();
    // Delete acts on the selection: wait until the click has selected the block (a loaded 2-core
    // machine running the whole suite can take longer than expect.poll's default second).
    await expect
      .poll(() => page.getByTestId('node-entropy').evaluate((el) => !!(el as unknown as { closest(s: string): unknown }).closest('.react-flow__node.selected')), { timeout: 10_000 })
      .toBe(true);
    await page.keyboard.press('Delete');
    await expect.poll(() => page.getByTestId('node-entropy').count(), { timeout: 10_000 }).toBe(0);
    expect(await page.locator('.react-flow__edge').count()).toBeLessThan(edgesBefore);
    await page.keyboard.press('ControlOrMeta+z');
    await expect.poll(() => page.getByTestId('node-entropy').count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => page.locator('.react-flow__edge').count(), { timeout: 10_000 }).toBe(edgesBefore);
  });

  it('runs, pauses, steps, resumes and stops while the return chart gains points', async () => {
    await page.getByTestId('run-start').click();
    await expect.poll(points, { timeout: 30_000 }).toBeGreaterThan(2);
    await screenshot(page, '03-running');
    await page.getByTestId('run-pause').click();
    await expect.poll(runState, { timeout: 10_000 }).toMatch(/paused/i);
    const paused = await points();
    await page.getByTestId('run-step').click();
    await expect.poll(points, { timeout: 10_000 }).toBe(paused + 1);
    await page.getByTestId('run-resume').click();
    await expect.poll(points, { timeout: 10_000 }).toBeGreaterThan(paused + 1);
    await page.getByTestId('run-stop').click();
    await expect.poll(runState, { timeout: 20_000 }).toMatch(/done/i);
    await screenshot(page, '04-stopped');
  });

  it('saves the graph into the workspace exactly as rlc would write it', async () => {
    page.once('dialog', (dialog) => dialog.accept('e2e.rlgraph.json'));
    await page.getByTestId('file-save').click();
    const file = join(workspace, 'e2e.rlgraph.json');
    await expect.poll(() => {
      try {
        return readFileSync(file, 'utf8').length;
      } catch {
        return 0;
      }
    }).toBeGreaterThan(0);
    const text = readFileSync(file, 'utf8');
    const graph = parseGraph(text);
    expect(serializeGraph(graph)).toBe(text);
    expect(graph.nodes.find((n) => n.id === 'clip')!.params.epsilon).toBe(0.1);
  });
});
