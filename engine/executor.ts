/**
 * Executor: builds the block runtimes of a compiled plan and runs it one iteration at a time.
 *
 * Memory discipline: every tick of a clock runs inside `tf.tidy`, so tensors made by blocks die at
 * the end of their tick. Tensors that must outlive the gradient closure (cone outputs read by
 * metrics) are kept and disposed explicitly at the end of the same tick.
 */
import type {
  BlockRuntime,
  BuildContext,
  EpisodeReport,
  EvaluateOptions,
  HostBatch,
  Inputs,
  Outputs,
  PolicyResource,
  PortValue,
  ResourceValue,
  Tick,
} from './block.ts';
import type { Plan, PlanNode, Step } from './compiler.ts';
import type { VecEnv } from './env.ts';
import { GraphError } from './errors.ts';
import { checkParamValue, type ParamSpec, type ParamSpecs, type ParamValues } from './params.ts';
import { isResourceType } from './ports.ts';
import { deriveSeed, Rng } from './rng.ts';
import { evaluatePolicy } from './evaluate.ts';
import { type Tensor, tf } from './tf.ts';

export interface ExecutorOptions {
  seed: number;
  totalSteps: number;
  log?: (message: string, nodeId?: string) => void;
  /** Receives the frames collectors report through `Tick.frame` (agent view). */
  onFrame?: (env: VecEnv, index: number) => void;
}

export interface IterationRecord {
  iteration: number;
  step: number;
  /** Episodes finished during this iteration. */
  episodes: EpisodeReport[];
  /** Mean of each block metric over the ticks of this iteration (e.g. losses over updates). */
  metrics: Record<string, number>;
  collectSeconds: number;
  learnSeconds: number;
  /** Part of learnSeconds spent in advantage blocks (category 'Advantages': GAE, returns, normalisation). */
  advantageSeconds: number;
}

/** Raised inside an optimizer when its loss or gradient is not finite. */
export class NonFiniteError extends Error {
  constructor(
    readonly what: 'loss' | 'gradient',
    readonly nodeId: string,
  ) {
    super(`${what} is not finite in '${nodeId}'`);
  }
}

function isTensor(value: unknown): value is Tensor {
  return value instanceof tf.Tensor;
}

export class Executor {
  readonly plan: Plan;
  readonly runtimes = new Map<string, BlockRuntime>();
  iteration = 0;
  globalStep = 0;
  /** Every finished training episode, in order (for return curves and thresholds). */
  readonly episodeReturns: number[] = [];
  readonly episodeLengths: number[] = [];
  /** Global step at which each episode finished. */
  readonly episodeSteps: number[] = [];

  private readonly options: ExecutorOptions;
  private readonly values = new Map<string, Outputs>();
  private readonly resourceValues = new Map<string, Record<string, ResourceValue>>();
  private readonly fieldCache = new Map<HostBatch, Map<string, { tensor: Tensor; depth: number }>>();
  private readonly keptByDepth: Tensor[][] = [[]];
  private memoTable = new Map<object, Map<string, unknown>>();
  private differentiating = false;
  /** Set while an optimizer evaluates its cone on a subset of rows (EvaluateOptions.rows). */
  private rowRestriction: { n: number; rows: Tensor; cache: Map<Tensor, Tensor>; cone: Set<string> } | undefined;
  private iterationEpisodes: EpisodeReport[] = [];

  constructor(plan: Plan, options: ExecutorOptions) {
    this.plan = plan;
    this.options = options;
  }

  /** Creates every block runtime (resources first, in topological order). */
  build(): void {
    for (const id of this.plan.order) {
      const node = this.plan.nodes.get(id)!;
      const resources: BuildContext['resources'] = {};
      for (const [port, edges] of Object.entries(node.inputs)) {
        const values = edges.filter((e) => isResourceType(e.type)).map((e) => this.resourceValues.get(e.from.node)?.[e.from.port]);
        if (!values.length) continue;
        const portDef = node.def.inputs.find((p) => p.name === port)!;
        resources[port] = portDef.multi ? (values as ResourceValue[]) : values[0];
      }
      const ctx: BuildContext = {
        nodeId: id,
        tf,
        runSeed: this.options.seed,
        rng: (purpose) => new Rng(deriveSeed(this.options.seed, id, purpose)),
        totalSteps: this.options.totalSteps,
        envSpec: node.envSpec,
        inputSources: Object.fromEntries(Object.entries(node.inputs).map(([port, edges]) => [port, edges.map((e) => e.from)])),
        resources,
        log: (message) => this.options.log?.(message, id),
      };
      let runtime: BlockRuntime;
      try {
        runtime = node.def.create(ctx, node.params);
      } catch (error) {
        throw asNodeError(error, node, 'could not be built');
      }
      this.runtimes.set(id, runtime);
      if (runtime.resources) this.resourceValues.set(id, runtime.resources);
    }
  }

  get progress(): number {
    return Math.min(1, this.globalStep / this.options.totalSteps);
  }

  private iterationStart = 0;
  private collectSeconds = 0;
  private advantageSeconds = 0;
  private tick: Tick | undefined;

  /** Runs one iteration of the plan: collect, learn, end-of-iteration hooks. */
  runIteration(): IterationRecord {
    this.collectPhase();
    return this.learnPhase();
  }

  /** First half of an iteration: the collectors (host-side experience, no tensors kept). */
  collectPhase(): void {
    this.iterationEpisodes = [];
    this.tick = this.makeTick();
    this.iterationStart = performance.now();
    for (const id of this.plan.order) {
      const runtime = this.runtimes.get(id)!;
      if (!runtime.beginIteration) continue;
      try {
        runtime.beginIteration({ iteration: this.iteration, globalStep: this.globalStep, progress: this.progress });
      } catch (error) {
        throw asNodeError(error, this.plan.nodes.get(id)!, 'failed at the start of the iteration');
      }
    }
    for (const step of this.plan.iteration) {
      // Step collectors (off-policy) interleave acting and learning: they run in learnPhase.
      if (this.plan.nodes.get(step.id)!.def.role !== 'collector' || step.kind === 'loop') continue;
      tf.tidy(() => drain(this.runStep(step, this.tick!)));
    }
    this.collectSeconds = (performance.now() - this.iterationStart) / 1000;
    this.advantageSeconds = 0;
  }

  /** Second half: everything else in schedule order, then the end-of-iteration hooks. */
  learnPhase(): IterationRecord {
    return drain(this.learnSlices());
  }

  /**
   * The learning half as resumable slices: it yields after every body of a loop (each env step of
   * a step collector, each minibatch), so that a host can hand the event loop back between slices
   * (Stop, Pause, editor messages) without changing what is computed. The iteration's tensor scope
   * stays open across yields; code run in between must keep what it makes inside its own tidy.
   * After `cutIteration()` the loops stop at the next slice boundary and the iteration ends early
   * (Stop in the middle of a long off-policy iteration).
   */
  *learnSlices(): Generator<void, IterationRecord> {
    const tick = this.tick ?? this.makeTick();
    const engine = tf.engine();
    engine.startScope();
    try {
      for (const step of this.plan.iteration) {
        if (this.plan.nodes.get(step.id)!.def.role === 'collector' && step.kind !== 'loop') continue;
        yield* this.runStep(step, tick);
      }
      this.endScope(0);
    } finally {
      engine.endScope();
    }
    this.cutRequested = false;
    this.values.clear();
    this.tick = undefined;
    const learnSeconds = Math.max(0, (performance.now() - this.iterationStart) / 1000 - this.collectSeconds);
    this.iteration += 1;
    const metrics: Record<string, number> = {};
    for (const id of this.plan.order) {
      this.runtimes.get(id)!.endIteration?.({ iteration: this.iteration, globalStep: this.globalStep, progress: this.progress });
    }
    for (const id of this.plan.order) {
      const blockMetrics = this.runtimes.get(id)!.iterationMetrics?.();
      if (blockMetrics) Object.assign(metrics, blockMetrics);
    }
    return {
      iteration: this.iteration,
      step: this.globalStep,
      episodes: this.iterationEpisodes,
      metrics,
      collectSeconds: this.collectSeconds,
      learnSeconds,
      advantageSeconds: this.advantageSeconds,
    };
  }

  private cutRequested = false;

  /** Ends the iteration in progress at the next slice boundary (its loops stop early). */
  cutIteration(): void {
    this.cutRequested = true;
  }

  private makeTick(): Tick {
    const executor = this;
    const onFrame = this.options.onFrame;
    return {
      ...(onFrame ? { frame: onFrame } : {}),
      get iteration() {
        return executor.iteration;
      },
      get globalStep() {
        return executor.globalStep;
      },
      get progress() {
        return executor.progress;
      },
      get differentiating() {
        return executor.differentiating;
      },
      addSteps(n: number) {
        executor.globalStep += n;
      },
      reportEpisode(episode: EpisodeReport) {
        executor.episodeReturns.push(episode.return);
        executor.episodeLengths.push(episode.length);
        executor.episodeSteps.push(executor.globalStep);
        executor.iterationEpisodes.push(episode);
      },
      memo<T>(key: object, sub: string, compute: () => T): T {
        let table = executor.memoTable.get(key);
        if (!table) executor.memoTable.set(key, (table = new Map()));
        if (table.has(sub)) return table.get(sub) as T;
        const value = compute();
        table.set(sub, value);
        return value;
      },
    };
  }

  /** Runs one step of the plan; a generator that yields after each loop body (see learnSlices). */
  private *runStep(step: Step, tick: Tick): Generator<void, void> {
    switch (step.kind) {
      case 'node':
        this.runNode(step.id, tick);
        return;
      case 'optimize':
        this.runOptimize(step.id, step.cone, tick);
        return;
      case 'loop': {
        const node = this.plan.nodes.get(step.id)!;
        const runtime = this.runtimes.get(step.id)!;
        const inputs = this.gatherInputs(node);
        const depth = this.keptByDepth.length;
        // A step collector's own work (acting, env steps) counts as collection time; its body
        // (replay, updates) as learning.
        const collecting = node.def.role === 'collector';
        const records = runtime.updates!(inputs, tick)[Symbol.iterator]();
        const engine = tf.engine();
        for (;;) {
          if (this.cutRequested) {
            records.return?.();
            break;
          }
          const start = collecting ? performance.now() : 0;
          let next: IteratorResult<Outputs>;
          try {
            next = records.next();
          } catch (error) {
            throw asNodeError(error, node, 'failed');
          }
          if (collecting) this.collectSeconds += (performance.now() - start) / 1000;
          if (next.done) break;
          this.keptByDepth.push([]);
          this.values.set(step.id, next.value);
          // A tidy scope that may stay open across the body's own yields (nested loops).
          engine.startScope();
          try {
            for (const inner of step.body) yield* this.runStep(inner, tick);
          } finally {
            engine.endScope();
          }
          this.endScope(depth);
          yield;
        }
        return;
      }
    }
  }

  /** Disposes what was kept for the scope at `depth` and deeper, and forgets cached fields. */
  private endScope(depth: number): void {
    while (this.keptByDepth.length > depth) {
      for (const t of this.keptByDepth.pop()!) t.dispose();
    }
    if (this.keptByDepth.length === 0) this.keptByDepth.push([]);
    for (const [batch, fields] of this.fieldCache) {
      for (const [name, entry] of fields) {
        if (entry.depth >= depth) {
          entry.tensor.dispose();
          fields.delete(name);
        }
      }
      if (fields.size === 0) this.fieldCache.delete(batch);
    }
    this.memoTable = new Map();
  }

  private keep(t: Tensor): void {
    tf.keep(t);
    this.keptByDepth[this.keptByDepth.length - 1].push(t);
  }

  private fieldTensor(batch: HostBatch, name: string, edgeLabel: string): Tensor {
    const field = batch.fields[name];
    if (!field) throw new GraphError('runtime', `${edgeLabel}: the batch has no field '${name}' at run time`);
    let fields = this.fieldCache.get(batch);
    if (!fields) this.fieldCache.set(batch, (fields = new Map()));
    const cached = fields.get(name);
    if (cached) return cached.tensor;
    const tensor = field.width === 1 ? tf.tensor1d(field.data) : tf.tensor2d(field.data, [batch.size, field.width]);
    tf.keep(tensor);
    fields.set(name, { tensor, depth: this.keptByDepth.length - 1 });
    return tensor;
  }

  private gatherInputs(node: PlanNode, skip?: ReadonlySet<string>): Inputs {
    const inputs: Inputs = {};
    for (const portDef of node.def.inputs) {
      if (skip?.has(portDef.name)) continue;
      const edges = node.inputs[portDef.name];
      if (!edges.length) continue;
      const values = edges.map((edge): PortValue => {
        if (isResourceType(edge.type)) return this.resourceValues.get(edge.from.node)![edge.from.port];
        const outputs = this.values.get(edge.from.node);
        const value = outputs?.[edge.from.port];
        if (value === undefined) {
          throw new GraphError('runtime', `node '${node.id}': input '${portDef.name}' has no value yet from '${edge.from.node}.${edge.from.port}'`, {
            nodeId: node.id,
          });
        }
        if (edge.from.field !== undefined) {
          return this.restrictRows(this.fieldTensor(value as HostBatch, edge.from.field, `${edge.from.node}.${edge.from.port}[${edge.from.field}]`), edge.from.node);
        }
        return isTensor(value) ? this.restrictRows(value, edge.from.node) : value;
      });
      inputs[portDef.name] = portDef.multi ? values : values[0];
    }
    return inputs;
  }

  /** A constant per-row input of the cone, restricted to the optimizer's row subset (if any). */
  private restrictRows(value: Tensor, from: string): Tensor {
    const r = this.rowRestriction;
    if (!r || r.cone.has(from) || value.rank === 0 || value.shape[0] !== r.n) return value;
    let gathered = r.cache.get(value);
    if (!gathered) {
      gathered = tf.keep(tf.gather(value, r.rows));
      r.cache.set(value, gathered);
    }
    return gathered;
  }

  private runNode(id: string, tick: Tick): void {
    const node = this.plan.nodes.get(id)!;
    const runtime = this.runtimes.get(id)!;
    if (!runtime.run) return;
    let outputs: Outputs;
    // Advantage blocks are timed for the per-iteration time split (metrics.jsonl).
    const start = node.def.category === 'Advantages' ? performance.now() : 0;
    try {
      outputs = runtime.run(this.gatherInputs(node), tick);
    } catch (error) {
      throw asNodeError(error, node, 'failed');
    }
    if (start) this.advantageSeconds += (performance.now() - start) / 1000;
    this.values.set(id, outputs);
  }

  private runOptimize(id: string, cone: string[], tick: Tick): void {
    const node = this.plan.nodes.get(id)!;
    const runtime = this.runtimes.get(id)!;
    const portCones = this.plan.portCones.get(id) ?? {};
    const ports = Object.keys(portCones);
    const primary = ports.includes('loss') ? 'loss' : ports[0];
    // Cone outputs read outside the cone (metrics) keep the values of their first evaluation in
    // this step (the parameters before it): a second-order optimizer evaluates its cone many
    // times (Fisher-vector products, line-search candidates) and only the first is kept alive.
    const firstValues = new Map<string, Outputs>();
    const evaluate = (wanted: readonly string[] = ports): Record<string, Tensor> => {
      const needed = new Set<string>();
      for (const port of wanted) {
        const portCone = portCones[port];
        if (!portCone) throw new GraphError('runtime', `optimizer '${id}': '${port}' is not one of its differentiable inputs (${ports.join(', ')})`, { nodeId: id });
        for (const coneId of portCone) needed.add(coneId);
      }
      this.memoTable = new Map();
      this.differentiating = true;
      try {
        for (const coneId of cone) {
          if (!needed.has(coneId)) continue;
          this.runNode(coneId, tick);
          // (Not from a row-subset evaluation: consumers expect values for the whole batch.)
          if (this.plan.exportedFromCones.has(coneId) && !firstValues.has(coneId) && !this.rowRestriction) {
            const outputs = this.values.get(coneId)!;
            for (const value of Object.values(outputs)) if (isTensor(value)) this.keep(value);
            firstValues.set(coneId, outputs);
          }
        }
      } finally {
        this.differentiating = false;
      }
      this.memoTable = new Map();
      const result: Record<string, Tensor> = {};
      for (const port of wanted) {
        const edge = node.inputs[port][0];
        const value = this.values.get(edge.from.node)![edge.from.port];
        if (!isTensor(value)) throw new GraphError('runtime', `optimizer '${id}': its ${port} input is not a tensor`, { nodeId: id });
        result[port] = value;
      }
      return result;
    };
    const lossFn = (): Tensor => evaluate([primary])[primary];
    const rowCount = (wanted: readonly string[] = ports): number | undefined => {
      let rows: number | undefined;
      for (const port of wanted) {
        for (const coneId of portCones[port] ?? []) {
          for (const edge of Object.values(this.plan.nodes.get(coneId)!.inputs).flat()) {
            if (edge.from.field === undefined) continue;
            const batch = this.values.get(edge.from.node)?.[edge.from.port] as HostBatch | undefined;
            if (batch) rows = Math.max(rows ?? 0, batch.size);
          }
        }
      }
      return rows;
    };
    // Row subsets (EvaluateOptions.rows): the restricted constants, cached for the whole step.
    const restricted: { key: Int32Array; rows: Tensor; cache: Map<Tensor, Tensor> }[] = [];
    const evaluateOn = (wanted: readonly string[] = ports, options: EvaluateOptions = {}): Record<string, Tensor> => {
      if (!options.rows) return evaluate(wanted);
      const n = rowCount(wanted);
      if (n === undefined) throw new GraphError('runtime', `optimizer '${id}': no batch field feeds ${wanted.join(', ')}, so there are no rows to subsample`, { nodeId: id });
      let entry = restricted.find((r) => r.key === options.rows);
      if (!entry) {
        for (const r of options.rows) if (!(r >= 0 && r < n)) throw new GraphError('runtime', `optimizer '${id}': row ${r} is outside the batch (${n} rows)`, { nodeId: id });
        entry = { key: options.rows, rows: tf.keep(tf.tensor1d(options.rows, 'int32')), cache: new Map() };
        restricted.push(entry);
      }
      this.rowRestriction = { n, rows: entry.rows, cache: entry.cache, cone: new Set(cone) };
      try {
        return evaluate(wanted);
      } finally {
        this.rowRestriction = undefined;
      }
    };
    let outputs: Outputs;
    try {
      outputs = runtime.optimize!(lossFn, this.gatherInputs(node, new Set(ports)), tick, { ports, evaluate: evaluateOn, rowCount });
      // Exported cone outputs the optimizer never evaluated: computed now, at the new parameters.
      if (cone.some((c) => this.plan.exportedFromCones.has(c) && !firstValues.has(c))) tf.tidy(() => void evaluate());
    } catch (error) {
      if (error instanceof NonFiniteError) throw this.diagnoseNonFinite(id, cone, error, tick);
      throw asNodeError(error, node, 'failed');
    } finally {
      for (const r of restricted) tf.dispose([r.rows, ...r.cache.values()]);
    }
    for (const [coneId, values] of firstValues) this.values.set(coneId, values);
    this.values.set(id, outputs);
  }

  /** Re-evaluates the cone outside the gradient to name the first block producing NaN/Inf. */
  private diagnoseNonFinite(optimizerId: string, cone: string[], error: NonFiniteError, tick: Tick): GraphError {
    let culprit: string | undefined;
    tf.tidy(() => {
      for (const coneId of cone) {
        this.runNode(coneId, tick);
        for (const value of Object.values(this.values.get(coneId)!)) {
          if (isTensor(value) && !tf.all(tf.isFinite(value)).dataSync()[0]) {
            culprit ??= coneId;
          }
        }
        if (culprit) break;
      }
    });
    if (culprit) {
      const type = this.plan.nodes.get(culprit)!.def.type;
      return new GraphError(
        'non-finite',
        `training produced NaN/Inf: block '${culprit}' (${type}) output a non-finite value (iteration ${this.iteration + 1}, step ${this.globalStep}); the weights were not updated`,
        { nodeId: culprit },
      );
    }
    return new GraphError(
      'non-finite',
      `training produced NaN/Inf: the ${error.what} of optimizer '${optimizerId}' is not finite (iteration ${this.iteration + 1}, step ${this.globalStep}); the weights were not updated`,
      { nodeId: optimizerId },
    );
  }

  /**
   * Final evaluation: the graph's first evaluator block decides how; a graph without one is
   * evaluated with the first collector's environment and policy (sampling actions).
   */
  evaluate(episodes: number): { nodeId: string; episodes: EpisodeReport[] } | undefined {
    for (const id of this.plan.order) {
      const runtime = this.runtimes.get(id)!;
      if (runtime.evaluate) return { nodeId: id, episodes: runtime.evaluate(episodes) };
    }
    const collector = this.plan.order.map((id) => this.plan.nodes.get(id)!).find((n) => n.def.role === 'collector');
    if (!collector) return undefined;
    const resourceOf = (port: string) => {
      const edge = collector.inputs[port]?.[0];
      return edge ? this.resourceValues.get(edge.from.node)?.[edge.from.port] : undefined;
    };
    const env = resourceOf('env');
    const policy = resourceOf('policy');
    if (env?.kind !== 'env' || policy?.kind !== 'policy') return undefined;
    return {
      nodeId: collector.id,
      episodes: evaluatePolicy(env, policy as PolicyResource, episodes, {
        envSeed: deriveSeed(this.options.seed, collector.id, 'final-eval-env'),
        actSeed: deriveSeed(this.options.seed, collector.id, 'final-eval-act'),
        deterministic: false,
      }),
    };
  }

  /** Live parameter change (SET_PARAM). */
  setParam(nodeId: string, name: string, value: unknown): void {
    const node = this.plan.nodes.get(nodeId);
    if (!node) throw new GraphError('argument', `SET_PARAM: there is no node '${nodeId}'`);
    const spec = (node.def.params as Record<string, ParamSpec>)[name];
    if (!spec) throw new GraphError('unknown-param', `SET_PARAM: node '${nodeId}' (${node.def.type}) has no param '${name}'`, { nodeId });
    if (!spec.live) throw new GraphError('invalid-param', `SET_PARAM: param '${name}' of '${nodeId}' cannot change during a run`, { nodeId });
    const problem = checkParamValue(spec, value);
    if (problem) throw new GraphError('invalid-param', `SET_PARAM: node '${nodeId}': param '${name}' = ${problem}`, { nodeId });
    const runtime = this.runtimes.get(nodeId)!;
    if (!runtime.setParam) throw new GraphError('invalid-param', `SET_PARAM: block '${nodeId}' does not accept live changes`, { nodeId });
    runtime.setParam(name, value);
    node.params[name] = value as ParamValues<ParamSpecs>[string]; // validated above
  }

  saveState(): ExecutorState {
    const blocks: Record<string, unknown> = {};
    for (const [id, runtime] of this.runtimes) if (runtime.saveState) blocks[id] = runtime.saveState();
    return {
      iteration: this.iteration,
      globalStep: this.globalStep,
      episodeReturns: [...this.episodeReturns],
      episodeLengths: [...this.episodeLengths],
      episodeSteps: [...this.episodeSteps],
      params: Object.fromEntries([...this.plan.nodes].map(([id, n]) => [id, n.params])),
      blocks,
    };
  }

  loadState(state: ExecutorState): void {
    this.iteration = state.iteration;
    this.globalStep = state.globalStep;
    this.episodeReturns.splice(0, this.episodeReturns.length, ...state.episodeReturns);
    this.episodeLengths.splice(0, this.episodeLengths.length, ...state.episodeLengths);
    this.episodeSteps.splice(0, this.episodeSteps.length, ...state.episodeSteps);
    // Live changes made before the checkpoint (SET_PARAM) come back with it: a block need not
    // save its live params itself. Block state loads afterwards and wins where it holds them too.
    for (const [id, saved] of Object.entries(state.params ?? {})) {
      const node = this.plan.nodes.get(id);
      if (!node) continue;
      const specs = node.def.params as Record<string, ParamSpec>;
      for (const [name, value] of Object.entries(saved)) {
        if (specs[name]?.live && this.runtimes.get(id)?.setParam && JSON.stringify(value) !== JSON.stringify(node.params[name])) {
          this.setParam(id, name, value);
        }
      }
    }
    for (const [id, runtime] of this.runtimes) {
      if (runtime.loadState && state.blocks[id] !== undefined) runtime.loadState(state.blocks[id]);
    }
  }

  dispose(): void {
    this.endScope(0);
    for (const runtime of this.runtimes.values()) runtime.dispose?.();
    this.runtimes.clear();
  }
}

export interface ExecutorState {
  iteration: number;
  globalStep: number;
  episodeReturns: number[];
  episodeLengths: number[];
  episodeSteps: number[];
  params: Record<string, ParamValues<ParamSpecs>>;
  blocks: Record<string, unknown>;
}

function asNodeError(error: unknown, node: PlanNode, verb: string): Error {
  if (error instanceof GraphError || error instanceof NonFiniteError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new GraphError('runtime', `block '${node.id}' (${node.def.type}) ${verb}: ${detail}`, { nodeId: node.id });
}

/** Runs a generator to its end (the synchronous path of sliced work). */
export function drain<T>(work: Generator<void, T>): T {
  for (;;) {
    const next = work.next();
    if (next.done) return next.value;
  }
}
