/**
 * Accessibility in chromium against `rlc serve`: with the PPO-clip CartPole template open and a
 * node selected, every visible control (buttons, inputs, selects, textareas, role=button/tab,
 * links and React Flow port handles) has an accessible name, Tab from the document start reaches
 * the Start button, and the graph's nodes are focusable. The template gallery and Open dialogs
 * are modal dialogs (labelled, focus in, Escape out, focus back to their button), Save As is the
 * browser's own prompt, palette items insert with Enter, and the bottom tabs follow the WAI-ARIA
 * tabs pattern; the gallery, palette, Run panel and Runs tab name all their controls.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../engine/host/server.ts';
import { tinyRun } from '../helpers.ts';
import { launchBrowser, screenshot, startUiServer } from './browser.ts';

let browser: Browser;
let server: RunningServer;
let page: Page;

beforeAll(async () => {
  let workspace: string;
  ({ server, workspace } = await startUiServer());
  // One past run, so that the Runs tab shows its table (checkboxes, headers).
  await tinyRun(workspace, 'a11y', 1);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(server.url);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Every visible control (under `root`, if given) without an accessible name, computed the simple way, in the page. */
async function unnamedControls(p: Page, root?: string): Promise<{ checked: number; unnamed: string[] }> {
  return p.evaluate((root) => {
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
    type PageDocument = {
      querySelectorAll(selector: string): ArrayLike<El>;
      querySelector(selector: string): { querySelectorAll(selector: string): ArrayLike<El> } | null;
      getElementById(id: string): El | null;
    };
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
    const scope = root ? document.querySelector(root) : document;
    if (!scope) throw new Error(`no ${root} in the page`);
    const controls = Array.from(scope.querySelectorAll(selector)).filter(visible);
    const unnamed = controls
      .filter((el) => !nameOf(el))
      .map((el) => {
        const type = el.tagName === 'INPUT' ? `[type=${el.type}]` : '';
        const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
        const testId = el.getAttribute('data-testid');
        return `<${el.tagName.toLowerCase()}${type}${cls}${testId ? ` data-testid=${testId}` : ''}>`;
      });
    return { checked: controls.length, unnamed };
  }, root);
}

/** The focused element, described for assertions (the test tsconfig has no DOM lib). */
function focusInfo(p: Page): Promise<{ testId: string | null; inDialog: string | null; role: string | null; text: string }> {
  return p.evaluate(() => {
    type El = { getAttribute(name: string): string | null; closest(selector: string): El | null; textContent: string | null };
    const el = (globalThis as unknown as { document: { activeElement: El | null } }).document.activeElement;
    return {
      testId: el?.getAttribute('data-testid') ?? null,
      inDialog: el?.closest('dialog')?.getAttribute('data-testid') ?? null,
      role: el?.getAttribute('role') ?? null,
      text: el?.textContent?.trim() ?? '',
    };
  });
}

/** Checks a dialog's semantics: a modal dialog named by its visible title. */
async function expectModalDialog(p: Page, testId: string, title: string): Promise<void> {
  const dialog = p.getByTestId(testId);
  const facts = await dialog.evaluate((el) => {
    type El = { tagName: string; open?: boolean; getAttribute(name: string): string | null; ownerDocument: { getElementById(id: string): { textContent: string | null } | null } };
    const d = el as unknown as El;
    const by = d.getAttribute('aria-labelledby');
    return {
      tag: d.tagName,
      role: d.getAttribute('role'),
      modal: d.getAttribute('aria-modal'),
      open: d.open,
      label: (by ? d.ownerDocument.getElementById(by)?.textContent : d.getAttribute('aria-label'))?.trim() ?? '',
    };
  });
  // <dialog> has the dialog role itself; showModal() makes it modal, aria-modal says so to older readers.
  expect(facts.tag === 'DIALOG' || facts.role === 'dialog').toBe(true);
  expect(facts.open).toBe(true);
  expect(facts.modal).toBe('true');
  expect(facts.label).toBe(title);
  expect(await p.getByRole('dialog', { name: title }).count()).toBe(1);
}

describe('accessibility in chromium', () => {
  it('names every control of the template gallery', async () => {
    await page.getByTestId('template-ppo-clip.cartpole.rlgraph.json').waitFor({ timeout: 10_000 });
    const { checked, unnamed } = await unnamedControls(page);
    expect(checked).toBeGreaterThan(3);
    expect(unnamed, `gallery controls without an accessible name:\n${unnamed.join('\n')}`).toEqual([]);
    // Only the dialog's own controls count as its controls.
    const inside = await unnamedControls(page, '[data-testid="gallery"]');
    expect(inside.checked).toBeGreaterThan(3);
    expect(inside.unnamed).toEqual([]);
    await expectModalDialog(page, 'gallery', 'Templates');
    // The gallery opens by itself on a fresh page: the focus is inside it.
    expect((await focusInfo(page)).inDialog).toBe('gallery');
    // A template is named by its name (its description is read after it).
    const first = page.locator('[data-testid^="template-"]').first();
    expect(await first.getAttribute('aria-label')).toBeTruthy();
    expect(await first.getAttribute('aria-describedby')).toBeTruthy();
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

  it('opens the gallery and Open dialogs from the keyboard; Escape closes them and focus returns', async () => {
    for (const [button, testId, title] of [
      ['file-templates', 'gallery', 'Templates'],
      ['file-open', 'open-dialog', 'Open a workspace file'],
    ] as const) {
      await page.getByTestId(button).focus();
      await page.keyboard.press('Enter');
      await expect.poll(() => page.getByTestId(testId).isVisible()).toBe(true);
      await expectModalDialog(page, testId, title);
      await expect.poll(async () => (await focusInfo(page)).inDialog).toBe(testId);
      const { unnamed } = await unnamedControls(page, `[data-testid="${testId}"]`);
      expect(unnamed, `${testId} controls without an accessible name:\n${unnamed.join('\n')}`).toEqual([]);
      if (testId === 'gallery') await screenshot(page, 'a11y-gallery');
      await page.keyboard.press('Escape');
      await expect.poll(() => page.getByTestId(testId).count()).toBe(0);
      expect((await focusInfo(page)).testId, `focus did not return to ${button}`).toBe(button);
    }
  });

  it('asks for the Save As name in the browser prompt, with a label and a default; dismissing saves nothing', async () => {
    // Save As is window.prompt: the browser's own modal dialog, labelled by its message.
    const asked = new Promise<{ type: string; message: string; value: string }>((resolve) =>
      page.once('dialog', (d) => {
        resolve({ type: d.type(), message: d.message(), value: d.defaultValue() });
        void d.dismiss();
      }),
    );
    await page.getByTestId('file-saveas').focus();
    await page.keyboard.press('Enter');
    const { type, message, value } = await asked;
    expect(type).toBe('prompt');
    expect(message).toMatch(/Save the graph in the workspace as/);
    expect(value).toMatch(/\.rlgraph\.json$/);
    await expect.poll(async () => (await focusInfo(page)).testId).toBe('file-saveas');
    expect((await page.getByTestId('doc-title').getAttribute('title')) ?? '').toMatch(/^template /);
  });

  it('names every palette control and inserts a block with Enter on a palette item', async () => {
    const { checked, unnamed } = await unnamedControls(page, '.palette');
    expect(checked).toBeGreaterThan(10);
    expect(unnamed, `palette controls without an accessible name:\n${unnamed.join('\n')}`).toEqual([]);
    expect(await page.getByRole('complementary', { name: 'Block palette' }).count()).toBe(1);
    const before = await page.locator('.react-flow__node').count();
    const item = page.getByTestId('palette-adv.gae');
    await item.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.react-flow__node').count()).toBe(before + 1);
    await expect.poll(() => page.getByTestId('node-gae2').count()).toBe(1);
    // Said by a live region; the focus stays on the item, so several blocks can be added in a row.
    expect(await page.getByTestId('palette-status').getAttribute('role')).toBe('status');
    expect(await page.getByTestId('palette-status').textContent()).toMatch(/Added block gae2/);
    expect((await focusInfo(page)).testId).toBe('palette-adv.gae');
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.locator('.react-flow__node').count()).toBe(before);
  });

  it('names every control of the Run panel', async () => {
    const { checked, unnamed } = await unnamedControls(page, '.runpanel');
    expect(checked).toBeGreaterThan(6);
    expect(unnamed, `Run panel controls without an accessible name:\n${unnamed.join('\n')}`).toEqual([]);
    expect(await page.getByRole('group', { name: 'Run controls' }).count()).toBe(1);
    expect(await page.getByRole('progressbar', { name: 'Training progress' }).count()).toBe(1);
  });

  it('gives the bottom panel proper tabs: roles, selection, one tab stop, arrow keys', async () => {
    const tablist = page.getByRole('tablist', { name: 'Problems, log and runs' });
    expect(await tablist.count()).toBe(1);
    const tabs = tablist.getByRole('tab');
    expect(await tabs.count()).toBe(3);
    // Only tabs in the tablist.
    expect(await tablist.locator(':scope > *:not([role="tab"])').count()).toBe(0);
    const facts = () =>
      tabs.evaluateAll((els) =>
        els.map((el) => {
          const e = el as unknown as { id: string; tabIndex: number; getAttribute(name: string): string | null; ownerDocument: { getElementById(id: string): { getAttribute(name: string): string | null } | null } };
          const panel = e.ownerDocument.getElementById(e.getAttribute('aria-controls') ?? '');
          return {
            id: e.id,
            selected: e.getAttribute('aria-selected'),
            tabIndex: e.tabIndex,
            panelRole: panel?.getAttribute('role') ?? null,
            panelLabelledBy: panel?.getAttribute('aria-labelledby') ?? null,
          };
        }),
      );
    let all = await facts();
    expect(all.map((t) => t.selected)).toEqual(['true', 'false', 'false']);
    expect(all.map((t) => t.tabIndex)).toEqual([0, -1, -1]);
    // The selected tab's panel is there and labelled by its tab.
    expect(all[0]).toMatchObject({ panelRole: 'tabpanel', panelLabelledBy: all[0].id });

    await page.getByTestId('tab-problems').focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(async () => (await focusInfo(page)).testId).toBe('tab-log');
    all = await facts();
    expect(all.map((t) => t.selected)).toEqual(['false', 'true', 'false']);
    expect(all[1]).toMatchObject({ tabIndex: 0, panelRole: 'tabpanel', panelLabelledBy: all[1].id });
    await page.keyboard.press('End');
    await expect.poll(async () => (await focusInfo(page)).testId).toBe('tab-runs');
    all = await facts();
    expect(all.map((t) => t.selected)).toEqual(['false', 'false', 'true']);
    expect(all[2]).toMatchObject({ tabIndex: 0, panelRole: 'tabpanel', panelLabelledBy: all[2].id });

    // The Runs tab: the past run's row and every control in it are named.
    await expect.poll(() => page.getByTestId('run-row-a11y').count(), { timeout: 10_000 }).toBe(1);
    const { checked, unnamed } = await unnamedControls(page, '.runs');
    expect(checked).toBeGreaterThan(0);
    expect(unnamed, `Runs tab controls without an accessible name:\n${unnamed.join('\n')}`).toEqual([]);
    const headers = await page.locator('.runs th').evaluateAll((els) => els.map((e) => e.textContent?.trim() ?? ''));
    expect(headers.every(Boolean), `a Runs column without a header: ${JSON.stringify(headers)}`).toBe(true);
    await screenshot(page, 'a11y-runs-tab');
    await page.keyboard.press('Home');
    await expect.poll(async () => (await focusInfo(page)).testId).toBe('tab-problems');
  });
});
