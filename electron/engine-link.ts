/**
 * Connects editor windows to the engine process: each page gets its own MessageChannelMain, one
 * end handed to the engine (`EngineProcess.attach`), the other posted to the page with
 * IPC.enginePort. Done again whenever the page (re)loads and for every window after an engine
 * restart (the old ports died with the old process).
 */
import { IPC, type EngineStatus } from './desktop-api.ts';

/** The parts of engine/host/engine-process.ts's EngineProcess used here. */
export interface EngineHost {
  readonly state: EngineStatus;
  attach(port: unknown): void;
  restart(): unknown;
}

/** A page's WebContents, for posting the port (Electron's WebContents fits, with MessagePortMain). */
export interface PortTarget<P> {
  postMessage(channel: string, message: unknown, transfer?: P[]): void;
  isDestroyed(): boolean;
}

/** Two entangled ports (Electron's MessageChannelMain fits). */
export interface PortPair<P> {
  port1: P;
  port2: P;
}

export class EngineLink<P extends { close(): void }> {
  constructor(
    private readonly engine: EngineHost,
    private readonly createChannel: () => PortPair<P>,
    private readonly targets: () => Iterable<PortTarget<P>>,
  ) {}

  /** Gives one page a fresh engine connection. False when the engine is down (crashed). */
  connect(target: PortTarget<P>): boolean {
    if (target.isDestroyed() || this.engine.state.state === 'crashed') return false;
    const { port1, port2 } = this.createChannel();
    try {
      this.engine.attach(port2); // queued by the engine host until the process is ready
    } catch (error) {
      port1.close();
      port2.close();
      console.error(`cannot connect a window to the engine: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
    target.postMessage(IPC.enginePort, null, [port1]);
    return true;
  }

  /** Replaces the engine process and reconnects every page. */
  restart(): void {
    this.engine.restart();
    for (const target of this.targets()) this.connect(target);
  }
}
