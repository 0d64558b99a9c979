/**
 * The runs of one engine host. A run lives in the host, not in a connection: an editor that
 * disconnects and comes back subscribes again and gets the run's state and every metrics row so
 * far. One run is active at a time (tfjs has one global backend and the machine has 2 cores).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { compile } from '../compiler.ts';
import { GraphError, GraphErrors } from '../errors.ts';
import { graphSchema, type GraphFile } from '../graph/schema.ts';
import { createRunActor, type EmittedEvent, type RunEvent } from '../machine.ts';
import { blockRegistry } from '../registry.ts';
import type { MetricsRow } from '../run-folder.ts';
import type { Problem, RunInfo } from './protocol.ts';

export type RunListener = (runId: string, event: Record<string, unknown>) => void;

interface ManagedRun {
  info: Omit<RunInfo, 'state'>;
  actor: ReturnType<typeof createRunActor>['actor'];
  session: ReturnType<typeof createRunActor>['session'];
  metrics: MetricsRow[];
  progress: unknown;
  summary: unknown;
  finished: boolean;
}

/** GraphError(s) or anything else as protocol problems. */
export function toProblems(error: unknown): Problem[] {
  const list = error instanceof GraphErrors ? error.errors : [error];
  return list.map((e) =>
    e instanceof GraphError
      ? { code: e.code, message: e.message, node: e.nodeId, port: e.port, edge: e.edge }
      : { code: 'error', message: e instanceof Error ? e.message : String(e) },
  );
}

/** Schema + compiler checks of an untrusted graph document; throws GraphError(s). */
export function checkGraph(document: unknown): GraphFile {
  const parsed = graphSchema.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new GraphError('schema', `graph: ${issue.path.join('.') || 'top level'}: ${issue.message}`);
  }
  compile(parsed.data, blockRegistry());
  return parsed.data;
}

export class RunManager {
  private readonly runs = new Map<string, ManagedRun>();
  private readonly listeners = new Set<RunListener>();

  constructor(private readonly workspace: string) {}

  onEvent(listener: RunListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(runId: string, event: Record<string, unknown>): void {
    for (const listener of this.listeners) listener(runId, event);
  }

  active(): ManagedRun | undefined {
    return [...this.runs.values()].find((r) => !r.finished);
  }

  /** Starts a run of a validated graph; its folder goes under <workspace>/runs/. */
  start(document: unknown, name?: string): RunInfo {
    const busy = this.active();
    if (busy) throw new GraphError('argument', `run ${busy.info.runId} (${busy.info.name}) is still active: stop it first`);
    const graph = checkGraph(document);
    const runId = randomBytes(6).toString('hex');
    const label = (name ?? graph.meta.template ?? graph.meta.name).replace(/[^A-Za-z0-9_.-]+/g, '-');
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
    const dir = join(this.workspace, 'runs', `${label}-s${graph.run.seed}-${stamp}-${runId.slice(0, 4)}`);
    const { actor, session } = createRunActor({ graph, outDir: dir, streamFrames: true });
    const run: ManagedRun = {
      info: { runId, name: label, dir, startedAt: new Date().toISOString() },
      actor,
      session,
      metrics: [],
      progress: undefined,
      summary: undefined,
      finished: false,
    };
    this.runs.set(runId, run);
    const forward = (event: EmittedEvent) => {
      if (event.type === 'metrics') {
        run.metrics.push(event.row);
        // The iteration's agent-view frames (sub-env 0, evenly spaced), once per iteration.
        const frames = session.frames.take();
        if (frames) this.emit(runId, { type: 'frames', envId: frames.envId, frames: frames.frames });
      }
      if (event.type === 'progress') run.progress = event.progress;
      if (event.type === 'summary') run.summary = event.summary;
      this.emit(runId, event as unknown as Record<string, unknown>);
    };
    for (const type of ['progress', 'metrics', 'log', 'error', 'summary'] as const) actor.on(type, forward);
    let previous = '';
    actor.subscribe((snapshot) => {
      const state = JSON.stringify(snapshot.value);
      if (state !== previous) this.emit(runId, { type: 'state', state: snapshot.value });
      previous = state;
      if (snapshot.status === 'done' && !run.finished) {
        run.finished = true;
        session.dispose();
      }
    });
    actor.start();
    actor.send({ type: 'START' });
    return this.info(run);
  }

  control(runId: string, event: RunEvent): void {
    this.get(runId).actor.send(event);
  }

  /** One fresh episode of the run's current policy (agent view); only while the run is active. */
  playEpisode(runId: string): { envId: string; frames: number[][]; return: number } {
    const run = this.get(runId);
    if (run.finished) throw new GraphError('argument', `run ${runId} has finished: start a run to play an episode of its policy`);
    const episode = run.session.recordEpisode();
    return { envId: episode.envId, frames: episode.states, return: episode.return };
  }

  get(runId: string): ManagedRun {
    const run = this.runs.get(runId);
    if (!run) throw new GraphError('argument', `there is no run '${runId}'`);
    return run;
  }

  info(run: ManagedRun): RunInfo {
    return { ...run.info, state: run.actor.getSnapshot().value };
  }

  list(): RunInfo[] {
    return [...this.runs.values()].map((r) => this.info(r));
  }

  /** Stops every run (server shutdown): each writes its checkpoint and summary. */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.runs.values()]
        .filter((r) => !r.finished)
        .map(
          (r) =>
            new Promise<void>((resolve) => {
              const sub = r.actor.subscribe((s) => {
                if (s.status === 'done') {
                  sub.unsubscribe();
                  resolve();
                }
              });
              r.actor.send({ type: 'STOP', reason: 'server shutdown' });
            }),
        ),
    );
  }
}
