import { defineBlock, type EnvResource, type HostBatch, type Outputs, type PolicyResource, type Tick } from '../../engine/block.ts';
import { actionSize, obsSize } from '../../engine/env.ts';
import { choice, int, num } from '../../engine/params.ts';
import type { RngState } from '../../engine/rng.ts';

/** Fields of the per-step transition batch (one row per sub-environment). */
export const TRANSITION_FIELDS = ['obs', 'act', 'rew', 'nextObs', 'terminated', 'truncated'];

export const offPolicyCollector = defineBlock({
  type: 'collect.offPolicy',
  category: 'Collectors',
  title: 'Off-policy step collector',
  role: 'collector',
  loopClock: 'step',
  doc: {
    summary:
      'Acts one environment step at a time and starts the step clock: every block downstream (replay buffer, sampler, updates) runs once per step. The first warm-up steps take uniformly random actions; afterwards the policy acts (deterministic policies plus exploration noise, Gaussian or Ornstein–Uhlenbeck, clipped to the action bounds; stochastic policies sample). An iteration is a fixed number of steps (one metrics record). `terminated` and `truncated` stay apart so that a time-limit cut still bootstraps; `nextObs` is the observation that ended the episode where it ended.',
    formula:
      'a_t = \\operatorname{clip}\\big(\\mu_\\theta(s_t) + \\epsilon_t,\\ a_\\text{low},\\ a_\\text{high}\\big),\\quad \\epsilon_t \\sim \\mathcal N(0, \\sigma^2)\\ \\text{or}\\ \\epsilon_{t+1} = \\epsilon_t + \\theta(0 - \\epsilon_t)\\Delta t + \\sigma\\sqrt{\\Delta t}\\,\\mathcal N(0, 1)',
    reference: 'Lillicrap et al. 2016 (DDPG, OU noise); Fujimoto et al. 2018 (TD3, Gaussian noise, random warm-up); CleanRL td3_continuous_action.py',
  },
  params: {
    stepsPerIteration: int({ default: 1000, min: 1, max: 1_000_000, help: 'Environment steps (per sub-env) in one iteration, i.e. per metrics record.' }),
    randomSteps: int({ default: 10_000, min: 0, max: 100_000_000, help: 'Warm-up: the first steps (all envs together) take uniformly random actions.' }),
    noise: choice({ options: ['gaussian', 'ou', 'none'], default: 'gaussian', help: 'Exploration noise added to the policy\'s action (Box actions only); "none" for stochastic policies (SAC).' }),
    noiseSigma: num({ default: 0.1, min: 0, max: 10, help: 'σ of the noise, in units of the action scale (high − low)/2.', live: true }),
    ouTheta: num({ default: 0.15, min: 0, max: 10, help: 'Ornstein–Uhlenbeck mean reversion θ.' }),
    ouDt: num({ default: 0.01, min: 0, max: 1, exclusiveMin: true, help: 'Ornstein–Uhlenbeck time step Δt.' }),
  },
  inputs: [
    { name: 'env', type: 'Env', doc: 'Vectorised environment (N envs: N transitions per step).' },
    { name: 'policy', type: 'Policy', doc: 'Acting policy: μ_θ (deterministic) or a stochastic policy that is sampled.' },
  ],
  outputs: [
    {
      name: 'transitions',
      type: 'Batch',
      doc: 'This step\'s transitions, one row per env: obs s_t, act a_t, rew r_t, nextObs s_{t+1} (the final observation where the episode ended), terminated, truncated.',
    },
  ],
  batchFields: () => ({ transitions: TRANSITION_FIELDS }),
  create(ctx, params) {
    const envRes = ctx.resources.env as EnvResource;
    const policy = ctx.resources.policy as PolicyResource;
    const env = envRes.instance();
    const n = env.numEnvs;
    const d = obsSize(env.spec);
    const k = actionSize(env.spec);
    const space = env.spec.actionSpace;
    if (policy.inputSize !== d) throw new Error(`the policy expects ${policy.inputSize} inputs but ${env.spec.id} observations have ${d}`);
    if (params.noise !== 'none' && space.kind !== 'box') {
      throw new Error(`exploration noise "${params.noise}" needs a Box action space; ${env.spec.id} is Discrete (use noise "none" with a stochastic policy)`);
    }
    const actRng = ctx.rng('act');
    const noiseRng = ctx.rng('noise');
    const randomRng = ctx.rng('warm-up');
    const actions = new Float32Array(n * k);
    const logp = new Float32Array(n);
    const ou = new Float64Array(n * k);
    let noiseSigma = params.noiseSigma;
    let stepsTaken = 0;
    const fields = {
      obs: { data: new Float32Array(n * d), width: d },
      act: { data: new Float32Array(n * k), width: k },
      rew: { data: new Float32Array(n), width: 1 },
      nextObs: { data: new Float32Array(n * d), width: d },
      terminated: { data: new Float32Array(n), width: 1 },
      truncated: { data: new Float32Array(n), width: 1 },
    };

    function chooseActions(): void {
      if (stepsTaken < params.randomSteps) {
        for (let e = 0; e < n; e++) {
          if (space.kind === 'discrete') actions[e] = randomRng.int(space.n);
          else for (let j = 0; j < k; j++) actions[e * k + j] = randomRng.uniformIn(space.low[j], space.high[j]);
        }
        return;
      }
      policy.act(env.obs, n, actRng, false, actions, logp);
      if (params.noise === 'none' || space.kind !== 'box') return;
      for (let e = 0; e < n; e++) {
        for (let j = 0; j < k; j++) {
          const scale = (space.high[j] - space.low[j]) / 2;
          let eps: number;
          if (params.noise === 'gaussian') eps = noiseSigma * noiseRng.normal();
          else {
            const i = e * k + j;
            ou[i] += -params.ouTheta * ou[i] * params.ouDt + noiseSigma * Math.sqrt(params.ouDt) * noiseRng.normal();
            eps = ou[i];
          }
          const a = actions[e * k + j] + eps * scale;
          actions[e * k + j] = Math.min(space.high[j], Math.max(space.low[j], a));
        }
      }
    }

    function step(tick: Tick): HostBatch {
      fields.obs.data.set(env.obs.subarray(0, n * d));
      chooseActions();
      fields.act.data.set(actions);
      env.step(actions);
      stepsTaken += n;
      tick.addSteps(n);
      tick.frame?.(env, 0);
      fields.nextObs.data.set(env.obs.subarray(0, n * d));
      for (let e = 0; e < n; e++) {
        fields.rew.data[e] = env.rewards[e];
        fields.terminated.data[e] = env.terminated[e];
        fields.truncated.data[e] = env.truncated[e];
        if (env.terminated[e] === 1 || env.truncated[e] === 1) {
          // Autoreset already put the next episode's first observation in env.obs.
          fields.nextObs.data.set(env.finalObs.subarray(e * d, e * d + d), e * d);
          tick.reportEpisode({ return: env.episodeReturn[e], length: env.episodeLength[e] });
          for (let j = 0; j < k; j++) ou[e * k + j] = 0;
        }
      }
      // A fresh batch object per step (the executor caches uploaded fields per batch object).
      return { kind: 'batch', size: n, fields };
    }

    return {
      *updates(_inputs, tick): Generator<Outputs> {
        for (let t = 0; t < params.stepsPerIteration; t++) yield { transitions: step(tick) };
      },
      setParam(name, value) {
        if (name === 'noiseSigma') noiseSigma = value as number;
      },
      saveState: () => ({ stepsTaken, ou: Array.from(ou), act: actRng.getState(), noise: noiseRng.getState(), warmUp: randomRng.getState() }),
      loadState(state) {
        const s = state as { stepsTaken: number; ou: number[]; act: RngStateOf; noise: RngStateOf; warmUp: RngStateOf };
        stepsTaken = s.stepsTaken;
        ou.set(s.ou);
        actRng.setState(s.act);
        noiseRng.setState(s.noise);
        randomRng.setState(s.warmUp);
      },
    };
  },
});

type RngStateOf = { words: RngState; spare: number | null };
