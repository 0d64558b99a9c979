import {
  type BlockRuntime,
  defineBlock,
  type EnvResource,
  type HostBatch,
  type HostField,
  type ModuleResource,
  type PolicyResource,
  type Tick,
} from '../../engine/block.ts';
import { actionSize, obsSize } from '../../engine/env.ts';
import { choice, int } from '../../engine/params.ts';
import { canFuse, FusedChains } from '../../engine/fused-forward.ts';
import { type Tensor, tf } from '../../engine/tf.ts';
import { forwardHost, forwardPolicyAndValue } from '../head/shared.ts';

const BASE_FIELDS = ['obs', 'act', 'rew', 'logp', 'terminated', 'cont'];

export const rollout = defineBlock({
  type: 'collect.rollout',
  category: 'Collectors',
  title: 'On-policy rollout',
  role: 'collector',
  doc: {
    summary:
      'Runs the current policy in the vectorised environment and returns one batch per iteration: T steps × N envs, or a number of complete episodes. Starts the iteration clock. With a value module it also records V(s_t) and the bootstrap value of the next state (the final observation where an episode was truncated).',
    formula: '\\tau = (s_0, a_0, r_0, s_1, \\dots),\\quad a_t \\sim \\pi_\\theta(\\cdot\\mid s_t)',
    reference: 'Sutton & Barto 2018, ch. 13; batch layout as in Mnih et al. 2016 (A3C) and Schulman et al. 2017 (PPO)',
  },
  params: {
    mode: choice({ options: ['steps', 'episodes'], default: 'steps', help: '"steps": T steps per env; "episodes": a number of complete episodes.' }),
    steps: int({ default: 128, min: 1, max: 100_000, help: 'T: steps per environment per iteration (mode "steps").' }),
    episodes: int({ default: 8, min: 1, max: 10_000, help: 'Complete episodes per iteration (mode "episodes").' }),
  },
  inputs: [
    { name: 'env', type: 'Env', doc: 'Vectorised environment (N envs).' },
    { name: 'policy', type: 'Policy', doc: 'π_θ used to act.' },
    { name: 'value', type: 'Module', doc: 'Optional V_φ: records V(s_t) and the bootstrap value V(s_{t+1}).', optional: true },
  ],
  outputs: [
    {
      name: 'batch',
      type: 'Batch',
      doc: 'Fields obs, act, rew, logp (log π_old), terminated, cont (1 where the next row continues the episode), and with a value module value, nextValue.',
    },
  ],
  batchFields: ({ connected }) => ({ batch: connected.has('value') ? [...BASE_FIELDS, 'value', 'nextValue'] : BASE_FIELDS }),
  create(ctx, params) {
    const envRes = ctx.resources.env as EnvResource;
    const policy = ctx.resources.policy as PolicyResource;
    const value = ctx.resources.value as ModuleResource | undefined;
    const env = envRes.instance();
    const n = env.numEnvs;
    const d = obsSize(env.spec);
    const k = actionSize(env.spec);
    if (policy.inputSize !== d) throw new Error(`the policy expects ${policy.inputSize} inputs but ${env.spec.id} observations have ${d}`);
    const rng = ctx.rng('act');
    const actBuf = new Float32Array(n * k);
    const logpBuf = new Float32Array(n);
    const truncIdx: number[] = [];
    const outBuf = new Float32Array(n * policy.outputSize);
    const valueBuf = new Float32Array(n);
    // Policy and value in one forward pass: fused block-diagonal layers when both are dense chains.
    const fused = value && canFuse(policy.chain, value.chain) ? new FusedChains(policy.chain!, value.chain!) : undefined;
    const both = (x: Tensor): Tensor =>
      fused ? fused.forward(x) : tf.concat([policy.applyForActing(x), tf.reshape(value!.apply(x), [-1, 1])], 1);
    /** Acts on the current observations; with a value module also returns V(s_t) (one round trip). */
    function actAndValue(): Float32Array | undefined {
      if (!value) {
        policy.act(env.obs, n, rng, false, actBuf, logpBuf);
        return undefined;
      }
      forwardPolicyAndValue(both, env.obs, n, d, policy.outputSize, outBuf, valueBuf);
      policy.actFrom(outBuf, n, rng, false, actBuf, logpBuf);
      return valueBuf;
    }

    function field(size: number, width: number): HostField {
      return { data: new Float32Array(size * width), width };
    }
    let batch: HostBatch | undefined;
    function allocate(size: number): HostBatch {
      if (batch && batch.size === size) return batch;
      const fields: Record<string, HostField> = {
        obs: field(size, d),
        act: field(size, k),
        rew: field(size, 1),
        logp: field(size, 1),
        terminated: field(size, 1),
        cont: field(size, 1),
      };
      if (value) {
        fields.value = field(size, 1);
        fields.nextValue = field(size, 1);
      }
      batch = { kind: 'batch', size, fields };
      return batch;
    }

    function collectSteps(tick: Tick): HostBatch {
      const T = params.steps;
      const b = allocate(T * n);
      const f = b.fields;
      for (let t = 0; t < T; t++) {
        const v = actAndValue();
        for (let e = 0; e < n; e++) {
          const row = e * T + t;
          f.obs.data.set(env.obs.subarray(e * d, e * d + d), row * d);
          for (let j = 0; j < k; j++) f.act.data[row * k + j] = actBuf[e * k + j];
          f.logp.data[row] = logpBuf[e];
          if (v) {
            f.value.data[row] = v[e];
            if (t > 0 && f.cont.data[row - 1] === 1) f.nextValue.data[row - 1] = v[e];
          }
        }
        env.step(actBuf);
        tick.addSteps(n);
        tick.frame?.(env, 0);
        truncIdx.length = 0;
        for (let e = 0; e < n; e++) {
          const row = e * T + t;
          const done = env.terminated[e] === 1 || env.truncated[e] === 1;
          f.rew.data[row] = env.rewards[e];
          f.terminated.data[row] = env.terminated[e];
          f.cont.data[row] = done || t === T - 1 ? 0 : 1;
          if (done) tick.reportEpisode({ return: env.episodeReturn[e], length: env.episodeLength[e] });
          if (value && done) {
            if (env.terminated[e] === 1) f.nextValue.data[row] = 0;
            else truncIdx.push(e);
          }
        }
        if (value && truncIdx.length) {
          // Bootstrap truncated episodes from the observation that ended them.
          const finals = new Float32Array(truncIdx.length * d);
          truncIdx.forEach((e, i) => finals.set(env.finalObs.subarray(e * d, e * d + d), i * d));
          const vf = forwardHost(value.apply, finals, truncIdx.length, d);
          truncIdx.forEach((e, i) => (f.nextValue.data[e * T + t] = vf[i]));
        }
      }
      if (value) {
        const vLast = forwardHost(value.apply, env.obs, n, d);
        for (let e = 0; e < n; e++) {
          const row = e * T + T - 1;
          const done = env.terminated[e] === 1 || env.truncated[e] === 1;
          if (!done) f.nextValue.data[row] = vLast[e];
        }
      }
      return b;
    }

    function collectEpisodes(tick: Tick): HostBatch {
      const wanted = params.episodes;
      env.reset();
      const rows: number[][] = Array.from({ length: n }, () => []);
      const obsRows: Float32Array[] = [];
      const actRows: Float32Array[] = [];
      const scalars: { rew: number; logp: number; term: number; value: number; nextValue: number; cont: number }[] = [];
      const active = new Uint8Array(n);
      let started = Math.min(n, wanted);
      for (let e = 0; e < started; e++) active[e] = 1;
      let finished = 0;
      while (finished < wanted) {
        const v = actAndValue();
        const stepRows = new Int32Array(n).fill(-1);
        for (let e = 0; e < n; e++) {
          if (!active[e]) continue;
          const id = scalars.length;
          stepRows[e] = id;
          rows[e].push(id);
          obsRows.push(env.obs.slice(e * d, e * d + d));
          actRows.push(actBuf.slice(e * k, e * k + k));
          scalars.push({ rew: 0, logp: logpBuf[e], term: 0, value: v ? v[e] : 0, nextValue: 0, cont: 1 });
        }
        env.step(actBuf);
        if (active[0]) tick.frame?.(env, 0);
        let used = 0;
        truncIdx.length = 0;
        for (let e = 0; e < n; e++) {
          if (!active[e]) continue;
          used++;
          const s = scalars[stepRows[e]];
          s.rew = env.rewards[e];
          s.term = env.terminated[e];
          const done = env.terminated[e] === 1 || env.truncated[e] === 1;
          if (!done) continue;
          s.cont = 0;
          if (value && env.truncated[e] === 1) truncIdx.push(e);
          tick.reportEpisode({ return: env.episodeReturn[e], length: env.episodeLength[e] });
          finished++;
          if (started < wanted) started++;
          else active[e] = 0;
        }
        tick.addSteps(used);
        if (value && truncIdx.length) {
          const finals = new Float32Array(truncIdx.length * d);
          truncIdx.forEach((e, i) => finals.set(env.finalObs.subarray(e * d, e * d + d), i * d));
          const vf = forwardHost(value.apply, finals, truncIdx.length, d);
          truncIdx.forEach((e, i) => (scalars[stepRows[e]].nextValue = vf[i]));
        }
        if (v) {
          // Rows that continue get V of the next state at the next step; fill from this step's values.
          for (let e = 0; e < n; e++) {
            const list = rows[e];
            if (list.length >= 2) {
              const prev = scalars[list[list.length - 2]];
              if (prev.cont === 1 && stepRows[e] === list[list.length - 1]) prev.nextValue = scalars[list[list.length - 1]].value;
            }
          }
        }
      }
      // Episode-contiguous layout: env 0's rows, then env 1's, ...
      const order = rows.flat();
      const b = allocate(order.length);
      const f = b.fields;
      order.forEach((id, row) => {
        const s = scalars[id];
        f.obs.data.set(obsRows[id], row * d);
        f.act.data.set(actRows[id], row * k);
        f.rew.data[row] = s.rew;
        f.logp.data[row] = s.logp;
        f.terminated.data[row] = s.term;
        f.cont.data[row] = s.cont;
        if (value) {
          f.value.data[row] = s.value;
          f.nextValue.data[row] = s.nextValue;
        }
      });
      return b;
    }

    const runtime: BlockRuntime = {
      run(_inputs, tick) {
        return { batch: params.mode === 'steps' ? collectSteps(tick) : collectEpisodes(tick) };
      },
      dispose: () => fused?.dispose(),
      saveState: () => ({ rng: rng.getState() }),
      loadState: (state) => rng.setState((state as { rng: ReturnType<typeof rng.getState> }).rng),
    };
    return runtime;
  },
});
