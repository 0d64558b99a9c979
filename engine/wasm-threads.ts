/**
 * Multithreaded tfjs-backend-wasm in Node (tfjs 4.22).
 *
 * Stock tfjs forces `WASM_HAS_MULTITHREAD_SUPPORT` off in Node (tfjs issue #3830), and forcing it on
 * fails: the backend's `init()` gives Emscripten a `locateFile` that turns the pthread worker script
 * into a `blob:` URL, which Node's `Worker` refuses (ERR_WORKER_PATH "blob:nodedata:…"), and it sends
 * the main script to each worker as a `Blob` for `importScripts`, which the worker cannot read. Even
 * then XNNPACK caps the pool at `os.cpus().length / 2` threads (`init_with_threads_count` in
 * backend.cc halves the logical core count), so a 2-core machine gets 1 thread.
 *
 * What this module does, only for the duration of the threaded start-up, all from outside the package:
 * - The Emscripten glue assigns `globalThis.Worker = worker_threads.Worker` and then calls
 *   `new Worker(locateFile('…worker.js'))`. `globalThis.Worker` becomes an accessor that always
 *   yields `PthreadWorker`: for a `blob:` URL while a threaded start is armed, it starts the same
 *   pthread worker script (shipped as a string in `wasm-out/…threaded-simd.worker.js`) with
 *   `eval: true`, and rewrites the worker's `load` message to name the standalone Emscripten glue
 *   file (`wasm-out/tfjs-backend-wasm-threaded-simd.js`, the same build as the bundled glue: the
 *   `.wasm` binaries and import tables are identical) instead of the Blob. Anything else is an
 *   ordinary `worker_threads.Worker`.
 * - Its `ref()` is a no-op, and all its workers are unref'd once the backend is up: Emscripten refs
 *   every worker that runs a pthread, and XNNPACK's pool threads never end, so a script would
 *   otherwise never exit. The process still ends by itself; Node terminates the workers.
 * - `os.cpus()` reports at least 2·threads entries while the module starts (the glue reads the core
 *   count through it), so the pool gets the requested size.
 * - A worker error, a start that does not finish within `timeoutMs`, or fewer threads than asked:
 *   the workers are terminated, the hooks removed, the wasm backend re-registered, and wasm starts
 *   single-threaded as stock, with one logged line saying why.
 *
 * Packaged Electron builds (engine.js bundle) do not ship `wasm-out/`: they fall back to one thread.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { Worker as NodeWorker, type WorkerOptions } from 'node:worker_threads';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { tf } from './tf.ts';

/** Environment variable: thread count for the wasm backend (`0`/`1`: single-threaded, `auto`). */
export const WASM_THREADS_ENV = 'RLC_WASM_THREADS';

export interface WasmThreadsOptions {
  /** XNNPACK pool size including the calling thread. ≤ 1: stock single-threaded wasm. Default: `defaultWasmThreads()`. */
  threads?: number;
  /** Give up on threads when the start takes longer than this (ms). Default 30,000. */
  timeoutMs?: number;
  /** Where the one-line fallback reason goes. Default `console.warn`. */
  log?: (line: string) => void;
  /**
   * Re-create the wasm backend even when it is already running (tensors on it become invalid).
   * Without it, a running wasm backend with a different thread count is kept unless it holds no tensors.
   */
  reinit?: boolean;
  /** Replaces Emscripten's pthread worker script (tests use it to exercise the fallback). */
  workerScript?: string;
}

export interface WasmActivation {
  /** The wasm backend is active. */
  ok: boolean;
  /** Threads the wasm backend computes with (1 when single-threaded). */
  threads: number;
  /** Why fewer threads than requested are in use, if so. */
  reason?: string;
}

/** Available cores, at most 4 (XNNPACK gains little beyond that for 256-wide layers). */
export function defaultWasmThreads(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(cores, 4));
}

/**
 * Reads `RLC_WASM_THREADS`: undefined when unset or empty, `defaultWasmThreads()` for `auto`,
 * else a non-negative integer. Throws on anything else.
 */
export function wasmThreadsFromEnv(value: string | undefined = process.env[WASM_THREADS_ENV]): number | undefined {
  if (value == null || value.trim() === '') return undefined;
  const v = value.trim().toLowerCase();
  if (v === 'auto') return defaultWasmThreads();
  if (!/^\d+$/.test(v)) throw new Error(`${WASM_THREADS_ENV} must be a non-negative integer or "auto", got "${value}"`);
  return Number(v);
}

/** Threads the running wasm backend uses: 1 when single-threaded, 0 when wasm is not initialised. */
export function wasmThreadCount(): number {
  if (!wasmInitialized()) return 0;
  return threadedBackend === registeredWasm() ? Math.max(1, getThreadsCount()) : 1;
}

// ---------------------------------------------------------------------------------------------

interface Armed {
  script: string;
  factoryPath: string;
  workers: NodeWorker[];
  /**
   * starting: worker errors make the start fail instead of throwing; running: Emscripten handles
   * them (it throws); failed: the half-started module is abandoned and its workers' errors ignored.
   */
  state: 'starting' | 'running' | 'failed';
  fail(reason: string): void;
}

interface EngineInternals {
  registry: Record<string, unknown>;
  registryFactory: Record<string, { factory: () => unknown; priority: number } | undefined>;
}

/** The pthread worker starts this way while a threaded start is armed (and afterwards, for pool growth). */
let armed: Armed | null = null;
/** The backend instance created threaded (compared by identity with the registry's). */
let threadedBackend: unknown = null;

const engine = () => tf.engine() as unknown as EngineInternals;
const registeredWasm = () => engine().registry.wasm;
const wasmInitialized = () => registeredWasm() != null;

class PthreadWorker extends NodeWorker {
  private readonly pthread: Armed | null;

  constructor(filename: string | URL, options?: WorkerOptions) {
    const cfg = typeof filename === 'string' && filename.startsWith('blob:') ? armed : null;
    // `execArgv: []`: the pthread script is plain CommonJS; loaders such as `--import tsx` would
    // only slow each worker's start.
    super(cfg ? cfg.script : filename, cfg ? { eval: true, execArgv: [] } : options);
    this.pthread = cfg;
    if (!cfg) return;
    URL.revokeObjectURL(filename as string);
    cfg.workers.push(this);
    // Emscripten listens for errors only once the module is compiled; an error before that would
    // be an uncaught 'error' event. During start-up every error or early exit means: fall back.
    super.on('error', (err: unknown) => {
      if (cfg.state === 'starting') cfg.fail(`a pthread worker failed: ${oneLine(err)}`);
    });
    super.once('exit', (code: number) => {
      if (cfg.state === 'starting') cfg.fail(`a pthread worker exited with code ${code}`);
    });
  }

  override postMessage(value: unknown, transferList?: readonly never[]): void {
    const msg = value as { cmd?: string } | null;
    if (this.pthread && msg && msg.cmd === 'load') value = { ...msg, urlOrBlob: this.pthread.factoryPath };
    super.postMessage(value, transferList);
  }

  override ref(): void {
    if (!this.pthread) super.ref();
  }

  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    const cfg = this.pthread;
    if (!cfg || event !== 'error') return super.on(event, listener);
    // Emscripten's handler rethrows (an uncaught exception): during start-up the constructor's
    // listener falls back instead; afterwards a dead pthread would hang XNNPACK, so it stays loud.
    return super.on('error', (err: unknown) => {
      if (cfg.state === 'running') listener(err);
    });
  }
}

let hook: { previous: PropertyDescriptor | undefined; assigned: unknown } | null = null;

function installWorkerHook(): void {
  if (hook) return;
  const state = { previous: Object.getOwnPropertyDescriptor(globalThis, 'Worker'), assigned: undefined as unknown };
  hook = state;
  Object.defineProperty(globalThis, 'Worker', {
    configurable: true,
    enumerable: false,
    get: () => PthreadWorker,
    // Emscripten assigns worker_threads.Worker here; PthreadWorker is that class for non-blob paths.
    set: (value: unknown) => {
      state.assigned = value;
    },
  });
}

function removeWorkerHook(): void {
  if (!hook) return;
  const { previous, assigned } = hook;
  hook = null;
  if (previous) Object.defineProperty(globalThis, 'Worker', previous);
  else if (assigned !== undefined) Object.defineProperty(globalThis, 'Worker', { value: assigned, writable: true, configurable: true });
  else delete (globalThis as { Worker?: unknown }).Worker;
}

/** `os.cpus()` lists at least `count` entries until the returned function is called. */
function padCpus(count: number): () => void {
  const mutableOs = os as unknown as { cpus: () => os.CpuInfo[] };
  const real = mutableOs.cpus;
  const padded = () => {
    const list = real.call(os);
    if (list.length >= count || list.length === 0) return list;
    return Array.from({ length: count }, (_, i) => list[i % list.length]);
  };
  mutableOs.cpus = padded;
  return () => {
    if (mutableOs.cpus === padded) mutableOs.cpus = real;
  };
}

/** Removes and re-registers the wasm backend factory: the next `setBackend('wasm')` starts a fresh module. */
function resetWasmBackend(): void {
  const entry = engine().registryFactory.wasm;
  if (!entry) throw new Error('the wasm backend is not registered (import @tensorflow/tfjs-backend-wasm)');
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', entry.factory as () => never, entry.priority);
  threadedBackend = null;
}

function oneLine(err: unknown): string {
  const e = err as { message?: unknown } | null;
  const text = e && typeof e.message === 'string' ? e.message : String(err);
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}

/** A WebAssembly module with a shared memory and an atomic op (as tfjs's own feature test). */
const THREADS_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254, 16, 2, 0, 26, 11,
]);

function locateThreadedFiles(workerScript?: string): { script: string; factoryPath: string } {
  const req = createRequire(import.meta.url);
  const factoryPath = req.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
  let script = workerScript;
  if (script == null) {
    const mod = req('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js') as { wasmWorkerContents?: unknown };
    if (typeof mod.wasmWorkerContents !== 'string' || !mod.wasmWorkerContents.includes('urlOrBlob')) {
      throw new Error('unexpected content in tfjs-backend-wasm-threaded-simd.worker.js');
    }
    // The glue keeps "\n" escapes unescaped in one string literal; tfjs escapes them the same way
    // before it makes its Blob.
    script = mod.wasmWorkerContents.replace(/\n/g, '\\n');
  }
  return { script, factoryPath };
}

async function setBackendWasm(): Promise<boolean> {
  try {
    return (await tf.setBackend('wasm')) && tf.getBackend() === 'wasm';
  } catch {
    return false;
  }
}

/** Starts wasm with `threads` threads; returns null on success, else why not (state cleaned up). */
async function startThreaded(threads: number, options: WasmThreadsOptions): Promise<string | null> {
  if (typeof process === 'undefined' || !process.versions?.node) return 'not running in Node';
  if (typeof SharedArrayBuffer !== 'function') return 'SharedArrayBuffer is unavailable';
  try {
    const wasmApi = (globalThis as unknown as { WebAssembly?: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
    if (!wasmApi?.validate(THREADS_PROBE)) return 'this runtime lacks WebAssembly threads';
  } catch {
    return 'this runtime lacks WebAssembly threads';
  }
  if (!(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) return 'the threaded binary needs WebAssembly SIMD';
  let files: { script: string; factoryPath: string };
  try {
    files = locateThreadedFiles(options.workerScript);
  } catch (err) {
    return `cannot find tfjs-backend-wasm's pthread files: ${oneLine(err)}`;
  }

  let failed: (reason: string) => void = () => {};
  const failure = new Promise<string>((resolve) => {
    failed = resolve;
  });
  const cfg: Armed = { ...files, workers: [], state: 'starting', fail: (reason) => failed(reason) };
  armed = cfg;
  installWorkerHook();
  if (wasmInitialized() || engine().registryFactory.wasm) resetWasmBackend();
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  const restoreCpus = padCpus(2 * threads);
  let timer: NodeJS.Timeout | undefined;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`the threaded start took longer than ${timeoutMs} ms`), timeoutMs);
  });
  let reason: string | null = 'the threaded start was interrupted';
  try {
    const outcome = await Promise.race([setBackendWasm().then((ok) => (ok ? null : 'the threaded module failed to start')), failure, timeout]);
    reason = outcome;
    if (reason == null) {
      const got = getThreadsCount();
      if (got < 2) reason = `the threaded module started with ${got} thread(s)`;
    }
  } finally {
    clearTimeout(timer);
    restoreCpus();
    cfg.state = reason == null ? 'running' : 'failed';
  }
  if (reason == null) {
    threadedBackend = registeredWasm();
    for (const w of cfg.workers) w.unref();
    return null;
  }
  // Clean up: drop the half-started module and its workers, and leave tfjs as stock.
  for (const w of cfg.workers) void w.terminate();
  resetWasmBackend();
  disarm();
  return reason;
}

/** Back to stock: the next wasm start is single-threaded. */
function disarm(): void {
  armed = null;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setThreadsCount(-1);
  removeWorkerHook();
}

/**
 * Activates the wasm backend with `threads` threads (call it instead of `tf.setBackend('wasm')`).
 * When threads cannot start it logs one line and activates stock single-threaded wasm.
 */
export async function activateWasm(options: WasmThreadsOptions = {}): Promise<WasmActivation> {
  const threads = Math.max(1, Math.floor(options.threads ?? defaultWasmThreads()));
  const log = options.log ?? ((line: string) => console.warn(line));
  const current = wasmThreadCount();
  if (current > 0 && !options.reinit) {
    const holdsData = ((registeredWasm() as { numDataIds?: () => number }).numDataIds?.() ?? 0) > 0;
    if (current === threads || holdsData) {
      const ok = await setBackendWasm();
      const reason = current < threads ? `wasm already runs with ${current} thread(s) and holds tensors` : undefined;
      if (reason) log(`wasm: using ${current} thread(s), not ${threads}: ${reason}`);
      return { ok, threads: ok ? current : 0, ...(reason ? { reason } : {}) };
    }
  }
  let reason: string | undefined;
  if (threads > 1) {
    const failure = await startThreaded(threads, options);
    if (failure == null) return { ok: true, threads: wasmThreadCount() };
    reason = failure;
    log(`wasm: ${threads} threads unavailable, using 1: ${reason}`);
  } else if (current > 1 || (current > 0 && options.reinit)) {
    resetWasmBackend();
    disarm();
  }
  const ok = await setBackendWasm();
  return { ok, threads: ok ? 1 : 0, ...(reason ? { reason } : {}) };
}
