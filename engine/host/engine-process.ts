/**
 * The engine in its own process, seen from the parent. The desktop app runs engine/host/worker.ts
 * in an Electron `utilityProcess` so training never stalls the window and the native TensorFlow
 * backend can load in Node; tests and tools run the same file as a plain Node child process.
 * `EngineProcess` spawns it, hands it editor connections, reports its state (starting, ready with
 * the backend it chose, crashed) and restarts it on request.
 */
import type { ChildProcess } from 'node:child_process';
import { z } from 'zod';
import type { EngineStatus } from '../../electron/desktop-api.ts';
import type { Transport } from './client.ts';

/** Parent → engine process (besides editor messages on its connections). */
export type HostCommand = { type: 'host.connect' } | { type: 'host.stop' };

/** Engine process → parent. */
export const hostReportSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('host.ready'), backend: z.string(), backendDetail: z.string() }),
  z.object({ type: z.literal('host.stopped') }),
]);
export type HostReport = z.infer<typeof hostReportSchema>;

/** What the parent needs of the child: Electron's UtilityProcess and `nodeEngineChild` both fit. */
export interface EngineChild {
  postMessage(message: unknown, transfer?: unknown[]): void;
  kill(): boolean;
  on(event: 'exit', listener: (code: number | null) => void): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

export interface EngineProcessOptions {
  spawn: () => EngineChild;
  onStatus: (status: EngineStatus) => void;
  /** How long `stop()` waits for a clean exit (runs write their checkpoint) before killing. */
  stopTimeoutMs?: number;
}

export class EngineProcess {
  private child: EngineChild | null = null;
  private ready = false;
  /** Connections handed over before the process was ready; sent once it is. */
  private queued: unknown[] = [];
  private status: EngineStatus = { state: 'starting' };
  /** Children we are stopping on purpose: their exit is not a crash. */
  private readonly retiring = new WeakSet<EngineChild>();

  constructor(private readonly options: EngineProcessOptions) {}

  get current(): EngineChild | null {
    return this.child;
  }

  get state(): EngineStatus {
    return this.status;
  }

  start(): EngineChild {
    if (this.child) return this.child;
    this.report({ state: 'starting' });
    const child = this.options.spawn();
    this.child = child;
    this.ready = false;
    child.on('message', (message) => {
      const parsed = hostReportSchema.safeParse(message);
      if (!parsed.success || child !== this.child) return;
      if (parsed.data.type === 'host.ready') {
        this.ready = true;
        this.report({ state: 'ready', backend: parsed.data.backend, backendDetail: parsed.data.backendDetail });
        for (const port of this.queued.splice(0)) this.send(child, port);
      }
    });
    child.on('exit', (code) => {
      if (this.retiring.has(child)) return;
      if (child === this.child) {
        this.child = null;
        this.ready = false;
        this.queued = [];
        const how = code === null ? 'was killed' : `exited with code ${code}`;
        this.report({ state: 'crashed', exitCode: code, message: `The engine process ${how}. The open graph is safe; restart the engine to run again.` });
      }
    });
    return child;
  }

  /** Hands one end of a MessageChannel to the engine: a new editor connection. */
  attach(port: unknown): void {
    if (!this.child) throw new Error('the engine process is not running');
    if (this.ready) this.send(this.child, port);
    else this.queued.push(port);
  }

  /** Replaces the process (after a crash, or on request); editors must attach again. */
  restart(): EngineChild {
    const old = this.child;
    if (old) {
      this.retiring.add(old);
      old.kill();
    }
    this.child = null;
    this.report({ state: 'restarting' });
    return this.start();
  }

  /** Asks the engine to stop its runs (each writes its checkpoint) and exit; kills it after a timeout. */
  stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child) return Promise.resolve();
    this.retiring.add(child);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        child.kill();
        resolve();
      }, this.options.stopTimeoutMs ?? 5000);
      child.on('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.postMessage({ type: 'host.stop' } satisfies HostCommand);
    });
  }

  private send(child: EngineChild, port: unknown): void {
    child.postMessage({ type: 'host.connect' } satisfies HostCommand, [port]);
  }

  private report(status: EngineStatus): void {
    this.status = status;
    this.options.onStatus(status);
  }
}

/** A Node child process (`child_process.fork` of worker.ts) as an EngineChild. */
export function nodeEngineChild(child: ChildProcess): EngineChild {
  return {
    postMessage(message, transfer) {
      // A Node IPC channel cannot carry ports: the child's own channel is its one connection.
      if (transfer && transfer.length > 0) throw new Error('a Node child process cannot take a MessagePort; use its IPC channel');
      if (child.connected) child.send(message as object);
    },
    kill: () => child.kill('SIGKILL'),
    on(event: 'exit' | 'message', listener: (value: never) => void) {
      if (event === 'exit') child.on('exit', (code) => (listener as (code: number | null) => void)(code));
      else child.on('message', listener as (message: unknown) => void);
      return child;
    },
  };
}

/**
 * An editor connection over a Node child process's IPC channel (the engine process run with
 * `fork`): the same protocol messages as a MessagePort, minus the parent's host reports.
 */
export function childProcessTransport(child: ChildProcess): Transport {
  return {
    send: (message) => {
      if (child.connected) child.send(message);
    },
    onMessage: (handler) =>
      child.on('message', (message) => {
        if (hostReportSchema.safeParse(message).success) return;
        handler(message);
      }),
    onClose: (handler) =>
      child.on('exit', (code, signal) => handler(`the engine process ${signal ? `was killed (${signal})` : `exited with code ${code}`}`)),
    close: () => child.disconnect(),
  };
}
