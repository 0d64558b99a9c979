import { defineBlock, type EnvResource } from '../../engine/block.ts';
import type { VecEnv } from '../../engine/env.ts';
import { choice, int } from '../../engine/params.ts';
import { CLASSIC_ENV_IDS, classicEnvSpec, makeClassicEnv } from './classic/index.ts';

export const classicEnv = defineBlock({
  type: 'env.classic',
  category: 'Environments',
  title: 'Classic control',
  role: 'resource',
  doc: {
    summary:
      'Gymnasium classic-control environments (CartPole-v1, Acrobot-v1, MountainCar-v0, MountainCarContinuous-v0, Pendulum-v1), reimplemented to match Gymnasium 1.x step for step, vectorised over N copies with same-step autoreset. Time limits end episodes as truncated, never terminated.',
    formula: 's_{t+1} \\sim P(\\cdot\\mid s_t, a_t),\\quad r_t = R(s_t, a_t)',
    reference: 'Barto, Sutton & Anderson 1983 (cart-pole); Sutton 1996 (Acrobot); Moore 1990 (mountain car); Gymnasium 1.x',
  },
  params: {
    id: choice({ options: CLASSIC_ENV_IDS, default: 'CartPole-v1', help: 'Gymnasium environment id.' }),
    numEnvs: int({ default: 4, min: 1, max: 4096, help: 'N: copies stepped together (one batch row each).' }),
  },
  inputs: [],
  outputs: [{ name: 'env', type: 'Env', doc: 'The vectorised environment.' }],
  envSpec: (params) => classicEnvSpec(params.id),
  create(ctx, params) {
    const spec = classicEnvSpec(params.id);
    const training: VecEnv = makeClassicEnv(params.id, params.numEnvs, ctx.rng('env').nextUint32());
    training.reset();
    const env: EnvResource = {
      kind: 'env',
      spec,
      numEnvs: params.numEnvs,
      instance: () => training,
      make: (numEnvs, seed) => {
        const fresh = makeClassicEnv(params.id, numEnvs, seed);
        fresh.reset();
        return fresh;
      },
    };
    return {
      resources: { env },
      saveState: () => training.saveState(),
      loadState: (state) => training.loadState(state),
    };
  },
});
