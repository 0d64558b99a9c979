/**
 * Accessibility in chromium against `rlc serve`: with the PPO-clip CartPole template open and a
 * node selected, every visible control (buttons, inputs, selects, textareas, role=button/tab,
 * links and React Flow port handles) has an accessible name, Tab from the document start reaches
 * the Start button, and the graph's nodes are focusable.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../engine/host/server.ts';
import { launchBrowser, screenshot, startUiServer } from './browser.ts';

let browser: Browser;
let server: RunningServer;
let page: Page;

beforeAll(async () => {
  ({ server } = await startUiServer());
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(server.url);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Every visible control without an accessible name, computed the simple way, in the page. */
async function unnamedControls(p: Page): Promise<{ checked: number; unnamed: string[] }> {
  return p.evaluate(() => {
    // The test tsconfig has no DOM lib: the few page APIs used here, typed by hand.
    type El = {
      tagName: string;
      className: unknown;
      type?: string;
      value?: string;
      textContent: string | null;
      labels?: ArrayLike<{ textContent: string | null }> | null;
      getAttribute(name: string): string | null;
      getBoundingClientRect(): { width: number; height: number };
    };
    type PageDocument = { querySelectorAll(selector: string): ArrayLike<El>; getElementById(id: string): El | null };
    const g = globalThis as unknown as { document: PageDocument; getComputedStyle(el: El): { visibility: string; display: string } };
    const document = g.document;
    const field = (el: El) => ['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName);
    const selector = 'button, input, select, textarea, [role=button], [role=tab], a[href], .react-flow__handle';
    const visible = (el: El): boolean => {
      if (el.tagName === 'INPUT' && el.type === 'hidden') return false;
      const rect = el.getBoundingClientRect();
      if (rect.width === 0 && rect.height === 0) return false;
      const style = g.getComputedStyle(el);
      return style.visibility !== 'hidden' && style.display !== 'none';
    };
    const nameOf = (el: El): string => {
      const label = el.getAttribute('aria-label')?.trim();
      if (label) return label;
      const by = el.getAttribute('aria-labelledby');
      if (by) {
        const text = by
          .split(/\s+/)
          .map((id) => document.getElementById(id)?.textContent?.trim() ?? '')
          .join(' ')
          .trim();
        if (text) return text;
      }
      if (field(el)) {
        const labels = Array.from(el.labels ?? [])
          .map((l) => l.textContent?.trim() ?? '')
          .join(' ')
          .trim();
        if (labels) return labels;
      }
      const title = el.getAttribute('title')?.trim();
      if (title) return title;
      if (el.tagName === 'INPUT' && (el.type === 'button' || el.type === 'submit') && el.value?.trim()) return el.value.trim();
      if (!field(el)) {
        const text = el.textContent?.trim();
        if (text) return text;
      }
      if (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA') {
        const placeholder = el.getAttribute('placeholder')?.trim();
        if (placeholder) return placeholder;
      }
      return '';
    };
    const controls = Array.from(document.querySelectorAll(selector)).filter(visible);
    const unnamed = controls
      .filter((el) => !nameOf(el))
      .map((el) => {
        const type = el.tagName === 'INPUT' ? `[type=${el.type}]` : '';
        const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
        const testId = el.getAttribute('data-testid');
        return `<${el.tagName.toLowerCase()}${type}${cls}${testId ? ` data-testid=${testId}` : ''}>`;
      });
    return { checked: controls.length, unnamed };
  });
}

describe('accessibility in chromium', () => {
  it('names every control of the template gallery', async () => {
    await page.getByTestId('template-ppo-clip.cartpole.rlgraph.json').waitFor({ timeout: 10_000 });
    const { checked, unnamed } = await unnamedControls(page);
    expect(checked).toBeGreaterThan(3);
    expect(unnamed, `gallery controls without an accessible name:\n${unnamed.join('\n')}`).toEqual([]);
  });

  it('shows the inspector for the selected node', async () => {
    await page.getByTestId('template-ppo-clip.cartpole.rlgraph.json').click();
    await page.getByTestId('node-clip').waitFor({ timeout: 10_000 });
    await page.getByTestId('node-clip').click();
    await expect.poll(() => page.getByTestId('inspector-delete').isVisible()).toBe(true);
    await expect.poll(() => page.locator('.react-flow__node.selected [data-testid="node-clip"]').count()).toBe(1);
    // The inspector shows the node's params as labelled inputs.
    await expect.poll(() => page.locator('input, select, textarea').count()).toBeGreaterThan(1);
  });

  it('gives every visible control an accessible name', async () => {
    const { checked, unnamed } = await unnamedControls(page);
    // Top bar, palette, canvas controls, port handles and the inspector's param fields.
    expect(checked).toBeGreaterThan(30);
    expect(unnamed, `controls without an accessible name:\n${unnamed.join('\n')}`).toEqual([]);
  });

  it('names port handles by direction, port and type', async () => {
    const clip = page.getByTestId('node-clip');
    const labels = await clip.locator('.react-flow__handle').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
    expect(labels.length).toBeGreaterThan(0);
    for (const label of labels) expect(label).toMatch(/^(input|output) \S+ \([^)]+\)$/);
  });

  it('makes the graph nodes focusable', async () => {
    const tabIndexes = await page
      .locator('[data-testid^="node-"]')
      .evaluateAll((els) =>
        els
          .filter((e) => /^node-[^-]+$/.test(e.getAttribute('data-testid') ?? '') && e.closest('.react-flow__node'))
          .map((e) => ({ id: e.getAttribute('data-testid'), tab: (e.closest('.react-flow__node') as unknown as { tabIndex: number }).tabIndex })),
      );
    expect(tabIndexes.length).toBeGreaterThan(3);
    for (const { id, tab } of tabIndexes) expect(tab, `${id} is not focusable`).toBeGreaterThanOrEqual(0);
  });

  it('reaches the Start button by Tab from the document start', async () => {
    // The test tsconfig has no DOM lib: the page APIs used here, typed by hand.
    type Focus = { document: { activeElement: { blur(): void; getAttribute(name: string): string | null } | null }; scrollTo(x: number, y: number): void };
    await page.evaluate(() => {
      const g = globalThis as unknown as Focus;
      g.document.activeElement?.blur();
      g.scrollTo(0, 0);
    });
    let reached = false;
    for (let i = 0; i < 200 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => (globalThis as unknown as Focus).document.activeElement?.getAttribute('data-testid') === 'run-start');
    }
    expect(reached, 'Tab never reached run-start within 200 presses').toBe(true);
    const focusVisible = await page.getByTestId('run-start').evaluate((el) => el.matches(':focus-visible'));
    expect(focusVisible).toBe(true);
    await screenshot(page, 'a11y-focus');
  });
});
