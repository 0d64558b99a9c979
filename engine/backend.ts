/**
 * Backend selection. `auto` tries the native TensorFlow bindings (GPU, then CPU; both optional
 * dependencies, loaded only if installed), then WebAssembly, then pure JS. The choice is recorded
 * in the run summary.
 */
import '@tensorflow/tfjs-backend-wasm';
import { GraphError } from './errors.ts';
import type { Backend } from './graph/schema.ts';
import { installFastSave, installGradientFixes } from './gradients.ts';
import { installFastTanh } from './kernels.ts';
import { tf } from './tf.ts';

export interface BackendChoice {
  /** tfjs backend name actually in use: tensorflow | wasm | cpu. */
  name: string;
  /** Which package provided it (for the summary). */
  detail: string;
}

async function tryImport(pkg: string): Promise<boolean> {
  try {
    await import(pkg);
    return true;
  } catch {
    return false;
  }
}

async function activate(name: string): Promise<boolean> {
  try {
    const ok = await tf.setBackend(name);
    await tf.ready();
    return ok && tf.getBackend() === name;
  } catch {
    return false;
  }
}

export async function selectBackend(requested: Backend): Promise<BackendChoice> {
  installGradientFixes();
  installFastSave();
  const attempts: [Backend, () => Promise<BackendChoice | null>][] = [
    [
      'tensorflow',
      async () => {
        for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
          if ((await tryImport(pkg)) && (await activate('tensorflow'))) return { name: 'tensorflow', detail: pkg };
        }
        return null;
      },
    ],
    [
      'wasm',
      async () => {
        if (!(await activate('wasm'))) return null;
        installFastTanh();
        return { name: 'wasm', detail: '@tensorflow/tfjs-backend-wasm' };
      },
    ],
    [
      'cpu',
      async () => {
        if (!(await activate('cpu'))) return null;
        // The cpu backend prints an install-tfjs-node banner on first use; the choice is deliberate.
        (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
        return { name: 'cpu', detail: '@tensorflow/tfjs (pure JS)' };
      },
    ],
  ];
  for (const [name, attempt] of attempts) {
    if (requested !== 'auto' && requested !== name) continue;
    const choice = await attempt();
    if (choice) return choice;
    if (requested !== 'auto') {
      throw new GraphError(
        'argument',
        name === 'tensorflow'
          ? 'backend "tensorflow" needs @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node installed (npm i @tensorflow/tfjs-node)'
          : `backend "${name}" could not be initialised`,
      );
    }
  }
  throw new Error('no TensorFlow.js backend could be initialised');
}
