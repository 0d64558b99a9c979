/**
 * The engine side of the editor protocol, independent of the transport: `rlc serve` wraps it in a
 * WebSocket server, the desktop app's engine process in MessagePorts. Every incoming message is
 * checked with the protocol's zod schema; every reply goes through one `send` per connection.
 */
import { blockRegistry } from '../registry.ts';
import { clientMessageSchema, type ServerMessage } from './protocol.ts';
import { listRuns, pickCurve, readMetricsRows, runFolderPath } from './run-history.ts';
import { checkGraph, type RunManager, toProblems } from './run-manager.ts';
import { GraphError } from '../errors.ts';
import { existsSync, statSync } from 'node:fs';

/** One open connection to an editor, whatever carries it. */
export interface Channel {
  /** Delivers one message (the transport encodes it: JSON text for a WebSocket, a clone for a port). */
  send(message: ServerMessage): void;
  /** Whether the other end can still receive. */
  isOpen(): boolean;
}

export interface EndpointOptions {
  manager: RunManager;
  workspace: string;
  backend: { name: string; detail: string };
}

export class EngineEndpoint {
  private readonly connections = new Map<Channel, Set<string>>();
  private readonly registry = blockRegistry();

  constructor(private readonly options: EndpointOptions) {
    options.manager.onEvent((runId, event) => {
      const message: ServerMessage = { type: 'run.event', runId, event };
      for (const [channel, runs] of this.connections) if (runs.has(runId) && channel.isOpen()) channel.send(message);
    });
  }

  /** A new editor connection: greets it with the backend in use. */
  open(channel: Channel): void {
    this.connections.set(channel, new Set());
    channel.send({ type: 'hello', backend: this.options.backend.name, backendDetail: this.options.backend.detail, workspace: this.options.workspace });
  }

  /** The connection went away; its runs go on (a new connection can subscribe again). */
  close(channel: Channel): void {
    this.connections.delete(channel);
  }

  /** Handles one decoded message of a connection; problems become an `error` reply. */
  receive(channel: Channel, raw: unknown): void {
    const reply = (message: ServerMessage) => channel.isOpen() && channel.send(message);
    const requestId =
      raw && typeof raw === 'object' && typeof (raw as { requestId?: unknown }).requestId === 'string'
        ? (raw as { requestId: string }).requestId
        : undefined;
    try {
      const parsed = clientMessageSchema.safeParse(raw);
      if (!parsed.success) throw new Error(`bad message: ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`);
      const msg = parsed.data;
      const { manager, workspace } = this.options;
      const followed = this.connections.get(channel) ?? new Set<string>();
      switch (msg.type) {
        case 'catalogue':
          return void reply({ type: 'catalogue', requestId, blocks: this.registry.catalogue() });
        case 'validate':
          try {
            checkGraph(msg.graph);
            return void reply({ type: 'validation', requestId, valid: true, problems: [] });
          } catch (error) {
            return void reply({ type: 'validation', requestId, valid: false, problems: toProblems(error) });
          }
        case 'run.start': {
          const run = manager.start(msg.graph, msg.name);
          followed.add(run.runId);
          return void reply({ type: 'run.started', requestId, run });
        }
        case 'run.control':
          manager.control(msg.runId, msg.event);
          return void reply({ type: 'ack', requestId });
        case 'run.subscribe': {
          const run = manager.get(msg.runId);
          followed.add(msg.runId);
          return void reply({ type: 'run.snapshot', requestId, run: manager.info(run), metrics: run.metrics, progress: run.progress, summary: run.summary });
        }
        case 'runs.list':
          return void reply({ type: 'runs', requestId, runs: manager.list() });
        case 'run.playEpisode': {
          const episode = manager.playEpisode(msg.runId);
          return void reply({ type: 'episode', requestId, runId: msg.runId, ...episode });
        }
        case 'runs.history':
          return void reply({ type: 'runs.history', requestId, runs: listRuns(workspace) });
        case 'runs.curve': {
          const dir = runFolderPath(workspace, msg.name);
          if (dir === null) throw new GraphError('argument', `refused: '${msg.name}' is not a run name`);
          if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new GraphError('argument', `no run '${msg.name}'`);
          return void reply({ type: 'runs.curve', requestId, name: msg.name, rows: readMetricsRows(dir).map(pickCurve) });
        }
      }
    } catch (error) {
      reply({ type: 'error', requestId, problems: toProblems(error) });
    }
  }
}
