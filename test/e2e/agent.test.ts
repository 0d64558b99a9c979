/**
 * The agent view in chromium against `rlc serve`: the PPO CartPole template trains, the canvas
 * animates the frames the engine streams, and "Play episode" plays one episode of the current
 * policy and shows its return. Screenshots land in test-results/screenshots/.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { screenshot } from './browser.ts';
import { pageForFile } from './fixture.ts';

let page: Page;

const view = () => page.getByTestId('agent-view');
const attr = async (name: string) => (await view().getAttribute(name)) ?? '';
const runState = async () => (await page.getByTestId('run-state').textContent()) ?? '';

pageForFile((f) => ({ page } = f));

describe('agent view in chromium', () => {
  it('animates the streamed CartPole frames while PPO trains', async () => {
    await page.getByTestId('template-ppo-clip.cartpole.rlgraph.json').click();
    await expect.poll(() => page.getByTestId('node-rollout').count()).toBe(1);
    await expect.poll(() => attr('data-source')).toBe('none');
    await page.getByTestId('run-start').click();
    await expect.poll(() => attr('data-source'), { timeout: 30_000 }).toBe('training');
    await expect.poll(() => attr('data-env')).toBe('CartPole-v1');
    // The frame index advances as it animates.
    await expect.poll(async () => Number(await attr('data-frame')), { timeout: 10_000 }).toBeGreaterThan(0);
    const drawn = Number(await attr('data-drawn'));
    await expect.poll(async () => Number(await attr('data-drawn')), { timeout: 5_000 }).toBeGreaterThan(drawn + 10);
    await screenshot(page, 'agent-01-training');
  });

  it('plays one episode of the current policy on demand and shows its return', async () => {
    await page.getByTestId('agent-play').click();
    await expect.poll(async () => (await page.getByTestId('agent-return').textContent()) ?? '', { timeout: 15_000 }).toMatch(/return \d+ · \d+ steps/);
    const text = (await page.getByTestId('agent-return').textContent()) ?? '';
    const [, ret, steps] = /return (\d+) · (\d+) steps/.exec(text)!;
    expect(Number(ret)).toBe(Number(steps)); // CartPole pays 1 per step
    await expect.poll(() => attr('data-source'), { timeout: 5_000 }).toBe('episode');
    if (Number(steps) > 3) await expect.poll(async () => Number(await attr('data-frame')), { timeout: 5_000 }).toBeGreaterThan(1);
    await screenshot(page, 'agent-02-episode');
    await page.getByTestId('run-stop').click();
    await expect.poll(runState, { timeout: 20_000 }).toMatch(/done/i);
    await expect.poll(() => page.getByTestId('agent-play').isDisabled()).toBe(true);
  });
});
