/**
 * One EngineClient suite, run against every transport the editor uses: the WebSocket of
 * `rlc serve`, the desktop app's engine process (worker.ts as a child process: Electron runs the
 * same file in a utilityProcess), and a MessagePort (the renderer's side of the desktop IPC).
 * The same messages must behave the same way over each. Then: killing the engine process mid-run
 * is reported to the client, and a restarted process runs again.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { EngineStatus } from '../electron/desktop-api.ts';
import { MessageEngineClient, MessagePortEngineClient, type PortLike, WebSocketEngineClient } from '../engine/host/client.ts';
import { type Channel, EngineEndpoint } from '../engine/host/endpoint.ts';
import { childProcessTransport, EngineProcess, nodeEngineChild } from '../engine/host/engine-process.ts';
import { RunManager } from '../engine/host/run-manager.ts';
import { type RunningServer, startServer } from '../engine/host/server.ts';
import { selectBackend } from '../engine/backend.ts';
import { ROOT, smallPpo, tempDir, template, waitFor } from './helpers.ts';

const WORKER = join(ROOT, 'engine', 'host', 'worker.ts');

/** Forks the engine process the way the desktop app does (here with tsx instead of a bundle). */
function forkEngine(workspace: string): ChildProcess {
  return fork(WORKER, ['--workspace', workspace], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
}

interface Harness {
  workspace: string;
  connect(): Promise<MessageEngineClient>;
  close(): Promise<void>;
}

async function webSocketHarness(): Promise<Harness> {
  const workspace = tempDir('rlc-tr-ws-');
  const server: RunningServer = await startServer({ port: 0, host: '127.0.0.1', workspace, templatesDir: join(ROOT, 'templates') });
  return {
    workspace,
    connect: () => WebSocketEngineClient.connect(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`, (url) => new WebSocket(url)),
    close: () => server.close(),
  };
}

async function childProcessHarness(): Promise<Harness> {
  const workspace = tempDir('rlc-tr-ipc-');
  // A Node child has one IPC channel: one process per connection here (Electron hands ports instead).
  const engines: EngineProcess[] = [];
  return {
    workspace,
    async connect() {
      let child: ChildProcess | undefined;
      const engine = new EngineProcess({
        spawn: () => nodeEngineChild((child = forkEngine(workspace))),
        onStatus: () => undefined,
      });
      engines.push(engine);
      engine.start();
      return new MessageEngineClient(childProcessTransport(child!));
    },
    close: async () => {
      await Promise.all(engines.map((e) => e.stop()));
    },
  };
}

async function messagePortHarness(): Promise<Harness> {
  const workspace = tempDir('rlc-tr-port-');
  const manager = new RunManager(workspace);
  const choice = await selectBackend('auto');
  const endpoint = new EngineEndpoint({ manager, workspace, backend: choice });
  const ports: { close(): void }[] = [];
  return {
    workspace,
    async connect() {
      const { port1, port2 } = new MessageChannel();
      ports.push(port1, port2);
      // The engine's end, as worker.ts wires a port it is handed.
      let open = true;
      const channel: Channel = { send: (m) => port2.postMessage(m), isOpen: () => open };
      port2.on('message', (m: unknown) => endpoint.receive(channel, m));
      port2.on('close', () => {
        open = false;
        endpoint.close(channel);
      });
      endpoint.open(channel);
      // Node's MessagePort types its listener as a generic EventListener; the events carry `data` as in a browser.
      return new MessagePortEngineClient(port1 as unknown as PortLike);
    },
    close: async () => {
      await manager.stopAll();
      for (const p of ports) p.close();
    },
  };
}

const transports: [string, () => Promise<Harness>][] = [
  ['WebSocket (rlc serve)', webSocketHarness],
  ['engine process (IPC, as the desktop utilityProcess)', childProcessHarness],
  ['MessagePort (renderer side of the desktop IPC)', messagePortHarness],
];

describe.each(transports)('EngineClient over %s', (_name, makeHarness) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await makeHarness();
  }, 60_000);
  afterAll(async () => {
    await harness.close();
  }, 60_000);

  it('greets with the backend in use and the workspace', async () => {
    const client = await harness.connect();
    const hello = await client.greeting();
    expect(['tensorflow', 'wasm', 'cpu']).toContain(hello.backend);
    expect(hello.backendDetail).toMatch(/tfjs/);
    expect(hello.workspace).toBe(harness.workspace);
    client.close();
  }, 60_000);

  it('answers catalogue and validation, and pins problems to the node', async () => {
    const client = await harness.connect();
    const catalogue = await client.call({ type: 'catalogue' }, 'catalogue');
    expect(catalogue.blocks.length).toBeGreaterThan(20);
    const graph = template('ppo-clip.cartpole');
    graph.nodes.find((n) => n.id === 'clip')!.params.epsilon = 3;
    const bad = await client.call({ type: 'validate', graph }, 'validation');
    expect(bad.valid).toBe(false);
    expect(bad.problems[0]).toMatchObject({ code: 'invalid-param', node: 'clip' });
    await expect(client.request({ type: 'run.control', runId: 'nope', event: { type: 'PAUSE' } })).rejects.toThrow(/no run 'nope'/);
    await expect(client.request({ type: 'runs.curve', name: '../etc' })).rejects.toThrow(/not a run name/);
    client.close();
  }, 60_000);

  it('runs a graph: events stream; pause, step, resume, live param, stop; the run is listed afterwards', async () => {
    const client = await harness.connect();
    const events: Record<string, unknown>[] = [];
    client.onRunEvent((_id, event) => events.push(event));
    const { run } = await client.call({ type: 'run.start', graph: smallPpo(1_000_000) }, 'run.started');
    expect(run.dir.startsWith(join(harness.workspace, 'runs'))).toBe(true);
    const metricsCount = () => events.filter((e) => e.type === 'metrics').length;
    await waitFor(() => (metricsCount() >= 1 ? true : undefined));
    // progress is emitted right after metrics, as its own message: it may still be in transit.
    await waitFor(() => (events.some((e) => e.type === 'progress') ? true : undefined));

    const control = (event: Parameters<MessageEngineClient['call']>[0] & { type: 'run.control' }) => client.call(event, 'ack');
    await control({ type: 'run.control', runId: run.runId, event: { type: 'PAUSE' } });
    await waitFor(() => (events.some((e) => e.type === 'state' && JSON.stringify(e.state).includes('paused')) ? true : undefined));
    const before = metricsCount();
    await control({ type: 'run.control', runId: run.runId, event: { type: 'STEP' } });
    await waitFor(() => (metricsCount() === before + 1 ? true : undefined));
    await control({ type: 'run.control', runId: run.runId, event: { type: 'SET_PARAM', node: 'adam', param: 'lr', value: 5e-4 } });
    await control({ type: 'run.control', runId: run.runId, event: { type: 'RESUME' } });
    await waitFor(() => (metricsCount() >= before + 2 ? true : undefined));

    const snapshot = await client.call({ type: 'run.subscribe', runId: run.runId }, 'run.snapshot');
    expect(snapshot.metrics.length).toBeGreaterThanOrEqual(before + 1);
    const episode = await client.call({ type: 'run.playEpisode', runId: run.runId }, 'episode');
    expect(episode.envId).toBe('CartPole-v1');
    expect(episode.frames.length).toBeGreaterThan(0);

    await control({ type: 'run.control', runId: run.runId, event: { type: 'STOP' } });
    const summary = await waitFor(() => events.find((e) => e.type === 'summary'));
    expect(summary).toMatchObject({ summary: { interrupted: true } });
    await waitFor(() => (events.some((e) => e.type === 'state' && e.state === 'done') ? true : undefined));

    const history = await client.call({ type: 'runs.history' }, 'runs.history');
    const name = run.dir.split(/[\\/]/).pop()!;
    expect(history.runs.map((r) => r.name)).toContain(name);
    const curve = await client.call({ type: 'runs.curve', name }, 'runs.curve');
    expect(curve.rows.length).toBeGreaterThanOrEqual(before + 2);
    expect(curve.rows[0]).toHaveProperty('step');
    client.close();
  }, 120_000);
});

describe('the engine process crashes', () => {
  it('a kill mid-run is reported to the client and the supervisor; a restarted engine runs again', async () => {
    const workspace = tempDir('rlc-crash-');
    const statuses: EngineStatus[] = [];
    let child: ChildProcess | undefined;
    const engine = new EngineProcess({ spawn: () => nodeEngineChild((child = forkEngine(workspace))), onStatus: (s) => statuses.push(s) });
    engine.start();
    let client = new MessageEngineClient(childProcessTransport(child!));
    expect((await client.greeting()).backend).toBeTruthy();
    await waitFor(() => (statuses.some((s) => s.state === 'ready') ? true : undefined));
    const lost: string[] = [];
    client.onClose((reason) => lost.push(reason));
    const events: Record<string, unknown>[] = [];
    client.onRunEvent((_id, e) => events.push(e));
    const { run } = await client.call({ type: 'run.start', graph: smallPpo(1_000_000) }, 'run.started');
    await waitFor(() => (events.some((e) => e.type === 'metrics') ? true : undefined));

    // A request in flight when the process dies is rejected, never left hanging.
    const pending = client.request({ type: 'run.subscribe', runId: run.runId }).then(
      () => 'answered',
      (error: Error) => error.message,
    );
    child!.kill('SIGKILL'); // a native backend crash looks like this to the parent
    await waitFor(() => (lost.length > 0 ? true : undefined));
    expect(lost[0]).toMatch(/engine process was killed \(SIGKILL\)/);
    await expect(client.request({ type: 'catalogue' })).rejects.toThrow(/killed/);
    expect(await pending).toMatch(/answered|killed/);
    await waitFor(() => (statuses.some((s) => s.state === 'crashed') ? true : undefined));
    expect(statuses.find((s) => s.state === 'crashed')).toMatchObject({ state: 'crashed', exitCode: null, message: expect.stringMatching(/was killed/) });
    // What the run wrote before the crash stays on disk.
    expect(existsSync(join(run.dir, 'metrics.jsonl'))).toBe(true);

    engine.restart();
    client = new MessageEngineClient(childProcessTransport(child!));
    await waitFor(() => (statuses[statuses.length - 1].state === 'ready' ? true : undefined));
    expect(statuses.map((s) => s.state)).toEqual(['starting', 'ready', 'crashed', 'restarting', 'starting', 'ready']);
    const fresh: Record<string, unknown>[] = [];
    client.onRunEvent((_id, e) => fresh.push(e));
    const second = await client.call({ type: 'run.start', graph: smallPpo(1_000_000) }, 'run.started');
    await waitFor(() => (fresh.some((e) => e.type === 'metrics') ? true : undefined));
    await client.call({ type: 'run.control', runId: second.run.runId, event: { type: 'STOP' } }, 'ack');
    await waitFor(() => (fresh.some((e) => e.type === 'state' && e.state === 'done') ? true : undefined));
    await engine.stop();
    expect(statuses[statuses.length - 1].state).toBe('ready'); // a requested stop is not a crash
  }, 120_000);
});
