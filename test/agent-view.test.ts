/**
 * Agent view: one recorded episode of the current policy (run.playEpisode) and the frames the
 * engine streams while training (`frames` run events, ~30 per iteration, sub-env 0).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebSocketEngineClient } from '../engine/host/client.ts';
import { type RunningServer, startServer } from '../engine/host/server.ts';
import type { VecEnv } from '../engine/env.ts';
import { FRAMES_PER_ITERATION, FrameSampler, RunSession } from '../engine/session.ts';
import { ROOT, tempDir, smallPpo, waitFor } from './helpers.ts';



describe('agent view: recorded episodes', () => {
  it('records a CartPole episode of the current policy with consistent states', async () => {
    const session = new RunSession({ graph: smallPpo(10_000, 3) });
    await session.prepare();
    try {
      const episode = session.recordEpisode();
      expect(episode.envId).toBe('CartPole-v1');
      expect(episode.done).toBe(true);
      // One state before each action; CartPole pays 1 per step.
      expect(episode.states.length).toBeGreaterThan(0);
      expect(episode.return).toBe(episode.states.length);
      for (const s of episode.states) {
        expect(s).toHaveLength(4);
        for (const v of s) expect(Number.isFinite(v)).toBe(true);
      }
      for (const v of episode.states[0]) expect(Math.abs(v)).toBeLessThanOrEqual(0.05);
      // Euler integration: x_{t+1} = x_t + τ·ẋ_t, θ_{t+1} = θ_t + τ·θ̇_t (τ = 0.02).
      for (let t = 0; t + 1 < episode.states.length; t++) {
        const [x, xd, th, thd] = episode.states[t];
        expect(episode.states[t + 1][0]).toBeCloseTo(x + 0.02 * xd, 5);
        expect(episode.states[t + 1][2]).toBeCloseTo(th + 0.02 * thd, 5);
      }
      // The training state is untouched; a second episode starts from a fresh seed.
      expect(session.executor.globalStep).toBe(0);
      const again = session.recordEpisode();
      expect(again.states[0]).not.toEqual(episode.states[0]);
      // Capped.
      expect(session.recordEpisode(5).states.length).toBeLessThanOrEqual(5);
    } finally {
      session.dispose();
    }
    expect(() => session.recordEpisode()).toThrow(/finished/);
  });

  it('keeps at most ~30 evenly spaced frames per iteration', async () => {
    const sampler = new FrameSampler(30);
    const fakeEnv = (id: string, state: (i: number) => number[]) => ({ spec: { id } as VecEnv['spec'], getState: state });
    let reads = 0;
    for (let i = 0; i < 1000; i++) {
      sampler.push(
        fakeEnv('CartPole-v1', () => {
          reads += 1;
          return [i, 0, 0, 0];
        }),
        0,
      );
    }
    sampler.push(fakeEnv('Other-v0', () => [0]), 0); // another env: ignored
    // States are read only for frames kept at the time (≈ 2·30·log₂(1000/60) here), not all 1,000.
    expect(reads).toBeLessThan(250);
    const taken = sampler.take()!;
    expect(taken.envId).toBe('CartPole-v1');
    expect(taken.frames).toHaveLength(30);
    const xs = taken.frames.map((f) => f[0]);
    expect(xs[0]).toBe(0);
    for (let i = 1; i < xs.length; i++) expect(xs[i] - xs[i - 1]).toBeGreaterThan(20);
    expect(sampler.take()).toBeUndefined();

    // Without a watcher (the CLI) nothing is kept.
    const quiet = new RunSession({ graph: smallPpo(10_000, 3) });
    await quiet.prepare();
    quiet.collect();
    expect(quiet.frames.take()).toBeUndefined();
    quiet.dispose();

    const session = new RunSession({ graph: smallPpo(10_000, 3), streamFrames: true });
    await session.prepare();
    try {
      session.collect();
      const frames = session.frames.take()!;
      expect(frames.envId).toBe('CartPole-v1');
      expect(frames.frames.length).toBeGreaterThan(10);
      expect(frames.frames.length).toBeLessThanOrEqual(FRAMES_PER_ITERATION);
      for (const f of frames.frames) expect(f).toHaveLength(4);
      session.learn();
    } finally {
      session.dispose();
    }
  });
});

describe('agent view over the WebSocket', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ port: 0, host: '127.0.0.1', workspace: tempDir('rlc-agent-'), templatesDir: join(ROOT, 'templates'), token: 'agent-token' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('streams frames during a run and plays an episode on demand, only while the run is active', async () => {
    const client = await WebSocketEngineClient.connect(`ws://127.0.0.1:${server.port}/ws?token=agent-token`, (url) => new WebSocket(url));
    const events: Record<string, unknown>[] = [];
    client.onRunEvent((_id, event) => events.push(event));
    const { run } = await client.call({ type: 'run.start', graph: smallPpo(1_000_000, 3) }, 'run.started');
    await waitFor(() => (events.filter((e) => e.type === 'frames').length >= 2 ? true : undefined));
    const frames = events.filter((e) => e.type === 'frames') as { envId: string; frames: number[][] }[];
    const metrics = events.filter((e) => e.type === 'metrics').length;
    expect(Math.abs(frames.length - metrics)).toBeLessThanOrEqual(1); // one per iteration
    for (const f of frames) {
      expect(f.envId).toBe('CartPole-v1');
      expect(f.frames.length).toBeGreaterThan(0);
      expect(f.frames.length).toBeLessThanOrEqual(FRAMES_PER_ITERATION);
      for (const s of f.frames) expect(s).toHaveLength(4);
    }

    const episode = await client.call({ type: 'run.playEpisode', runId: run.runId }, 'episode');
    expect(episode.envId).toBe('CartPole-v1');
    expect(episode.frames.length).toBeGreaterThan(0);
    expect(episode.return).toBe(episode.frames.length);
    expect(episode.frames[0]).toHaveLength(4);

    await client.call({ type: 'run.control', runId: run.runId, event: { type: 'STOP' } }, 'ack');
    await waitFor(() => (events.some((e) => e.type === 'state' && e.state === 'done') ? true : undefined));
    await expect(client.request({ type: 'run.playEpisode', runId: run.runId })).rejects.toThrow(/has finished/);
    await expect(client.request({ type: 'run.playEpisode', runId: 'nope' })).rejects.toThrow(/no run 'nope'/);
    client.close();
  });
});
