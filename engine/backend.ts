/**
 * Backend selection. `auto` tries the native TensorFlow bindings (GPU, then CPU; both optional
 * dependencies, loaded only if installed), then WebAssembly, then pure JS. The choice is recorded
 * in the run summary.
 *
 * wasm threads (engine/wasm-threads.ts): `options.wasmThreads`, else the RLC_WASM_THREADS
 * environment variable (`0`/`1`: single-threaded, `N`, or `auto` = available cores up to 4), else
 * DEFAULT_WASM_THREADS. When threads cannot start, wasm runs single-threaded and one line says why.
 */
import '@tensorflow/tfjs-backend-wasm';
import { GraphError } from './errors.ts';
import type { Backend } from './graph/schema.ts';
import { installFastSave, installGradientFixes } from './gradients.ts';
import { installFastMatrixKernels, installFastTanh } from './kernels.ts';
import { tf } from './tf.ts';
import { activateWasm, wasmThreadsFromEnv } from './wasm-threads.ts';

/** wasm threads when neither the option nor RLC_WASM_THREADS says: stock single-threaded. */
export const DEFAULT_WASM_THREADS = 1;

export interface BackendOptions {
  /** Threads for the wasm backend (≤ 1: single-threaded). Default: RLC_WASM_THREADS, else DEFAULT_WASM_THREADS. */
  wasmThreads?: number;
}

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

export async function selectBackend(requested: Backend, options: BackendOptions = {}): Promise<BackendChoice> {
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
        let threads = options.wasmThreads;
        try {
          threads ??= wasmThreadsFromEnv() ?? DEFAULT_WASM_THREADS;
        } catch (err) {
          throw new GraphError('argument', (err as Error).message);
        }
        const wasm = await activateWasm({ threads });
        if (!wasm.ok) return null;
        installFastTanh();
        installFastMatrixKernels();
        const detail = '@tensorflow/tfjs-backend-wasm';
        return { name: 'wasm', detail: wasm.threads > 1 ? `${detail} (${wasm.threads} threads)` : detail };
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
