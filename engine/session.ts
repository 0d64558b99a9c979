/**
 * One training run: backend, compiled plan, executor, run folder, summary. The xstate run machine
 * (machine.ts) drives it phase by phase; the CLI, the editor and tests all use the same object.
 */
import { selectBackend, type BackendChoice } from './backend.ts';
import { compile, type Plan } from './compiler.ts';
import type { EnvSpec, VecEnv } from './env.ts';
import type { EnvResource, PolicyResource } from './block.ts';
import { recordEpisode, type RecordedEpisode } from './evaluate.ts';
import { drain, Executor, type IterationRecord } from './executor.ts';
import { deriveSeed } from './rng.ts';
import type { GraphFile } from './graph/schema.ts';
import { blockRegistry, type BlockRegistry } from './registry.ts';
import { type CheckpointFile, type MetricsRow, RunFolder } from './run-folder.ts';
import { tf } from './tf.ts';

export interface SessionOptions {
  graph: GraphFile;
  /** Run folder; omitted = keep nothing on disk (e.g. quick previews). */
  outDir?: string;
  /** Continue from the newest checkpoint in outDir. */
  resume?: boolean;
  registry?: BlockRegistry;
  log?: (message: string, nodeId?: string) => void;
  /** Keep a few env frames per iteration for an agent view (editor hosts; the CLI does not). */
  streamFrames?: boolean;
}

export interface Progress {
  iteration: number;
  step: number;
  totalSteps: number;
  episodes: number;
  meanReturnLast20: number | null;
  stepsPerSecond: number;
  wallSeconds: number;
  etaSeconds: number | null;
}

export interface Summary {
  template: string;
  seed: number;
  backend: string;
  steps: number;
  wallSeconds: number;
  stepsPerSecond: number;
  episodes: number;
  meanReturnLast20: number | null;
  eval: { episodes: number; meanReturn: number | null; stdReturn: number | null };
  firstStepReaching: Record<string, number | null>;
  /** Wall seconds (this run, all sessions) at which firstStepReaching was reached. */
  secondsReaching: Record<string, number | null>;
  [extra: string]: unknown;
}

/** Hands the event loop back (messages, Stop, Pause, SIGINT), then goes on. */
export const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface IterationOutcome {
  record: IterationRecord;
  row: MetricsRow;
  progress: Progress;
}

const WINDOW = 20;
/** Frames of the agent view kept per iteration (evenly spaced over the iteration's steps). */
export const FRAMES_PER_ITERATION = 30;

/**
 * Keeps evenly spaced frames of a stream of unknown length with bounded memory: every stride-th
 * frame is kept; when 2·max are held, every other one is dropped and the stride doubles.
 */
export class FrameSampler {
  envId: string | undefined;
  private frames: number[][] = [];
  private stride = 1;
  private count = 0;
  constructor(private readonly max = FRAMES_PER_ITERATION) {}

  /** Offers sub-env `index` of `env`; its state is read only when the frame is kept. */
  push(env: Pick<VecEnv, 'spec' | 'getState'>, index: number): void {
    const envId = env.spec.id;
    if (this.envId === undefined) this.envId = envId;
    else if (envId !== this.envId) return; // first collector's env only
    if (this.count++ % this.stride !== 0) return;
    this.frames.push(env.getState(index));
    if (this.frames.length >= 2 * this.max) {
      this.frames = this.frames.filter((_, i) => i % 2 === 0);
      this.stride *= 2;
    }
  }

  /** At most `max` evenly spaced frames since the last take; resets. */
  take(): { envId: string; frames: number[][] } | undefined {
    const { envId, frames } = this;
    this.envId = undefined;
    this.frames = [];
    this.stride = 1;
    this.count = 0;
    if (envId === undefined || !frames.length) return undefined;
    if (frames.length <= this.max) return { envId, frames };
    const picked: number[][] = [];
    for (let i = 0; i < this.max; i++) picked.push(frames[Math.floor((i * frames.length) / this.max)]);
    return { envId, frames: picked };
  }
}

export class RunSession {
  readonly graph: GraphFile;
  readonly folder: RunFolder | undefined;
  plan!: Plan;
  executor!: Executor;
  backend!: BackendChoice;
  envSpec: EnvSpec | undefined;
  threshold: number | null = null;
  readonly firstStepReaching: Record<string, number | null> = {};
  readonly secondsReaching: Record<string, number | null> = {};
  private readonly options: SessionOptions;
  /** Wall seconds of earlier sessions of this run (resume). */
  private priorSeconds = 0;
  private startedAt = 0;
  private stepsAtStart = 0;
  private checkpointEvery = 0;
  private checkpointKeep = 3;
  private lastCheckpointIteration = -1;
  resumedFrom: number | undefined;
  /** Agent-view frames of the current iteration (sub-env 0 of the first collector). */
  readonly frames = new FrameSampler();
  private episodesPlayed = 0;
  private disposed = false;

  constructor(options: SessionOptions) {
    this.options = options;
    this.graph = options.graph;
    this.folder = options.outDir ? new RunFolder(options.outDir) : undefined;
  }

  get totalSteps(): number {
    return this.graph.run.totalSteps;
  }

  get finished(): boolean {
    return this.executor.globalStep >= this.totalSteps;
  }

  /** Backend, compile, build, restore a checkpoint when resuming. Throws GraphError on bad graphs. */
  async prepare(): Promise<void> {
    this.plan = compile(this.graph, this.options.registry ?? blockRegistry());
    this.backend = await selectBackend(this.graph.run.backend);
    this.executor = new Executor(this.plan, {
      seed: this.graph.run.seed,
      totalSteps: this.graph.run.totalSteps,
      log: this.options.log,
      ...(this.options.streamFrames ? { onFrame: (env: VecEnv, index: number) => this.frames.push(env, index) } : {}),
    });
    this.executor.build();
    const collector = this.plan.order.map((id) => this.plan.nodes.get(id)!).find((n) => n.def.role === 'collector');
    this.envSpec = collector?.envSpec;
    this.threshold = this.envSpec?.rewardThreshold ?? null;
    if (this.threshold !== null) {
      this.firstStepReaching[String(this.threshold)] = null;
      this.secondsReaching[String(this.threshold)] = null;
    }
    const ckptNode = this.plan.order.map((id) => this.plan.nodes.get(id)!).find((n) => n.def.type === 'sink.checkpoint');
    if (ckptNode) {
      this.checkpointEvery = ckptNode.params.every as number;
      this.checkpointKeep = ckptNode.params.keep as number;
    }
    if (this.folder) {
      if (!this.options.resume) this.folder.clear();
      this.folder.create();
      this.folder.writeGraph(this.graph);
      if (this.options.resume) {
        const ckpt = this.folder.latestCheckpoint();
        if (!ckpt) throw new Error(`nothing to resume in ${this.folder.dir}: no checkpoint`);
        this.executor.loadState(ckpt.state);
        this.priorSeconds = ckpt.wallSeconds;
        Object.assign(this.firstStepReaching, ckpt.firstStepReaching);
        Object.assign(this.secondsReaching, ckpt.secondsReaching);
        this.folder.truncateMetrics(ckpt.iteration);
        this.resumedFrom = ckpt.iteration;
        this.lastCheckpointIteration = ckpt.iteration;
      } else {
        this.folder.resetMetrics();
      }
    }
    this.startedAt = performance.now();
    this.stepsAtStart = this.executor.globalStep;
    this.options.log?.(`backend ${this.backend.name} (${this.backend.detail})`);
    if (this.resumedFrom !== undefined) this.options.log?.(`resumed from the checkpoint of iteration ${this.resumedFrom} (step ${this.executor.globalStep})`);
  }

  /** Wall seconds of this run (all sessions of it). */
  get wallSeconds(): number {
    return this.priorSeconds + (performance.now() - this.startedAt) / 1000;
  }

  collect(): void {
    if (this.pending) return; // an iteration paused in its learning half goes on where it was
    this.frames.take(); // frames belong to one iteration
    this.executor.collectPhase();
  }

  /** Learning half of the iteration; records metrics; writes a checkpoint when one is due. */
  learn(): IterationOutcome {
    const slices = this.pending ?? this.executor.learnSlices();
    this.pending = undefined;
    return this.record(drain(slices));
  }

  /** The learning half of the iteration in progress, if it was suspended part-way (Pause). */
  private pending: Generator<void, IterationRecord> | undefined;
  /** Set by the host: ask the iteration in progress to suspend (Pause) or end early (Stop). */
  readonly interrupt = { pause: false, stop: false };

  get midIteration(): boolean {
    return this.pending !== undefined;
  }

  /**
   * The learning half, handing the event loop back every `sliceMs` (between env steps of a step
   * collector, between minibatches) so that Stop, Pause and editor messages are seen during long
   * iterations. On `interrupt.stop` the iteration ends early (its loops stop) and is recorded; on
   * `interrupt.pause` it is suspended and the next call goes on where it stopped, so a paused run
   * computes exactly what an uninterrupted one does.
   */
  async learnCooperatively(sliceMs = 25): Promise<IterationOutcome | 'suspended'> {
    const slices = (this.pending ??= this.executor.learnSlices());
    let since = performance.now();
    for (;;) {
      let next: IteratorResult<void, IterationRecord>;
      try {
        next = slices.next();
      } catch (error) {
        this.pending = undefined;
        throw error;
      }
      if (next.done) {
        this.pending = undefined;
        return this.record(next.value);
      }
      if (performance.now() - since < sliceMs) continue;
      await yieldToLoop();
      since = performance.now();
      if (this.disposed) return 'suspended';
      if (this.interrupt.stop) this.executor.cutIteration();
      else if (this.interrupt.pause) return 'suspended';
    }
  }

  /** Ends a suspended iteration early and records it (Stop while paused part-way). */
  cutPending(): IterationOutcome | undefined {
    const slices = this.pending;
    if (!slices) return undefined;
    this.executor.cutIteration();
    this.pending = undefined;
    return this.record(drain(slices));
  }

  private record(record: IterationRecord): IterationOutcome {
    this.trackThreshold(record.episodes.length);
    const row = this.metricsRow(record);
    this.folder?.appendMetrics(row);
    if (this.checkpointEvery > 0 && record.iteration % this.checkpointEvery === 0) this.checkpoint();
    return { record, row, progress: this.progress() };
  }

  private trackThreshold(newEpisodes: number): void {
    if (this.threshold === null) return;
    const key = String(this.threshold);
    if (this.firstStepReaching[key] !== null) return;
    const returns = this.executor.episodeReturns;
    // Scan every episode of this iteration (the window may cross the threshold mid-iteration).
    const start = Math.max(WINDOW - 1, returns.length - newEpisodes);
    for (let i = start; i < returns.length; i++) {
      let sum = 0;
      for (let j = i - WINDOW + 1; j <= i; j++) sum += returns[j];
      if (sum / WINDOW >= this.threshold) {
        this.firstStepReaching[key] = this.executor.episodeSteps[i];
        this.secondsReaching[key] = this.wallSeconds;
        return;
      }
    }
  }

  meanReturnLast20(): number | null {
    const r = this.executor.episodeReturns;
    if (!r.length) return null;
    const tail = r.slice(-WINDOW);
    return tail.reduce((a, b) => a + b, 0) / tail.length;
  }

  private metricsRow(record: IterationRecord): MetricsRow {
    const returns = record.episodes.map((e) => e.return);
    const lengths = record.episodes.map((e) => e.length);
    const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
    const iterSeconds = record.collectSeconds + record.learnSeconds;
    const row: MetricsRow = {
      iteration: record.iteration,
      step: record.step,
      wallSeconds: round(this.wallSeconds),
      stepsPerSecond: round(this.stepsPerSecond()),
      episodes: this.executor.episodeReturns.length,
      returnMean: mean(returns),
      returnMin: returns.length ? Math.min(...returns) : null,
      returnMax: returns.length ? Math.max(...returns) : null,
      returnMeanLast20: this.meanReturnLast20(),
      episodeLengthMean: mean(lengths),
      collectSeconds: round(record.collectSeconds),
      learnSeconds: round(record.learnSeconds),
      advantageSeconds: round(record.advantageSeconds),
      iterationSeconds: round(iterSeconds),
    };
    for (const [k, v] of Object.entries(record.metrics)) row[k] = Number.isFinite(v) ? v : null;
    return row;
  }

  stepsPerSecond(): number {
    const seconds = (performance.now() - this.startedAt) / 1000;
    return seconds > 0 ? (this.executor.globalStep - this.stepsAtStart) / seconds : 0;
  }

  progress(): Progress {
    const sps = this.stepsPerSecond();
    const left = this.totalSteps - this.executor.globalStep;
    return {
      iteration: this.executor.iteration,
      step: this.executor.globalStep,
      totalSteps: this.totalSteps,
      episodes: this.executor.episodeReturns.length,
      meanReturnLast20: this.meanReturnLast20(),
      stepsPerSecond: sps,
      wallSeconds: this.wallSeconds,
      etaSeconds: sps > 0 ? Math.max(0, left / sps) : null,
    };
  }

  /** Writes a resumable checkpoint (no-op without a run folder). */
  checkpoint(): string | undefined {
    if (!this.folder || this.lastCheckpointIteration === this.executor.iteration) return undefined;
    const file: CheckpointFile = {
      format: 'rl-composer/checkpoint',
      version: 1,
      iteration: this.executor.iteration,
      globalStep: this.executor.globalStep,
      wallSeconds: this.wallSeconds,
      firstStepReaching: { ...this.firstStepReaching },
      secondsReaching: { ...this.secondsReaching },
      state: this.executor.saveState(),
    };
    this.lastCheckpointIteration = this.executor.iteration;
    return this.folder.writeCheckpoint(file, this.checkpointKeep);
  }

  /** Final evaluation: 20 fresh episodes of the final policy (the graph's evaluator decides how). */
  evaluate(episodes = 20): Summary['eval'] & { nodeId?: string } {
    const result = this.executor.evaluate(episodes);
    if (!result) return { episodes: 0, meanReturn: null, stdReturn: null };
    const returns = result.episodes.map((e) => e.return);
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
    const std = Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / returns.length);
    return { episodes: returns.length, meanReturn: mean, stdReturn: std, nodeId: result.nodeId };
  }

  summary(evaluation: Summary['eval'], extra: Record<string, unknown> = {}): Summary {
    const wall = this.wallSeconds;
    const summary: Summary = {
      template: this.graph.meta.template ?? this.graph.meta.name,
      seed: this.graph.run.seed,
      backend: this.backend.name,
      steps: this.executor.globalStep,
      wallSeconds: round(wall),
      stepsPerSecond: round(this.executor.globalStep / Math.max(wall, 1e-9)),
      episodes: this.executor.episodeReturns.length,
      meanReturnLast20: this.meanReturnLast20(),
      eval: { episodes: evaluation.episodes, meanReturn: evaluation.meanReturn, stdReturn: evaluation.stdReturn },
      firstStepReaching: { ...this.firstStepReaching },
      secondsReaching: { ...this.secondsReaching },
      iterations: this.executor.iteration,
      totalSteps: this.totalSteps,
      env: this.envSpec?.id ?? null,
      rewardThreshold: this.threshold,
      backendPackage: this.backend.detail,
      graphName: this.graph.meta.name,
      ...(this.resumedFrom !== undefined ? { resumedFromIteration: this.resumedFrom } : {}),
      ...extra,
    };
    this.folder?.writeSummary(summary);
    return summary;
  }

  /**
   * Plays one fresh episode of the current policy (first collector's env and policy, sampled
   * actions, at most `maxSteps` steps) for the agent view. Does not touch the training state.
   */
  recordEpisode(maxSteps = 1000): RecordedEpisode {
    if (this.disposed) throw new Error('the run has finished: its policy is no longer loaded');
    if (!this.executor) throw new Error('the run is not built yet');
    const collector = this.plan.order.map((id) => this.plan.nodes.get(id)!).find((n) => n.def.role === 'collector');
    const resourceOf = (port: string) => {
      const edge = collector?.inputs[port]?.[0];
      return edge ? this.executor.runtimes.get(edge.from.node)?.resources?.[edge.from.port] : undefined;
    };
    const env = resourceOf('env');
    const policy = resourceOf('policy');
    if (env?.kind !== 'env' || policy?.kind !== 'policy') throw new Error('this graph has no collector with an environment and a policy to play');
    this.episodesPlayed += 1;
    const seed = deriveSeed(this.graph.run.seed, collector!.id, 'agent-view', this.episodesPlayed);
    return recordEpisode(env as EnvResource, policy as PolicyResource, seed, maxSteps);
  }

  /** Tensor count and resident memory (leak checks, bench). */
  memory(): { numTensors: number; rssBytes: number } {
    return { numTensors: tf.memory().numTensors, rssBytes: process.memoryUsage().rss };
  }

  dispose(): void {
    this.disposed = true;
    this.pending?.return(undefined as never); // closes the iteration's tensor scope
    this.pending = undefined;
    this.executor?.dispose();
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
