/**
 * Keyboard-only editing in chromium against `rlc serve`: a palette block inserted with Enter, an
 * edge wired port to port (Enter picks a port up, Tab or the arrow keys reach one it fits, Enter
 * connects), a wrong-type connection refused with its reason in the live region, Batch → Tensor
 * asking for its field, an edge selected and deleted, and Ctrl+Z / Ctrl+Shift+Z over all of it.
 * Screenshots land in test-results/screenshots/keyboard-*.png.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { parseGraph } from '../../engine/graph/io.ts';
import type { RunningServer } from '../../engine/host/server.ts';
import { screenshot } from './browser.ts';
import { openTemplate, pagePerTest } from './fixture.ts';

const PPO = 'ppo-clip.cartpole.rlgraph.json';

let server: RunningServer;
let workspace: string;
let page: Page;

/** What has the focus: its test id, accessible label, classes, and the graph node it sits in. */
interface Focused {
  testId: string | null;
  label: string | null;
  className: string;
  pressed: string | null;
  /** data-id of the enclosing React Flow node; `self` when the focus is the node itself. */
  node: string | null;
  self: boolean;
}

function focused(): Promise<Focused> {
  return page.evaluate(() => {
    // The test tsconfig has no DOM lib: the few page APIs used here, typed by hand.
    type El = {
      className: unknown;
      getAttribute(name: string): string | null;
      closest(selector: string): El | null;
      classList: { contains(name: string): boolean };
    };
    const el = (globalThis as unknown as { document: { activeElement: El | null } }).document.activeElement;
    const node = el?.closest('.react-flow__node') ?? null;
    return {
      testId: el?.getAttribute('data-testid') ?? null,
      label: el?.getAttribute('aria-label') ?? null,
      className: typeof el?.className === 'string' ? el.className : '',
      pressed: el?.getAttribute('aria-pressed') ?? null,
      node: node?.getAttribute('data-id') ?? null,
      self: !!el && el === node,
    };
  });
}

/** Presses `key` until the focus matches (the only way a keyboard user gets anywhere). */
async function pressUntil(match: (f: Focused) => boolean, what: string, key = 'Tab', max = 300): Promise<Focused> {
  for (let i = 0; i < max; i++) {
    const f = await focused();
    if (match(f)) return f;
    await page.keyboard.press(key);
  }
  throw new Error(`${key} never reached ${what} within ${max} presses`);
}

const onNode = (id: string) => (f: Focused) => f.self && f.node === id;
const onPort = (node: string, side: 'in' | 'out', port: string) => (f: Focused) => f.node === node && f.testId === `port-${side}-${port}`;
const edge = (key: string) => page.locator(`.react-flow__edge[aria-label="edge ${key}"]`);
const status = () => page.getByTestId('wire-status');

/** Tab to a block, select it with Enter (its ports become tab stops), Tab to one of its ports. */
async function focusPort(node: string, side: 'in' | 'out', port: string): Promise<void> {
  await pressUntil(onNode(node), `block ${node}`);
  await page.keyboard.press('Enter');
  await expect.poll(() => page.locator(`.react-flow__node[data-id="${node}"].selected`).count()).toBe(1);
  await pressUntil(onPort(node, side, port), `port ${node}.${port}`);
}

pagePerTest((f) => ({ server, workspace, page } = f));

describe('keyboard editing in chromium', () => {
  it('inserts a block and wires it with the keyboard alone; refuses a wrong type with its reason; undoes', async () => {
    await page.goto(server.url);
    await openTemplate(page, PPO);

    // Palette: type a search, Tab to the item, Enter adds the block.
    await pressUntil((f) => f.testId === 'palette-search', 'the palette search');
    await page.keyboard.type('entropy bonus'); // 'entropy' alone also finds the temperature α block
    await page.keyboard.press('Tab');
    expect((await focused()).testId).toBe('palette-loss.entropy');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('node-entropy2').count()).toBe(1);
    expect(await page.getByTestId('palette-status').textContent()).toMatch(/Added block entropy2/);

    // Pick up policy.policy: the port shows it and the live region says what to do.
    await focusPort('policy', 'out', 'policy');
    await page.keyboard.press('Enter');
    expect((await focused()).pressed).toBe('true');
    await expect.poll(async () => (await status().textContent()) ?? '').toMatch(/Connecting from output policy\.policy \(Policy\): Tab or arrow keys to a highlighted input/);
    expect(await page.getByTestId('wire-status-region').getAttribute('role')).toBe('status');
    // The free Policy input of the new block is a candidate; a Tensor input is not.
    const target = page.getByTestId('node-entropy2').getByTestId('port-in-policy');
    expect(await target.getAttribute('class')).toMatch(/\bport-candidate\b/);
    expect(await page.getByTestId('node-entropy2').getByTestId('port-in-obs').getAttribute('class')).toMatch(/\bport-refused\b/);

    // Tab reaches it (ports the carried one fits are tab stops), Enter connects.
    const edgesBefore = await page.locator('.react-flow__edge').count();
    await pressUntil(onPort('entropy2', 'in', 'policy'), 'entropy2.policy');
    await screenshot(page, 'keyboard-01-carrying');
    await page.keyboard.press('Enter');
    await expect.poll(() => edge('policy.policy->entropy2.policy').count()).toBe(1);
    expect(await page.locator('.react-flow__edge').count()).toBe(edgesBefore + 1);
    await expect.poll(async () => (await status().textContent()) ?? '').toMatch(/Connected policy\.policy → entropy2\.policy/);
    expect(await target.getAttribute('class')).not.toMatch(/port-candidate|port-carried/);
    await screenshot(page, 'keyboard-02-connected');

    // The document has it: Save (Ctrl+S asks for a name the first time) writes the edge.
    page.once('dialog', (d) => void d.accept('keyboard.rlgraph.json'));
    await page.keyboard.press('Control+s');
    const file = join(workspace, 'keyboard.rlgraph.json');
    await expect.poll(() => {
      try {
        return readFileSync(file, 'utf8').length;
      } catch {
        return 0;
      }
    }).toBeGreaterThan(0);
    const saved = parseGraph(readFileSync(file, 'utf8'));
    expect(saved.edges).toContainEqual({ from: { node: 'policy', port: 'policy' }, to: { node: 'entropy2', port: 'policy' } });

    // Env → Tensor: refused, with the reason shown and announced; nothing is added.
    await focusPort('env', 'out', 'env');
    await page.keyboard.press('Enter');
    await focusPort('entropy2', 'in', 'obs');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await status().getAttribute('class')) ?? '').toMatch(/\brefused\b/);
    const reason = (await status().textContent()) ?? '';
    expect(reason).toMatch(/Cannot connect env\.env → entropy2\.obs/);
    expect(reason).toMatch(/\bEnv\b.*\bTensor\b/);
    await screenshot(page, 'keyboard-03-refused');
    expect(await page.locator('.react-flow__edge').count()).toBe(edgesBefore + 1);
    // Escape puts the port down.
    await page.keyboard.press('Escape');
    await expect.poll(async () => (await status().textContent()) ?? '').toMatch(/Cancelled/);
    expect(await page.locator('.react-flow__handle.port-carried').count()).toBe(0);

    // Ctrl+Z undoes the connection as one step; Ctrl+Shift+Z brings it back.
    await page.keyboard.press('Control+z');
    await expect.poll(() => edge('policy.policy->entropy2.policy').count()).toBe(0);
    expect(await page.getByTestId('node-entropy2').count()).toBe(1);
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => edge('policy.policy->entropy2.policy').count()).toBe(1);

    // A focused edge: Enter selects it, Delete removes it (one undo step).
    await pressUntil((f) => f.label === 'edge policy.policy->entropy2.policy', 'the new edge');
    await page.keyboard.press('Enter');
    await expect.poll(() => edge('policy.policy->entropy2.policy').getAttribute('class')).toMatch(/\bselected\b/);
    await page.keyboard.press('Delete');
    await expect.poll(() => edge('policy.policy->entropy2.policy').count()).toBe(0);
    expect(await page.getByTestId('node-entropy2').count()).toBe(1);
    await page.keyboard.press('Control+z');
    await expect.poll(() => edge('policy.policy->entropy2.policy').count()).toBe(1);
  });

  it('Batch → Tensor by keyboard: arrow keys reach the input, the field picker takes the field', async () => {
    await page.goto(server.url);
    await openTemplate(page, PPO);
    await pressUntil((f) => f.testId === 'palette-search', 'the palette search');
    await page.keyboard.type('entropy bonus'); // 'entropy' alone also finds the temperature α block
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('node-entropy2').count()).toBe(1);

    await focusPort('minibatch', 'out', 'batch');
    await page.keyboard.press('Enter');
    // Arrows step through the candidates only: every port they reach takes the carried Batch.
    const seen = await pressUntil(onPort('entropy2', 'in', 'obs'), 'entropy2.obs', 'ArrowDown', 80);
    expect(seen.className).toMatch(/\bport-candidate\b/);
    await page.keyboard.press('Enter');
    const picker = page.getByTestId('field-picker');
    await expect.poll(() => picker.isVisible()).toBe(true);
    // Focus is in the picker, on the first field.
    const first = await focused();
    expect(first.testId).toMatch(/^field-/);
    await screenshot(page, 'keyboard-04-field-picker');
    await pressUntil((f) => f.testId === 'field-obs', 'field obs');
    await page.keyboard.press('Enter');
    await expect.poll(() => edge('minibatch.batch[obs]->entropy2.obs').count()).toBe(1);
    expect(await picker.count()).toBe(0);
    // Focus went back to the port, so the next connection starts from where the user was.
    expect(await focused()).toMatchObject({ node: 'entropy2', testId: 'port-in-obs' });
    await page.keyboard.press('Control+z');
    await expect.poll(() => edge('minibatch.batch[obs]->entropy2.obs').count()).toBe(0);
  });
});
