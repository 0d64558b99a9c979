/**
 * Entry of the engine process. In the desktop app it runs in an Electron `utilityProcess`: the
 * main process hands it one MessagePort per editor window (`host.connect`). Run with Node's `fork`
 * (tests, tools), its own IPC channel is its one editor connection. Either way it speaks the
 * editor protocol of protocol.ts through EngineEndpoint, exactly like `rlc serve`.
 *
 *   worker.js --workspace <dir>
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../backend.ts';
import { type Channel, EngineEndpoint } from './endpoint.ts';
import type { HostCommand, HostReport } from './engine-process.ts';
import type { ServerMessage } from './protocol.ts';
import { RunManager } from './run-manager.ts';

/** Electron's MessagePortMain, as the utility process receives it. */
interface MainPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  start(): void;
}

/** Electron's `process.parentPort` inside a utility process. */
interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown; ports: MainPort[] }) => void): unknown;
}

const isCommand = (value: unknown, type: HostCommand['type']): boolean =>
  typeof value === 'object' && value !== null && (value as { type?: unknown }).type === type;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { workspace: { type: 'string' } }, strict: false });
  const workspace = resolve(typeof values.workspace === 'string' ? values.workspace : process.cwd());
  mkdirSync(workspace, { recursive: true });
  const backend = await selectBackend('auto');
  const manager = new RunManager(workspace);
  const endpoint = new EngineEndpoint({ manager, workspace, backend });
  const ready: HostReport = { type: 'host.ready', backend: backend.name, backendDetail: backend.detail };

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await manager.stopAll(); // each active run writes its checkpoint and summary
    process.exit(0);
  };

  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    parentPort.on('message', ({ data, ports }) => {
      if (isCommand(data, 'host.stop')) return void shutdown();
      if (!isCommand(data, 'host.connect') || !ports[0]) return;
      const port = ports[0];
      let open = true;
      const channel: Channel = { send: (message: ServerMessage) => port.postMessage(message), isOpen: () => open };
      port.on('message', ({ data: message }) => endpoint.receive(channel, message));
      port.on('close', () => {
        open = false;
        endpoint.close(channel); // the window went away; its run goes on
      });
      port.start();
      endpoint.open(channel);
    });
    parentPort.postMessage(ready);
    return;
  }

  if (!process.send) throw new Error('worker.ts runs as an engine process (Electron utilityProcess or Node fork), not on its own');
  const send = process.send.bind(process);
  const channel: Channel = { send: (message) => void send(message), isOpen: () => process.connected };
  process.on('message', (message) => {
    if (isCommand(message, 'host.stop')) return void shutdown();
    endpoint.receive(channel, message);
  });
  // The parent is gone: finish cleanly rather than train for nobody.
  process.on('disconnect', () => void shutdown());
  send(ready);
  endpoint.open(channel);
}

main().catch((error: unknown) => {
  process.stderr.write(`engine process failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
