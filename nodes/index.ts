/** Every block shipped with RL Composer. Adding a block = one file + one line here. */
import type { AnyBlockDef } from '../engine/block.ts';
import { gae } from './adv/gae.ts';
import { normalize } from './adv/normalize.ts';
import { returnsToGo } from './adv/returns-to-go.ts';
import { rollout } from './collect/rollout.ts';
import { classicEnv } from './env/classic.ts';
import { envNormalize } from './env/normalize.ts';
import { categoricalHead } from './head/categorical.ts';
import { gaussianHead } from './head/gaussian.ts';
import { valueHead } from './head/value.ts';
import { every } from './loop/every.ts';
import { minibatch } from './loop/minibatch.ts';
import { entropy } from './loss/entropy.ts';
import { policyGradient } from './loss/policy-gradient.ts';
import { surrogate } from './loss/surrogate.ts';
import { valueLoss } from './loss/value.ts';
import { weightedSum } from './loss/weighted-sum.ts';
import { mlp } from './net/mlp.ts';
import { adam } from './opt/adam.ts';
import { clip } from './policy/clip.ts';
import { logProb } from './policy/log-prob.ts';
import { ratio } from './policy/ratio.ts';
import { checkpoint } from './sink/checkpoint.ts';
import { evaluator } from './sink/evaluator.ts';
import { metrics } from './sink/metrics.ts';

export const ALL_BLOCKS: readonly AnyBlockDef[] = [
  classicEnv,
  envNormalize,
  mlp,
  categoricalHead,
  gaussianHead,
  valueHead,
  rollout,
  returnsToGo,
  gae,
  normalize,
  minibatch,
  every,
  logProb,
  ratio,
  clip,
  surrogate,
  policyGradient,
  valueLoss,
  entropy,
  weightedSum,
  adam,
  metrics,
  evaluator,
  checkpoint,
];
