/**
 * The block model: what a block file under `nodes/` exports. The definition (ports, params, docs)
 * and the implementation (`create`) live together so that the editor and the engine read the same
 * source of truth.
 */
import type { EnvSpec, Space, VecEnv } from './env.ts';
import type { ParamSpecs, ParamValues } from './params.ts';
import type { PortType } from './ports.ts';
import type { Rng } from './rng.ts';
import type { Activation, Dense } from './layers.ts';
import type { Tensor, TF, Variable } from './tf.ts';

export interface PortDef {
  name: string;
  type: PortType;
  doc: string;
  /** An input that may stay unconnected. */
  optional?: boolean;
  /** An input that accepts several edges (e.g. the terms of a weighted sum). */
  multi?: boolean;
  /**
   * Optimizer inputs only: a value the optimizer differentiates (or re-evaluates at candidate
   * parameters). The compiler builds a differentiable cone for each such port; the port is not
   * gathered as a constant but evaluated through `OptimizeContext.evaluate`. An optimizer that
   * declares none differentiates its `loss` input.
   */
  differentiable?: boolean;
}

/**
 * How the engine schedules a block:
 * - resource: built once (environments, networks, heads); outputs are Env/Module/Policy objects.
 * - collector: starts the `iteration` clock (one batch of experience per iteration).
 * - minibatch: a loop; starts a clock nested in its input's clock: `update` (epochs ×
 *   minibatches) or `every` (every k-th tick of the parent clock).
 * - optimizer: differentiates the cone of its `loss` input and steps its modules' variables.
 * - op: computes outputs from inputs on the fastest clock among its inputs.
 * - sink: consumes values (metrics, checkpoints, evaluation); runs on its inputs' clock.
 */
export type BlockRole = 'resource' | 'collector' | 'minibatch' | 'optimizer' | 'op' | 'sink';

export interface BlockDoc {
  summary: string;
  /** The lecture's formula, LaTeX. */
  formula?: string;
  /** Paper or lecture reference. */
  reference?: string;
}

/** Per-sample data as host arrays: `data` has `size × width` floats, row-major. */
export interface HostField {
  data: Float32Array;
  width: number;
}

/**
 * A batch of experience on the host. Rows are trajectory-contiguous: row i+1 is the successor of
 * row i in the same episode exactly where `cont[i] = 1`.
 */
export interface HostBatch {
  kind: 'batch';
  size: number;
  fields: Record<string, HostField>;
}

export interface EnvResource {
  kind: 'env';
  spec: EnvSpec;
  numEnvs: number;
  /** The training instance (created once, shared by every collector that reads this env). */
  instance(): VecEnv;
  /**
   * A fresh, independent instance (e.g. for evaluation), seeded from `seed`. Wrappers (e.g.
   * observation normalisation) apply their current, frozen transform to it.
   */
  make(numEnvs: number, seed: number): VecEnv;
}

export interface ModuleResource {
  kind: 'module' | 'policy';
  nodeId: string;
  inputSize: number;
  outputSize: number;
  /** Every trainable variable this module (and what it wraps) owns. */
  variables: Variable[];
  /** Forward pass on a [batch, inputSize] tensor. */
  apply(x: Tensor): Tensor;
  /**
   * Present when the module is a plain chain of dense layers (for acting: a policy's chain ends in
   * raw logits or the mean, a value's in [B, 1]); lets collectors fuse several modules' forward
   * passes into one (engine/fused-forward.ts).
   */
  chain?: DenseStage[];
  /**
   * A structurally identical module with its own copies of the variables, initialised to the
   * current values (target networks, issue 6). The copy's variables are not trainable; whoever
   * clones disposes them (`disposeClone`). A policy's clone is a policy with the same distribution.
   * Modules without it cannot have a target network (the compiler-built graph says which).
   */
  clone?(nodeId: string): ModuleResource;
  /** Frees a clone's variables (set on clones only). */
  disposeClone?(): void;
  /** Set on clones: the module this one copies (target.update checks it is wired to it). */
  copyOf?: ModuleResource;
}

/**
 * A critic (issue 6, net.qNetwork). `stateAction`: Q(s, a) for continuous actions, `apply` takes
 * the concatenation [s, a] ([B, d + k]) and returns [B]. `stateActions`: Q(s, ·) for discrete
 * actions, `apply` takes s ([B, d]) and returns [B, n] (one value per action).
 */
export interface QModuleResource extends ModuleResource {
  qKind: 'stateAction' | 'stateActions';
  obsSize: number;
  /** k (continuous action dimensions) or n (number of discrete actions). */
  actionSize: number;
}

/**
 * Entropy temperature α of maximum-entropy RL (issue 6, net.temperature): a module with one
 * variable, log α, so that an optimizer can tune it (SAC's automatic temperature), or a constant
 * when nothing optimizes it (soft Q-learning, SAC with fixed α).
 */
export interface TemperatureResource extends ModuleResource {
  temperature: true;
  logAlpha: Variable;
  /** The target entropy H̄ of automatic tuning (default −dim(A)). */
  targetEntropy: number;
  /** α = exp(log α) as a scalar tensor (inside a tick's tidy). */
  alpha(): Tensor;
  /** α on the host (one read-back). */
  alphaValue(): number;
}

export interface DenseStage {
  layer: Dense;
  activation: Activation;
}

/**
 * categorical and diagGaussian: stochastic policies with a density (on-policy family).
 * deterministic: a = μ_θ(s) (DPG, DDPG, TD3); `apply` returns the action itself, already scaled
 * into the action box; `logProb`/`entropy` throw. squashedGaussian: SAC's a = tanh(u)·scale + bias,
 * u ~ N(μ_θ(s), σ_θ(s)); `apply` returns [B, 2k] = [μ, log σ] (log σ already clamped).
 */
export type DistributionKind = 'categorical' | 'diagGaussian' | 'deterministic' | 'squashedGaussian';

export interface PolicyResource extends ModuleResource {
  kind: 'policy';
  distribution: DistributionKind;
  actionSpace: Space;
  /**
   * log π(a|s) for each row, from `out = apply(obs)` (logits or mean), so several blocks can share
   * one forward pass: actions [B] or [B, k] → [B].
   */
  logProb(out: Tensor, actions: Tensor): Tensor;
  /** Entropy H(π(·|s)) for each row, from `out = apply(obs)` → [B]. */
  entropy(out: Tensor): Tensor;
  /**
   * Acts on the host for collectors and evaluators: one forward pass for `n` observations, then
   * sampling (or the mode when `deterministic`) with the caller's seeded RNG. Writes actions
   * (`n × actionSize`) and their log-probabilities (`n`).
   */
  act(obs: Float32Array, n: number, rng: Rng, deterministic: boolean, actions: Float32Array, logp: Float32Array): void;
  /**
   * Forward pass for acting only: may skip work that sampling does not need (e.g. the log-softmax
   * normalisation of categorical logits). `actFrom` accepts its output as well as `apply`'s.
   */
  applyForActing(x: Tensor): Tensor;
  /** The sampling half of `act`, from a host copy of `applyForActing(obs)` ([n × outputSize]). */
  actFrom(out: Float32Array, n: number, rng: Rng, deterministic: boolean, actions: Float32Array, logp: Float32Array): void;
  /**
   * Diagonal-Gaussian policies: the state-independent log σ [k] (a variable of the policy, or a
   * constant for a frozen copy). Optional: blocks that need it fall back to finding it among
   * `variables` (policy.snapshot's `gaussianLogStd`).
   */
  readonly logStd?: Tensor;
  /** Set by policy.snapshot: the live policy this one is a frozen copy of. */
  snapshotOf?: PolicyResource;
  /** Number of action dimensions k (Box) or 1 (Discrete); outputSize may differ (2k for squashedGaussian). */
  readonly actionDim?: number;
  /**
   * Reparameterised, differentiable action from `apply`'s output (issue 6: DPG and SAC actor
   * losses): deterministic → a = out (logProb null); squashedGaussian → a = tanh(μ + σ·ε)·scale +
   * bias with log π(a|s) ([B]); `eps` is standard normal [B, k] drawn by the caller's seeded Rng.
   * Absent for distributions without a reparameterisation (categorical, diagGaussian here).
   */
  rsample?(out: Tensor, eps: Tensor | null): { action: Tensor; logProb: Tensor | null };
}

export type ResourceValue = EnvResource | ModuleResource | PolicyResource;

/** What flows on a value port at run time. */
export type PortValue = Tensor | HostBatch | ResourceValue | null;

export interface BuildContext {
  nodeId: string;
  tf: TF;
  runSeed: number;
  /** A seeded RNG private to this node and purpose (derived from run seed + node id + purpose). */
  rng(purpose: string): Rng;
  /** The run's step budget (schedules anneal over it). */
  totalSteps: number;
  /**
   * The environment whose observations reach this block (resolved by the compiler for modules,
   * heads and collectors); undefined where none does.
   */
  envSpec: EnvSpec | undefined;
  /** Where each connected input comes from, in edge order (e.g. to key weights by source). */
  inputSources: Record<string, { node: string; port: string; field?: string }[]>;
  /** Resource inputs, already built (single or array for multi ports; undefined if unconnected). */
  resources: Record<string, ResourceValue | ResourceValue[] | undefined>;
  log(message: string): void;
}

export interface EpisodeReport {
  return: number;
  length: number;
}

/** Per-tick services the engine gives to running blocks. */
export interface Tick {
  iteration: number;
  /** Environment steps taken so far in the run (all envs together). */
  globalStep: number;
  /** Fraction of the step budget done, in [0, 1] (for annealing schedules). */
  progress: number;
  /** Collectors report their environment steps and finished episodes here. */
  addSteps(n: number): void;
  reportEpisode(episode: EpisodeReport): void;
  /**
   * True while the block runs inside an optimizer's gradient closure; outside, its outputs are
   * constants and it may compute them on the host (fewer kernels).
   */
  readonly differentiating: boolean;
  /** A per-tick cache (e.g. a policy's distribution for the current observations). */
  memo<T>(key: object, sub: string, compute: () => T): T;
  /**
   * Optional: collectors offer sub-env `index` after each step (agent view). The engine reads the
   * state only for the few evenly spaced frames it keeps; absent when nobody watches.
   */
  frame?(env: VecEnv, index: number): void;
}

export type Inputs = Record<string, PortValue | PortValue[] | undefined>;
export type Outputs = Record<string, PortValue>;

export interface IterationEnd {
  iteration: number;
  globalStep: number;
  progress: number;
}

/**
 * Services the engine gives an optimizer for one step (second argument of `optimize`).
 * First-order optimizers need only `lossFn`; second-order ones (NPG, TNPG, TRPO) differentiate
 * several inputs, take nested gradients (Fisher-vector products) and evaluate candidate
 * parameters without stepping (line search).
 */
export interface OptimizeContext {
  /** The optimizer's differentiable input ports (declared `differentiable`, or `loss`). */
  readonly ports: readonly string[];
  /**
   * Re-runs the differentiable cone of the requested ports (default: all) at the variables'
   * current values and returns each port's value. Call it inside `tf.variableGrads`,
   * `tf.engine().gradients` or engine/hvp.ts helpers to differentiate, or alone to evaluate at
   * candidate parameters (line search). Tensors follow tfjs scoping: wrap calls in `tf.tidy`.
   */
  evaluate(ports?: readonly string[], options?: EvaluateOptions): Record<string, Tensor>;
  /**
   * Rows of the batch whose fields feed the cone of `ports` (default: all), i.e. the number of
   * states a per-row subsample (`EvaluateOptions.rows`) indexes; undefined if no field feeds it.
   */
  rowCount(ports?: readonly string[]): number | undefined;
}

export interface EvaluateOptions {
  /**
   * Evaluate on a subset of the batch's rows (e.g. TRPO's Fisher-vector products on 10% of the
   * states, Schulman et al. 2015 Appendix C): every constant input of the cone whose leading
   * dimension is `rowCount()` is restricted to these rows (indices in [0, rowCount)).
   */
  rows?: Int32Array;
}

export interface BlockRuntime {
  /** Outputs of resource ports (Env/Module/Policy), fixed for the whole run. */
  resources?: Record<string, ResourceValue>;
  /** Compute outputs for one tick of the block's clock (op, collector, sink). */
  run?(inputs: Inputs, tick: Tick): Outputs;
  /** Minibatch blocks: one output record per update (epochs × minibatches). */
  updates?(inputs: Inputs, tick: Tick): Iterable<Outputs>;
  /**
   * Optimizer blocks: `lossFn` evaluates the differentiable cone and returns the loss (the `loss`
   * port, else the first differentiable port); the block takes gradients with respect to its
   * modules' variables and applies them. `opt` evaluates any subset of the differentiable ports
   * (second-order optimizers). Cone outputs read by blocks outside the cone (metrics) hold the
   * values of their first evaluation in the step, i.e. at the parameters before the step.
   */
  // `opt` is optional so that first-order optimizers can be driven by a bare loss closure (unit
  // tests); the executor always passes it.
  optimize?(lossFn: () => Tensor, inputs: Inputs, tick: Tick, opt?: OptimizeContext): Outputs;
  /**
   * Called at the start of every iteration, before the collectors run and before any optimizer
   * steps (e.g. policy.snapshot copies θ_old here), in topological order.
   */
  beginIteration?(info: IterationEnd): void;
  /** Called after every iteration, in topological order (LR schedules, adaptive coefficients). */
  endIteration?(info: IterationEnd): void;
  /** Metrics of the iteration that just ended (means over its ticks); resets the accumulators. */
  iterationMetrics?(): Record<string, number>;
  /** Live parameter change; the engine has validated `value` against the param spec. */
  setParam?(name: string, value: unknown): void;
  /** Checkpoint state (JSON-serialisable) and its restoration. */
  saveState?(): unknown;
  loadState?(state: unknown): void;
  /** Final evaluation for the run summary (evaluator sinks). */
  evaluate?(episodes: number): EpisodeReport[];
  dispose?(): void;
}

/** A node as `checkGraph` sees it. */
export interface GraphCheckNode {
  id: string;
  type: string;
  def: AnyBlockDef;
  params: Record<string, unknown>;
  /** The nodes feeding one input port (edge order). */
  upstream(port: string): GraphCheckNode[];
  /** Every node upstream of one input port (or of all inputs), transitively, nearest first. */
  ancestors(port?: string): GraphCheckNode[];
}

export interface GraphCheckView<P> {
  params: P;
  node: GraphCheckNode;
}

/** Static information for the compiler's Batch-field check. */
export interface FieldContext<P> {
  params: P;
  /** Fields of each connected Batch input. */
  inputFields: Record<string, string[]>;
  /** Names of the connected input ports. */
  connected: ReadonlySet<string>;
}

export interface BlockDef<P extends ParamSpecs = ParamSpecs> {
  type: string;
  category: string;
  title: string;
  doc: BlockDoc;
  role: BlockRole;
  /**
   * Loop blocks (role 'minibatch'): name of the clock they start (default 'update'). A collector
   * with loopClock 'step' is an off-policy step collector: it runs on the iteration clock and
   * yields one record per environment step (`updates`), starting the `step` clock.
   */
  loopClock?: 'update' | 'every' | 'step';
  params: P;
  inputs: PortDef[];
  outputs: PortDef[];
  /**
   * Resource blocks whose outputs are frozen copies of their inputs (policy.snapshot): no
   * gradient flows through them, so they stop the compiler's dependence analysis (a KL against
   * a snapshot of θ is a function of θ only through the live policy).
   */
  frozen?: boolean;
  /**
   * Environment blocks and wrappers: the spec of the Env they output, known before anything is
   * built (wrappers receive the spec of their Env input).
   */
  envSpec?(params: ParamValues<P>, input: EnvSpec | undefined): EnvSpec;
  /**
   * Static check of params against the wiring (e.g. a weight keyed to a term that is not
   * connected); returns the problem or null. Runs in the compiler, before anything is built.
   */
  check?(params: ParamValues<P>, inputSources: Record<string, { node: string; port: string; field?: string }[]>): string | null;
  /**
   * Static check against the wider graph (what produces this block's inputs, and what produces
   * theirs): e.g. target.update refuses a target network that copies another module than its
   * source. Returns the problem or null; the compiler reports it naming this node.
   */
  checkGraph?(view: GraphCheckView<ParamValues<P>>): string | null;
  /**
   * Blocks whose Tensor output is a differentiable function of a policy's parameters through a
   * reparameterised or deterministic action (policy.action): actor losses (loss.dpg,
   * loss.sacPolicy) require one among their ancestors.
   */
  reparameterizedAction?: boolean;
  /** Fields of each Batch output, for static checks of field edges. */
  batchFields?(ctx: FieldContext<ParamValues<P>>): Record<string, string[]>;
  create(ctx: BuildContext, params: ParamValues<P>): BlockRuntime;
}

/** Identity function that keeps the param types of a block definition inferred. */
export function defineBlock<const P extends ParamSpecs>(def: BlockDef<P>): BlockDef<P> {
  return def;
}

/** Any block definition (params erased), as stored in the registry. */
// The registry holds blocks with different param types; the engine only passes validated values.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyBlockDef = BlockDef<any>;
