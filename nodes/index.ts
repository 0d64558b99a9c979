/** Every block shipped with RL Composer. Adding a block = one file + one line here. */
import type { AnyBlockDef } from '../engine/block.ts';
import { gae } from './adv/gae.ts';
import { normalize } from './adv/normalize.ts';
import { returnsToGo } from './adv/returns-to-go.ts';
import { rollout } from './collect/rollout.ts';
import { behaviourBuffer } from './collect/behaviour-buffer.ts';
import { offPolicyCollector } from './collect/off-policy.ts';
import { replayBuffer } from './replay/buffer.ts';
import { replaySample } from './replay/sample.ts';
import { classicEnv } from './env/classic.ts';
import { envNormalize } from './env/normalize.ts';
import { categoricalHead } from './head/categorical.ts';
import { gaussianHead } from './head/gaussian.ts';
import { valueHead } from './head/value.ts';
import { every } from './loop/every.ts';
import { minibatch } from './loop/minibatch.ts';
import { entropy } from './loss/entropy.ts';
import { dualAscent } from './loss/dual-ascent.ts';
import { klPenalty } from './loss/kl-penalty.ts';
import { policyGradient } from './loss/policy-gradient.ts';
import { surrogate } from './loss/surrogate.ts';
import { valueLoss } from './loss/value.ts';
import { weightedSum } from './loss/weighted-sum.ts';
import { mlp } from './net/mlp.ts';
import { qNetwork } from './net/q-network.ts';
import { targetNetwork } from './net/target.ts';
import { temperature } from './net/temperature.ts';
import { deterministicHead } from './head/deterministic.ts';
import { squashedGaussianHead } from './head/squashed-gaussian.ts';
import { boltzmannHead } from './head/boltzmann.ts';
import { adam } from './opt/adam.ts';
import { naturalGradient } from './opt/natural-gradient.ts';
import { tnpg } from './opt/tnpg.ts';
import { trpo } from './opt/trpo.ts';
import { clip } from './policy/clip.ts';
import { logProb } from './policy/log-prob.ts';
import { ratio } from './policy/ratio.ts';
import { ratioProduct } from './policy/ratio-product.ts';
import { kl } from './policy/kl.ts';
import { snapshot } from './policy/snapshot.ts';
import { checkpoint } from './sink/checkpoint.ts';
import { qValue } from './value/q.ts';
import { tdTarget } from './value/td-target.ts';
import { twinMin } from './value/twin-min.ts';
import { softStateValue } from './value/soft-state.ts';
import { softValueDiscrete } from './value/log-sum-exp.ts';
import { policyAction } from './policy/action.ts';
import { targetSmoothing } from './policy/target-smoothing.ts';
import { bellmanLoss } from './loss/bellman.ts';
import { dpgLoss } from './loss/dpg.ts';
import { sacPolicyLoss } from './loss/sac-policy.ts';
import { temperatureLoss } from './loss/temperature.ts';
import { targetUpdate } from './target/update.ts';
import { evaluator } from './sink/evaluator.ts';
import { metrics } from './sink/metrics.ts';

export const ALL_BLOCKS: readonly AnyBlockDef[] = [
  classicEnv,
  envNormalize,
  mlp,
  categoricalHead,
  gaussianHead,
  valueHead,
  qNetwork,
  deterministicHead,
  squashedGaussianHead,
  boltzmannHead,
  targetNetwork,
  temperature,
  rollout,
  offPolicyCollector,
  replayBuffer,
  replaySample,
  returnsToGo,
  gae,
  normalize,
  minibatch,
  every,
  logProb,
  ratio,
  ratioProduct,
  behaviourBuffer,
  klPenalty,
  dualAscent,
  snapshot,
  kl,
  clip,
  surrogate,
  policyGradient,
  valueLoss,
  entropy,
  weightedSum,
  adam,
  naturalGradient,
  tnpg,
  trpo,
  policyAction,
  targetSmoothing,
  qValue,
  twinMin,
  tdTarget,
  softStateValue,
  softValueDiscrete,
  bellmanLoss,
  dpgLoss,
  sacPolicyLoss,
  temperatureLoss,
  targetUpdate,
  metrics,
  evaluator,
  checkpoint,
];
