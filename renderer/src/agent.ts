/**
 * The agent view's data: the latest frames the engine streams once per iteration (sub-env 0,
 * ~30 evenly spaced states) and, on demand, one recorded episode of the current policy.
 */
import { call, onRunEvent } from './connection.ts';
import { runStore } from './run.ts';
import { createStore } from './store.ts';

export interface AgentEpisode {
  envId: string;
  frames: number[][];
  return: number;
  /** Bumped per episode so the view restarts playback. */
  id: number;
}

export interface AgentState {
  envId: string | null;
  /** The newest streamed frames (the view switches to them at the end of its current loop). */
  frames: number[][];
  framesVersion: number;
  episode: AgentEpisode | null;
  requesting: boolean;
  error: string | null;
}

export const agentStore = createStore<AgentState>({ envId: null, frames: [], framesVersion: 0, episode: null, requesting: false, error: null });

let episodes = 0;

export function initAgent(): void {
  onRunEvent((runId, event) => {
    if (event.type !== 'frames' || runId !== runStore.get().runId) return;
    const frames = event.frames as number[][];
    if (!Array.isArray(frames) || !frames.length) return;
    agentStore.set((s) => ({ ...s, envId: String(event.envId), frames, framesVersion: s.framesVersion + 1 }));
  });
  // A new run starts with an empty view.
  let lastRun = runStore.get().runId;
  runStore.subscribe(() => {
    const { runId } = runStore.get();
    if (runId === lastRun) return;
    lastRun = runId;
    agentStore.set({ envId: null, frames: [], framesVersion: 0, episode: null, requesting: false, error: null });
  });
}

/** Asks the engine for one fresh episode of the current policy (only while the run is active). */
export async function playEpisode(): Promise<void> {
  const { runId } = runStore.get();
  if (!runId) return;
  agentStore.set((s) => ({ ...s, requesting: true, error: null }));
  try {
    const reply = await call({ type: 'run.playEpisode', runId }, 'episode');
    episodes += 1;
    agentStore.set((s) => ({ ...s, requesting: false, episode: { envId: reply.envId, frames: reply.frames, return: reply.return, id: episodes } }));
  } catch (error) {
    agentStore.set((s) => ({ ...s, requesting: false, error: error instanceof Error ? error.message : String(error) }));
  }
}
