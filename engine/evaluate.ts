/** Fresh-episode evaluation of a policy (evaluator blocks and the run's final evaluation). */
import type { EnvResource, EpisodeReport, PolicyResource } from './block.ts';
import { actionSize } from './env.ts';
import { Rng } from './rng.ts';

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
