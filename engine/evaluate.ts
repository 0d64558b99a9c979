/** Fresh-episode evaluation of a policy (evaluator blocks and the run's final evaluation). */
import type { EnvResource, EpisodeReport, PolicyResource } from './block.ts';
import { actionSize } from './env.ts';
import { deriveSeed, Rng } from './rng.ts';

/**
 * Runs `episodes` fresh episodes of `policy` in a new instance of `env` and returns them. Exactly
 * `episodes` episodes are started and each runs to its end, so short ones are not favoured.
 */
export function evaluatePolicy(
  envRes: EnvResource,
  policy: PolicyResource,
  episodes: number,
  options: { envSeed: number; actSeed: number; deterministic: boolean },
): EpisodeReport[] {
  const n = Math.min(episodes, 32);
  const env = envRes.make(n, options.envSeed);
  const rng = new Rng(options.actSeed);
  const actions = new Float32Array(n * actionSize(env.spec));
  const logp = new Float32Array(n);
  const results: EpisodeReport[] = [];
  let started = n;
  const active = new Uint8Array(n).fill(1);
  while (results.length < episodes) {
    policy.act(env.obs, n, rng, options.deterministic, actions, logp);
    env.step(actions);
    for (let e = 0; e < n; e++) {
      if (!active[e] || (env.terminated[e] === 0 && env.truncated[e] === 0)) continue;
      results.push({ return: env.episodeReturn[e], length: env.episodeLength[e] });
      if (started < episodes) started++;
      else active[e] = 0;
    }
  }
  return results;
}

export interface RecordedEpisode {
  envId: string;
  /** Physical state (`VecEnv.getState`) before each action: `states.length` = episode length. */
  states: number[][];
  /** Undiscounted return of the episode (of its first `maxSteps` steps where it ran longer). */
  return: number;
  /** True where the episode ended by itself (terminated or truncated) within `maxSteps`. */
  done: boolean;
}

/**
 * Plays one fresh episode of `policy` in a new single instance of `env` (sampling actions) and
 * records the physical state before each step, for the agent view. At most `maxSteps` steps.
 */
export function recordEpisode(envRes: EnvResource, policy: PolicyResource, seed: number, maxSteps = 1000): RecordedEpisode {
  const env = envRes.make(1, seed);
  const rng = new Rng(deriveSeed(seed, 'record-episode', 'act'));
  const actions = new Float32Array(actionSize(env.spec));
  const logp = new Float32Array(1);
  const states: number[][] = [];
  let total = 0;
  for (let t = 0; t < maxSteps; t++) {
    states.push(env.getState(0));
    policy.act(env.obs, 1, rng, false, actions, logp);
    env.step(actions);
    total += env.rewards[0];
    if (env.terminated[0] === 1 || env.truncated[0] === 1) {
      return { envId: env.spec.id, states, return: env.episodeReturn[0], done: true };
    }
  }
  return { envId: env.spec.id, states, return: total, done: false };
}
