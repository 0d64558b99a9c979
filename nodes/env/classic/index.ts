/** The Gymnasium classic-control environments: ids, specs and vectorised constructors. */
import type { EnvSpec, VecEnv } from '../../../engine/env.ts';
import { AcrobotVecEnv, acrobotSpec } from './acrobot.ts';
import { CartPoleVecEnv, cartPoleSpec } from './cartpole.ts';
import { MountainCarVecEnv, mountainCarSpec } from './mountain-car.ts';
import {
  MountainCarContinuousVecEnv,
  mountainCarContinuousSpec,
} from './mountain-car-continuous.ts';
import { PendulumVecEnv, pendulumSpec } from './pendulum.ts';

export { ClassicVecEnv, FLOAT32_MAX, type ClassicEnvSnapshot } from './vec-env-base.ts';
export {
  AcrobotVecEnv,
  CartPoleVecEnv,
  MountainCarContinuousVecEnv,
  MountainCarVecEnv,
  PendulumVecEnv,
};

export const CLASSIC_ENV_IDS = [
  'CartPole-v1',
  'Acrobot-v1',
  'MountainCar-v0',
  'MountainCarContinuous-v0',
  'Pendulum-v1',
] as const;

export type ClassicEnvId = (typeof CLASSIC_ENV_IDS)[number];

interface ClassicEntry {
  spec: () => EnvSpec;
  make: (numEnvs: number, seed: number) => VecEnv;
}

const ENTRIES: Record<ClassicEnvId, ClassicEntry> = {
  'CartPole-v1': { spec: cartPoleSpec, make: (n, seed) => new CartPoleVecEnv(n, seed) },
  'Acrobot-v1': { spec: acrobotSpec, make: (n, seed) => new AcrobotVecEnv(n, seed) },
  'MountainCar-v0': { spec: mountainCarSpec, make: (n, seed) => new MountainCarVecEnv(n, seed) },
  'MountainCarContinuous-v0': {
    spec: mountainCarContinuousSpec,
    make: (n, seed) => new MountainCarContinuousVecEnv(n, seed),
  },
  'Pendulum-v1': { spec: pendulumSpec, make: (n, seed) => new PendulumVecEnv(n, seed) },
};

export function isClassicEnvId(id: string): id is ClassicEnvId {
  return (CLASSIC_ENV_IDS as readonly string[]).includes(id);
}

function entry(id: string): ClassicEntry {
  if (!isClassicEnvId(id)) {
    throw new RangeError(`unknown classic-control env "${id}"; known: ${CLASSIC_ENV_IDS.join(', ')}`);
  }
  return ENTRIES[id];
}

/** A fresh copy of the env's spec (callers may mutate it freely). */
export function classicEnvSpec(id: string): EnvSpec {
  return entry(id).spec();
}

/** `numEnvs` independent copies stepped together; initial states come from an Rng seeded by `seed`. */
export function makeClassicEnv(id: string, numEnvs: number, seed: number): VecEnv {
  return entry(id).make(numEnvs, seed);
}
