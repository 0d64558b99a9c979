/**
 * The eleven PPO variants of Schulman et al. 2017, Table 1 (the lecture's ablation table), as graph
 * transformations of one base graph per environment: the PPO-clip template of that environment.
 * Every variant keeps everything else of the base (networks, GAE, minibatch loop, value loss,
 * entropy weight, Adam and its schedule, budget), as in the paper, where only the surrogate
 * changes between rows. Pure: no TensorFlow.js, no registry (the driver checks the result with
 * the compiler in a child process, the tests in-process).
 */
import type { GraphFile } from '../../engine/graph/schema.ts';
import {
  addNode,
  connect,
  edgeInto,
  freshId,
  GraphEditError,
  hasNodeOfType,
  nodeOfType,
  removeNode,
  setParam,
  setWeight,
} from './graph-edit.ts';

// ---------------------------------------------------------------------------------------------
// Block types the transforms use

export const CLIP_BLOCK = 'policy.clip';
export const SURROGATE_BLOCK = 'loss.surrogate';
export const RATIO_BLOCK = 'policy.ratio';
export const LOSS_SUM_BLOCK = 'loss.weightedSum';
export const POLICY_BLOCK = 'head.categorical';
export const MINIBATCH_BLOCK = 'loop.minibatch';
export const SNAPSHOT_BLOCK = 'policy.snapshot';
export const KL_BLOCK = 'policy.kl';
/** The KL-penalty term β·KL with fixed or adaptive β (issue 5, written beside this harness). */
export const KL_PENALTY_BLOCK = 'loss.klPenalty';

/**
 * ε is held constant in the clipping rows. The CartPole template anneals it linearly to 0, which
 * would make every clipping row end with the same (zero-width) trust region; the paper's ablation
 * compares fixed ε, and the KL rows keep their β / d_targ fixed too. The optimizer's own learning-
 * rate schedule (common to all rows) is kept as the template has it.
 */
export const CLIP_SCHEDULE = 'constant';
/** Initial β of the adaptive-KL rows (the paper: "the initial value of β is a hyperparameter, but
 * is not important in practice because the algorithm quickly adjusts it"). */
export const ADAPTIVE_INITIAL_BETA = 1;

// ---------------------------------------------------------------------------------------------
// The transformations

/** "No clipping or penalty": L = E[r_t(θ) Â_t]. Deletes the clip block; the surrogate's clipped input is optional. */
export function noClip(graph: GraphFile): GraphFile {
  return removeNode(graph, nodeOfType(graph, CLIP_BLOCK).id);
}

/** "Clipping, ε": L^CLIP with a constant clip range ε. */
export function clipWith(graph: GraphFile, epsilon: number): GraphFile {
  const clip = nodeOfType(graph, CLIP_BLOCK);
  return setParam(setParam(graph, clip.id, 'epsilon', epsilon), clip.id, 'schedule', CLIP_SCHEDULE);
}

export type KlPenaltyOptions = { adaptive: true; dTarg: number } | { adaptive: false; beta: number };

/**
 * "KL penalty": L^KLPEN = E[r_t(θ) Â_t − β KL[π_old(·|s_t), π_θ(·|s_t)]], fixed β or adaptive β
 * (d < d_targ/1.5 ⇒ β/2, d > 1.5·d_targ ⇒ 2β, after each iteration). The clip block is replaced by
 * three blocks: a snapshot π_θold of the policy (taken at the start of every iteration), the exact
 * KL between π_θold and π_θ on the minibatch's states, and the penalty β·KL, which enters the loss
 * sum with weight +1 (the loss is minimised: −surrogate + β·KL).
 *
 * `penaltyParams` are extra params of the penalty block (e.g. copied from the KL templates).
 */
export function klPenalty(graph: GraphFile, options: KlPenaltyOptions, penaltyParams: Record<string, unknown> = {}): GraphFile {
  let g = noClip(graph);
  const policy = nodeOfType(g, POLICY_BLOCK).id;
  const minibatch = nodeOfType(g, MINIBATCH_BLOCK).id;
  const lossSum = nodeOfType(g, LOSS_SUM_BLOCK).id;
  const surrogate = nodeOfType(g, SURROGATE_BLOCK).id;
  // The states of the minibatch: the same source the surrogate's log-prob reads.
  const obsSource = g.edges.find((e) => e.from.node === minibatch && e.from.field === 'obs');
  if (!obsSource) throw new GraphEditError(`no edge takes the 'obs' field of '${minibatch}'`);
  edgeInto(g, surrogate, 'ratio'); // the surrogate must be wired (it keeps its ratio input)

  const oldId = hasNodeOfType(g, SNAPSHOT_BLOCK) ? nodeOfType(g, SNAPSHOT_BLOCK).id : freshId(g, 'old_policy');
  if (!hasNodeOfType(g, SNAPSHOT_BLOCK)) {
    g = addNode(g, { id: oldId, type: SNAPSHOT_BLOCK, params: {} }, policy);
    g = connect(g, { node: policy, port: 'policy' }, { node: oldId, port: 'policy' });
  }
  const klId = freshId(g, 'kl');
  g = addNode(g, { id: klId, type: KL_BLOCK, params: {} }, surrogate);
  g = connect(g, { node: policy, port: 'policy' }, { node: klId, port: 'policy' });
  g = connect(g, { node: oldId, port: 'policy' }, { node: klId, port: 'old' });
  g = connect(g, { node: minibatch, port: obsSource.from.port, field: 'obs' }, { node: klId, port: 'obs' });

  const penId = freshId(g, 'kl_penalty');
  // The row's own mode, β and d_targ win over params inherited from a template.
  const params: Record<string, unknown> = {
    ...penaltyParams,
    ...(options.adaptive ? { mode: 'adaptive', beta: ADAPTIVE_INITIAL_BETA, target: options.dTarg } : { mode: 'fixed', beta: options.beta }),
  };
  g = addNode(g, { id: penId, type: KL_PENALTY_BLOCK, params }, klId);
  g = connect(g, { node: klId, port: 'meanKL' }, { node: penId, port: 'kl' });
  g = connect(g, { node: penId, port: 'penalty' }, { node: lossSum, port: 'terms' });
  g = setWeight(g, lossSum, penId, 1);
  // Watch the KL, β and the penalty in metrics.jsonl when the graph has a metrics sink.
  if (hasNodeOfType(g, 'sink.metrics')) {
    const sink = nodeOfType(g, 'sink.metrics').id;
    g = connect(g, { node: klId, port: 'meanKL' }, { node: sink, port: 'values' });
    g = connect(g, { node: penId, port: 'beta' }, { node: sink, port: 'values' });
    g = connect(g, { node: penId, port: 'penalty' }, { node: sink, port: 'values' });
  }
  return g;
}

// ---------------------------------------------------------------------------------------------
// The table

export type VariantFamily = 'none' | 'clip' | 'kl-adaptive' | 'kl-fixed';

export interface Variant {
  /** Stable id (CSV, run folders): e.g. "clip-0.2". */
  id: string;
  /** The row label, as in the paper's Table 1. */
  label: string;
  family: VariantFamily;
  /** Block types the variant adds (the driver reports the missing ones before running anything). */
  requires: string[];
  transform: (base: GraphFile, context?: VariantContext) => GraphFile;
}

export interface VariantContext {
  /**
   * Params of the KL-penalty block other than mode, β and d_targ (tolerance, factor, how d is
   * measured), e.g. read from the ppo-kl-* templates so that the ablation uses their settings.
   */
  klPenaltyParams?: Record<string, unknown>;
}


const KL_REQUIRES = [SNAPSHOT_BLOCK, KL_BLOCK, KL_PENALTY_BLOCK];

/** Rows in the order of the paper's Table 1. */
export const VARIANTS: readonly Variant[] = [
  { id: 'no-clip', label: 'No clipping or penalty', family: 'none', requires: [], transform: noClip },
  ...[0.1, 0.2, 0.3].map(
    (epsilon): Variant => ({
      id: `clip-${epsilon}`,
      label: `Clipping, ε = ${epsilon}`,
      family: 'clip',
      requires: [CLIP_BLOCK],
      transform: (g) => clipWith(g, epsilon),
    }),
  ),
  ...[0.003, 0.01, 0.03].map(
    (dTarg): Variant => ({
      id: `kl-adaptive-${dTarg}`,
      label: `Adaptive KL, d_targ = ${dTarg}`,
      family: 'kl-adaptive',
      requires: KL_REQUIRES,
      transform: (g, context) => klPenalty(g, { adaptive: true, dTarg }, context?.klPenaltyParams),
    }),
  ),
  ...[0.3, 1, 3, 10].map(
    (beta): Variant => ({
      id: `kl-fixed-${beta}`,
      label: `Fixed KL, β = ${beta}`,
      family: 'kl-fixed',
      requires: KL_REQUIRES,
      transform: (g, context) => klPenalty(g, { adaptive: false, beta }, context?.klPenaltyParams),
    }),
  ),
];

// ---------------------------------------------------------------------------------------------
// Environments and their base graphs

export interface AblationEnv {
  id: string;
  /** Short name (file names, template suffix): "cartpole". */
  short: string;
  /** Default training budget of the full table, env steps per run. */
  steps: number;
  /** Budget of --quick. */
  quickSteps: number;
}

/**
 * Budgets: the ones issue 5 sets for these templates (`ppo-kl-*.cartpole` ≥ 475 within 200,000;
 * `ppo-clip.acrobot` ≥ −100 within 500,000). 66 runs of these fit in well under 2 hours on two
 * cores (bench/README.md, "PPO ablation").
 */
export const ABLATION_ENVS: readonly AblationEnv[] = [
  { id: 'CartPole-v1', short: 'cartpole', steps: 200_000, quickSteps: 20_000 },
  { id: 'Acrobot-v1', short: 'acrobot', steps: 500_000, quickSteps: 30_000 },
];

export const BASE_TEMPLATE_PREFIX = 'ppo-clip';
/** The template every environment falls back on (with its env id changed). */
export const FALLBACK_TEMPLATE = 'ppo-clip.cartpole';

export interface BaseGraph {
  graph: GraphFile;
  /** Where it came from, for the report: "ppo-clip.acrobot" or "ppo-clip.cartpole with env.id = Acrobot-v1". */
  source: string;
}

/**
 * The base graph of `env`: the template `ppo-clip.<short>` when `loadTemplate` finds it, else the
 * CartPole template with its environment block switched to `env.id` (classic-control envs share
 * the block; networks size themselves from the env spec).
 */
export function baseGraph(env: AblationEnv, loadTemplate: (name: string) => GraphFile | null): BaseGraph {
  const own = `${BASE_TEMPLATE_PREFIX}.${env.short}`;
  const graph = loadTemplate(own);
  if (graph) {
    checkEnv(graph, env, own);
    return { graph, source: own };
  }
  const fallback = loadTemplate(FALLBACK_TEMPLATE);
  if (!fallback) throw new GraphEditError(`neither template '${own}' nor '${FALLBACK_TEMPLATE}' exists`);
  const envNode = nodeOfType(fallback, 'env.classic');
  if (envNode.params.id === env.id) return { graph: fallback, source: FALLBACK_TEMPLATE };
  return {
    graph: setParam(fallback, envNode.id, 'id', env.id),
    source: `${FALLBACK_TEMPLATE} with ${envNode.id}.id = ${env.id}`,
  };
}

function checkEnv(graph: GraphFile, env: AblationEnv, name: string): void {
  const envNodes = graph.nodes.filter((n) => n.type.startsWith('env.') && typeof n.params.id === 'string');
  if (!envNodes.some((n) => n.params.id === env.id)) {
    throw new GraphEditError(`template '${name}' does not train on ${env.id}`);
  }
}

/** The graph of one variant on one environment, named for summary.json and the run folder. */
export function variantGraph(variant: Variant, env: AblationEnv, base: GraphFile, steps: number, context: VariantContext = {}): GraphFile {
  const g = variant.transform(base, context);
  const template = `ppo-ablation.${variant.id}.${env.short}`;
  return {
    ...g,
    meta: {
      ...g.meta,
      name: `PPO ablation · ${variant.label} · ${env.id}`,
      template,
      description: `${variant.label} on ${env.id}, derived from ${base.meta.template ?? base.meta.name} by bench/ablation/variants.ts.`,
    },
    run: { ...g.run, totalSteps: steps },
  };
}
