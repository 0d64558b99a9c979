/**
 * Compiler: graph file → executable plan.
 *
 * 1. structure: ids, block types, params (defaults filled, ranges checked), edges and port types;
 * 2. order: topological order of all edges, cycles reported with the nodes on them;
 * 3. environments: the EnvSpec reaching each network (input sizes, action spaces);
 * 4. Batch fields: every field edge names a field its source really has;
 * 5. clocks: static → iteration (collectors) → update (minibatch loops), checked per node;
 * 6. differentiable cones: for each optimizer, the nodes between its modules and its loss on its
 *    own clock (evaluated inside the gradient closure; everything else enters as a constant);
 * 7. schedule: a tree of steps per clock, cones folded into their optimizer step.
 *
 * Every problem is a GraphError naming the node/edge; all problems of a pass are reported together.
 */
import type { AnyBlockDef, FieldContext, GraphCheckNode } from './block.ts';
import type { EnvSpec } from './env.ts';
import { describeEdge, type EdgeRef, GraphError, GraphErrors } from './errors.ts';
import type { GraphEdge, GraphFile } from './graph/schema.ts';
import { checkParamValue, type ParamSpec, type ParamSpecs, type ParamValues } from './params.ts';
import { connectionProblem, isResourceType, type PortType } from './ports.ts';
import type { BlockRegistry } from './registry.ts';

export type Clock = string; // 'static' | 'iteration' | `update:${loopNodeId}` | `every:${loopNodeId}`

export interface PlanEdge {
  from: { node: string; port: string; field?: string };
  to: { node: string; port: string };
  type: PortType;
}

export interface PlanNode {
  id: string;
  def: AnyBlockDef;
  /** Validated params with defaults filled in. */
  params: ParamValues<ParamSpecs>;
  /** Incoming edges per input port, in file order. */
  inputs: Record<string, PlanEdge[]>;
  /** Consumers of each output port. */
  outputs: Record<string, PlanEdge[]>;
  /** Clock of the node's outputs. */
  clock: Clock;
  /** Clock whose schedule runs the node (a minibatch loop runs on its input's clock). */
  runsOn: Clock;
  envSpec: EnvSpec | undefined;
  batchFields: Record<string, string[]>;
}

export type Step =
  | { kind: 'node'; id: string }
  | { kind: 'optimize'; id: string; cone: string[] }
  | { kind: 'loop'; id: string; clock: Clock; body: Step[] };

export interface Plan {
  graph: GraphFile;
  nodes: Map<string, PlanNode>;
  /** All node ids, topologically ordered (file order breaks ties). */
  order: string[];
  /** Resource nodes in build order. */
  resources: string[];
  /** Steps run once per iteration. */
  iteration: Step[];
  /** For each optimizer, the cone evaluated inside its gradient closure (topological order). */
  cones: Map<string, string[]>;
  /**
   * For each optimizer, the cone of each differentiable input port (topological order); `cones`
   * holds their union. First-order optimizers have one port, `loss`.
   */
  portCones: Map<string, Record<string, string[]>>;
  /** Cone outputs read by nodes outside that cone (kept alive after the closure). */
  exportedFromCones: Set<string>;
  clockParent: Map<Clock, Clock>;
}

export function compile(graph: GraphFile, registry: BlockRegistry): Plan {
  const nodes = structure(graph, registry);
  const order = topologicalOrder(graph, nodes);
  resolveEnvSpecs(order, nodes);
  resolveBatchFields(order, nodes);
  checkGraph(order, nodes);
  const clockParent = assignClocks(order, nodes);
  const portCones = findCones(order, nodes);
  const cones = new Map<string, string[]>();
  for (const [id, perPort] of portCones) {
    const union = new Set(Object.values(perPort).flat());
    cones.set(id, order.filter((nid) => union.has(nid)));
  }
  const exportedFromCones = new Set<string>();
  for (const cone of cones.values()) {
    const inCone = new Set(cone);
    for (const id of cone) {
      for (const edges of Object.values(nodes.get(id)!.outputs)) {
        if (edges.some((e) => !inCone.has(e.to.node))) exportedFromCones.add(id);
      }
    }
  }
  const iteration = schedule('iteration', order, nodes, cones, clockParent);
  return {
    graph,
    nodes,
    order,
    resources: order.filter((id) => nodes.get(id)!.clock === 'static'),
    iteration,
    cones,
    portCones,
    exportedFromCones,
    clockParent,
  };
}

// ---------------------------------------------------------------------------------------------
// 1. Structure

function structure(graph: GraphFile, registry: BlockRegistry): Map<string, PlanNode> {
  const errors: GraphError[] = [];
  const nodes = new Map<string, PlanNode>();

  for (const node of graph.nodes) {
    if (nodes.has(node.id)) {
      errors.push(new GraphError('duplicate-id', `node id '${node.id}' is used twice`, { nodeId: node.id }));
      continue;
    }
    const def = registry.get(node.type);
    if (!def) {
      errors.push(
        new GraphError('unknown-block', `node '${node.id}': unknown block type '${node.type}'${suggest(node.type, registry)}`, {
          nodeId: node.id,
        }),
      );
      continue;
    }
    const specs = def.params as Record<string, ParamSpec>;
    const params: ParamValues<ParamSpecs> = {};
    for (const [name, value] of Object.entries(node.params)) {
      const spec = specs[name];
      if (!spec) {
        const known = Object.keys(specs);
        errors.push(
          new GraphError(
            'unknown-param',
            `node '${node.id}' (${def.type}): unknown param '${name}'; its params are ${known.length ? known.join(', ') : '(none)'}`,
            { nodeId: node.id },
          ),
        );
        continue;
      }
      const problem = checkParamValue(spec, value);
      if (problem) {
        errors.push(new GraphError('invalid-param', `node '${node.id}' (${def.type}): param '${name}' = ${problem}`, { nodeId: node.id }));
        continue;
      }
      params[name] = value as ParamValues<ParamSpecs>[string]; // checked against its spec above
    }
    for (const [name, spec] of Object.entries(specs)) {
      if (!(name in params)) params[name] = structuredClone(spec.default);
    }
    nodes.set(node.id, {
      id: node.id,
      def,
      params,
      inputs: Object.fromEntries(def.inputs.map((p) => [p.name, []])),
      outputs: Object.fromEntries(def.outputs.map((p) => [p.name, []])),
      clock: 'static',
      runsOn: 'static',
      envSpec: undefined,
      batchFields: {},
    });
  }

  const seenIds = new Set(graph.nodes.map((n) => n.id));
  for (const edge of graph.edges) {
    const ref = edge as EdgeRef;
    const label = describeEdge(ref);
    const source = nodes.get(edge.from.node);
    const target = nodes.get(edge.to.node);
    if (!seenIds.has(edge.from.node) || !seenIds.has(edge.to.node)) {
      const missing = !seenIds.has(edge.from.node) ? edge.from.node : edge.to.node;
      errors.push(new GraphError('dangling-edge', `edge ${label}: there is no node '${missing}'`, { edge: ref }));
      continue;
    }
    if (!source || !target) continue; // the node itself already has an error
    const out = source.def.outputs.find((p) => p.name === edge.from.port);
    const inp = target.def.inputs.find((p) => p.name === edge.to.port);
    if (!out) {
      errors.push(
        new GraphError(
          'unknown-port',
          `edge ${label}: '${source.id}' (${source.def.type}) has no output '${edge.from.port}'; its outputs are ${names(source.def.outputs)}`,
          { nodeId: source.id, edge: ref },
        ),
      );
      continue;
    }
    if (!inp) {
      errors.push(
        new GraphError(
          'unknown-port',
          `edge ${label}: '${target.id}' (${target.def.type}) has no input '${edge.to.port}'; its inputs are ${names(target.def.inputs)}`,
          { nodeId: target.id, edge: ref },
        ),
      );
      continue;
    }
    const problem = connectionProblem(out.type, inp.type, edge.from.field);
    if (problem) {
      errors.push(
        new GraphError(
          'port-type',
          `edge ${label}: output '${source.id}.${out.name}' is ${out.type}${edge.from.field ? `[${edge.from.field}]` : ''} but input '${target.id}.${inp.name}' expects ${inp.type}: ${problem}`,
          { nodeId: target.id, port: inp.name, edge: ref },
        ),
      );
      continue;
    }
    const planEdge: PlanEdge = { from: edge.from, to: edge.to, type: edge.from.field ? 'Tensor' : out.type };
    target.inputs[inp.name].push(planEdge);
    source.outputs[out.name].push(planEdge);
  }

  for (const node of nodes.values()) {
    if (node.def.check) {
      const sources = Object.fromEntries(Object.entries(node.inputs).map(([port, edges]) => [port, edges.map((e) => e.from)]));
      const problem = node.def.check(node.params, sources);
      if (problem) errors.push(new GraphError('invalid-param', `node '${node.id}' (${node.def.type}): ${problem}`, { nodeId: node.id }));
    }
    for (const port of node.def.inputs) {
      const count = node.inputs[port.name].length;
      if (count === 0 && !port.optional) {
        errors.push(
          new GraphError('missing-input', `node '${node.id}' (${node.def.type}): required input '${port.name}' (${port.type}) is not connected`, {
            nodeId: node.id,
            port: port.name,
          }),
        );
      }
      if (count > 1 && !port.multi) {
        errors.push(
          new GraphError('too-many-edges', `node '${node.id}' (${node.def.type}): input '${port.name}' takes one edge but has ${count}`, {
            nodeId: node.id,
            port: port.name,
          }),
        );
      }
    }
  }

  if (errors.length) throw errors.length === 1 ? errors[0] : new GraphErrors(errors);
  return nodes;
}

function names(ports: { name: string; type: PortType }[]): string {
  return ports.length ? ports.map((p) => `${p.name} (${p.type})`).join(', ') : '(none)';
}

function suggest(type: string, registry: BlockRegistry): string {
  const close = registry.all().filter((b) => b.type.split('.').pop() === type.split('.').pop() || b.type.startsWith(type.split('.')[0] + '.'));
  return close.length ? `; did you mean ${close.slice(0, 3).map((b) => `'${b.type}'`).join(' or ')}?` : '';
}

// ---------------------------------------------------------------------------------------------
// 2. Order

function topologicalOrder(graph: GraphFile, nodes: Map<string, PlanNode>): string[] {
  // Ties are broken by node id, not file position: the plan does not depend on how a file orders
  // its nodes (saving sorts them).
  const indegree = new Map<string, number>();
  const successors = new Map<string, string[]>();
  for (const id of nodes.keys()) {
    indegree.set(id, 0);
    successors.set(id, []);
  }
  for (const node of nodes.values()) {
    for (const edges of Object.values(node.inputs)) {
      for (const edge of edges) {
        indegree.set(node.id, indegree.get(node.id)! + 1);
        successors.get(edge.from.node)!.push(node.id);
      }
    }
  }
  const ready = [...nodes.keys()].filter((id) => indegree.get(id) === 0);
  const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  ready.sort(byId);
  const order: string[] = [];
  while (ready.length) {
    const id = ready.shift()!;
    order.push(id);
    for (const next of successors.get(id)!) {
      indegree.set(next, indegree.get(next)! - 1);
      if (indegree.get(next) === 0) {
        ready.push(next);
        ready.sort(byId);
      }
    }
  }
  if (order.length < nodes.size) {
    const stuck = new Set([...nodes.keys()].filter((id) => !order.includes(id)));
    const cycle = findCycle(stuck, nodes);
    throw new GraphError('cycle', `the graph has a cycle: ${cycle.join(' → ')}; break it (values flow one way within a tick)`, {
      nodeId: cycle[0],
    });
  }
  return order;
}

function findCycle(candidates: Set<string>, nodes: Map<string, PlanNode>): string[] {
  // Walk predecessors inside the stuck set until a node repeats.
  const start = [...candidates][0];
  const path: string[] = [];
  const seen = new Map<string, number>();
  let current = start;
  while (!seen.has(current)) {
    seen.set(current, path.length);
    path.push(current);
    const pred = Object.values(nodes.get(current)!.inputs)
      .flat()
      .map((e) => e.from.node)
      .find((id) => candidates.has(id));
    if (!pred) break;
    current = pred;
  }
  const cycle = path.slice(seen.get(current) ?? 0).reverse();
  return [...cycle, cycle[0]];
}

// ---------------------------------------------------------------------------------------------
// 3. Environment specs

function resolveEnvSpecs(order: string[], nodes: Map<string, PlanNode>): void {
  const errors: GraphError[] = [];
  // Env blocks and wrappers first, in order.
  for (const id of order) {
    const node = nodes.get(id)!;
    if (!node.def.envSpec) continue;
    const envEdge = Object.values(node.inputs)
      .flat()
      .find((e) => e.type === 'Env');
    const input = envEdge ? nodes.get(envEdge.from.node)!.envSpec : undefined;
    node.envSpec = node.def.envSpec(node.params, input);
  }
  // Every consumer of an Env passes its spec upstream along its Module/Policy inputs.
  for (const id of order) {
    const node = nodes.get(id)!;
    const envEdge = Object.values(node.inputs)
      .flat()
      .find((e) => e.type === 'Env');
    if (!envEdge || node.def.envSpec) continue;
    const spec = nodes.get(envEdge.from.node)!.envSpec;
    if (!spec) continue;
    node.envSpec = spec;
    const stack = Object.values(node.inputs)
      .flat()
      .filter((e) => e.type === 'Module' || e.type === 'Policy')
      .map((e) => e.from.node);
    const visited = new Set<string>();
    while (stack.length) {
      const upstream = nodes.get(stack.pop()!)!;
      if (visited.has(upstream.id)) continue;
      visited.add(upstream.id);
      if (upstream.envSpec && !sameShape(upstream.envSpec, spec)) {
        errors.push(
          new GraphError(
            'unresolved',
            `node '${upstream.id}' receives observations from two environments with different spaces (${upstream.envSpec.id} and ${spec.id})`,
            { nodeId: upstream.id },
          ),
        );
        continue;
      }
      upstream.envSpec = spec;
      for (const e of Object.values(upstream.inputs).flat()) {
        if (e.type === 'Module' || e.type === 'Policy') stack.push(e.from.node);
      }
    }
  }
  // Modules that no environment consumer reaches (critics, target networks, a V-network read only
  // by losses: off-policy graphs) observe the graph's environment when it has exactly one.
  const specs = order.map((id) => nodes.get(id)!).filter((n) => n.def.envSpec && n.envSpec);
  const distinct = new Set(specs.map((n) => JSON.stringify([n.envSpec!.observationSpace.shape, n.envSpec!.actionSpace])));
  if (distinct.size === 1) {
    const only = specs[specs.length - 1].envSpec!;
    for (const id of order) {
      const node = nodes.get(id)!;
      if (!node.envSpec && node.def.role === 'resource') node.envSpec = only;
    }
  }
  if (errors.length) throw errors.length === 1 ? errors[0] : new GraphErrors(errors);
}

function sameShape(a: EnvSpec, b: EnvSpec): boolean {
  return JSON.stringify([a.observationSpace.shape, a.actionSpace]) === JSON.stringify([b.observationSpace.shape, b.actionSpace]);
}

// ---------------------------------------------------------------------------------------------
// 4. Batch fields

function resolveBatchFields(order: string[], nodes: Map<string, PlanNode>): void {
  const errors: GraphError[] = [];
  for (const id of order) {
    const node = nodes.get(id)!;
    const inputFields: Record<string, string[]> = {};
    for (const [port, edges] of Object.entries(node.inputs)) {
      for (const edge of edges) {
        if (edge.type === 'Batch') inputFields[port] = nodes.get(edge.from.node)!.batchFields[edge.from.port] ?? [];
        if (edge.from.field !== undefined) {
          const available = nodes.get(edge.from.node)!.batchFields[edge.from.port] ?? [];
          if (!available.includes(edge.from.field)) {
            errors.push(
              new GraphError(
                'unknown-port',
                `edge ${describeEdge(edge)}: the Batch from '${edge.from.node}.${edge.from.port}' has no field '${edge.from.field}'; it has ${available.join(', ') || '(none)'}`,
                { nodeId: node.id, port: port, edge },
              ),
            );
          }
        }
      }
    }
    if (node.def.batchFields) {
      const ctx: FieldContext<ParamValues<ParamSpecs>> = {
        params: node.params,
        inputFields,
        connected: new Set(Object.entries(node.inputs).filter(([, e]) => e.length > 0).map(([p]) => p)),
      };
      node.batchFields = node.def.batchFields(ctx);
    }
  }
  if (errors.length) throw errors.length === 1 ? errors[0] : new GraphErrors(errors);
}

// ---------------------------------------------------------------------------------------------
// 4b. Graph-level checks of blocks (BlockDef.checkGraph)

function checkGraph(order: string[], nodes: Map<string, PlanNode>): void {
  const views = new Map<string, GraphCheckNode>();
  const view = (id: string): GraphCheckNode => {
    let v = views.get(id);
    if (v) return v;
    const node = nodes.get(id)!;
    const upstream = (port: string): GraphCheckNode[] => (node.inputs[port] ?? []).map((e) => view(e.from.node));
    v = {
      id,
      type: node.def.type,
      def: node.def,
      params: node.params,
      upstream,
      ancestors(port?: string): GraphCheckNode[] {
        // Breadth-first, so the nearest producers come first.
        const start = port === undefined ? Object.keys(node.inputs).flatMap(upstream) : upstream(port);
        const seen = new Set<string>();
        const result: GraphCheckNode[] = [];
        const queue = [...start];
        while (queue.length) {
          const next = queue.shift()!;
          if (seen.has(next.id)) continue;
          seen.add(next.id);
          result.push(next);
          for (const p of Object.keys(nodes.get(next.id)!.inputs)) queue.push(...next.upstream(p));
        }
        return result;
      },
    };
    views.set(id, v);
    return v;
  };
  const errors: GraphError[] = [];
  for (const id of order) {
    const node = nodes.get(id)!;
    if (!node.def.checkGraph) continue;
    const problem = node.def.checkGraph({ params: node.params, node: view(id) });
    if (problem) errors.push(new GraphError('invalid-param', `node '${id}' (${node.def.type}): ${problem}`, { nodeId: id }));
  }
  if (errors.length) throw errors.length === 1 ? errors[0] : new GraphErrors(errors);
}

// ---------------------------------------------------------------------------------------------
// 5. Clocks

function assignClocks(order: string[], nodes: Map<string, PlanNode>): Map<Clock, Clock> {
  const parent = new Map<Clock, Clock>([['iteration', 'static']]);
  const depth = (clock: Clock): number => (clock === 'static' ? 0 : 1 + depth(parent.get(clock)!));
  const isAncestor = (a: Clock, b: Clock): boolean => {
    for (let c: Clock | undefined = b; c !== undefined; c = parent.get(c)) if (c === a) return true;
    return false;
  };
  for (const id of order) {
    const node = nodes.get(id)!;
    const valueEdges = Object.values(node.inputs)
      .flat()
      .filter((e) => !isResourceType(e.type));
    const inputClocks = valueEdges.map((e) => ({ edge: e, clock: nodes.get(e.from.node)!.clock }));
    const role = node.def.role;
    if (role === 'resource') {
      const bad = valueEdges[0];
      if (bad) {
        throw new GraphError('clock-conflict', `node '${id}' builds a resource once, so it cannot take the ${bad.type} input '${bad.to.port}' that changes every tick`, {
          nodeId: id,
        });
      }
      node.clock = 'static';
      node.runsOn = 'static';
      continue;
    }
    if (role === 'collector') {
      // An off-policy step collector is a loop over environment steps inside the iteration: it
      // starts the step clock, on which the replay buffer, the sampler and the updates run.
      node.clock = node.def.loopClock === 'step' ? `step:${id}` : 'iteration';
      if (node.def.loopClock === 'step') parent.set(node.clock, 'iteration');
      node.runsOn = 'iteration';
      continue;
    }
    // Fastest clock among the inputs; every other input must be on a clock it nests in.
    let fastest: Clock = 'iteration';
    for (const { clock } of inputClocks) if (depth(clock) > depth(fastest)) fastest = clock;
    for (const { edge, clock } of inputClocks) {
      if (!isAncestor(clock, fastest)) {
        throw new GraphError(
          'clock-conflict',
          `node '${id}' mixes unrelated clocks: input '${edge.to.port}' ticks on ${clock} (from '${edge.from.node}') while another input ticks on ${fastest}; bridge them with a minibatch or every-k block`,
          { nodeId: id, port: edge.to.port },
        );
      }
    }
    if (role === 'minibatch') {
      const clock = `${node.def.loopClock ?? 'update'}:${id}`;
      parent.set(clock, fastest);
      node.clock = clock;
    } else {
      node.clock = fastest;
    }
    node.runsOn = fastest;
  }
  return parent;
}

// ---------------------------------------------------------------------------------------------
// 6. Differentiable cones

/**
 * The optimizer's differentiable input ports: those its definition marks `differentiable`, else
 * `loss` (first-order optimizers).
 */
export function differentiablePorts(def: AnyBlockDef): string[] {
  const marked = def.inputs.filter((p) => p.differentiable).map((p) => p.name);
  return marked.length ? marked : def.inputs.some((p) => p.name === 'loss') ? ['loss'] : [];
}

function findCones(order: string[], nodes: Map<string, PlanNode>): Map<string, Record<string, string[]>> {
  const cones = new Map<string, Record<string, string[]>>();
  const errors: GraphError[] = [];
  for (const id of order) {
    const opt = nodes.get(id)!;
    if (opt.def.role !== 'optimizer') continue;
    // Resource closure of the modules this optimizer owns (a frozen copy owns nothing).
    const owned = new Set<string>();
    const stack = (opt.inputs.modules ?? []).map((e) => e.from.node);
    while (stack.length) {
      const r = stack.pop()!;
      if (owned.has(r) || nodes.get(r)!.def.frozen) continue;
      owned.add(r);
      for (const e of Object.values(nodes.get(r)!.inputs).flat()) if (isResourceType(e.type)) stack.push(e.from.node);
    }
    // Nodes whose value depends on the owned variables (propagation stops at data producers).
    const dependent = new Set<string>();
    for (const nid of order) {
      const node = nodes.get(nid)!;
      // Resources pass dependence on (a head wrapping an optimised torso); collectors and loops
      // do not (they produce data, not differentiable values), nor frozen copies (constants).
      if (node.def.role !== 'op' && node.def.role !== 'resource') continue;
      if (node.def.frozen) continue;
      const deps = Object.values(node.inputs).flat();
      if (deps.some((e) => owned.has(e.from.node) || dependent.has(e.from.node))) dependent.add(nid);
    }
    const moduleNames = [...(opt.inputs.modules ?? [])].map((e) => e.from.node).join(', ') || 'none connected';
    const perPort: Record<string, string[]> = {};
    for (const port of differentiablePorts(opt.def)) {
      // Ancestors of the port's value on the optimizer's clock.
      const ancestors = new Set<string>();
      const walk = (opt.inputs[port] ?? []).map((e) => e.from.node);
      if (walk.length === 0) continue; // an optional port left unconnected
      while (walk.length) {
        const a = walk.pop()!;
        if (ancestors.has(a)) continue;
        ancestors.add(a);
        for (const e of Object.values(nodes.get(a)!.inputs).flat()) walk.push(e.from.node);
      }
      const cone = order.filter((nid) => ancestors.has(nid) && dependent.has(nid) && nodes.get(nid)!.runsOn === opt.runsOn);
      if (cone.length === 0) {
        const what = port === 'loss' ? 'its loss does' : `its '${port}' input does`;
        errors.push(
          new GraphError(
            'unresolved',
            `optimizer '${id}' (${opt.def.type}): ${what} not depend on the modules it optimizes (${moduleNames}), so there is nothing to differentiate${port === 'loss' ? '' : `; wire '${port}' to blocks computed from the same policy`}`,
            { nodeId: id, port },
          ),
        );
        continue;
      }
      perPort[port] = cone;
    }
    cones.set(id, perPort);
  }
  if (errors.length) throw errors.length === 1 ? errors[0] : new GraphErrors(errors);
  return cones;
}

// ---------------------------------------------------------------------------------------------
// 7. Schedule

/** Blocks that run their downstream once per record they yield: minibatch/every loops and step collectors. */
export function isLoop(def: AnyBlockDef): boolean {
  return def.role === 'minibatch' || (def.role === 'collector' && def.loopClock === 'step');
}

function schedule(clock: Clock, order: string[], nodes: Map<string, PlanNode>, cones: Map<string, string[]>, clockParent: Map<Clock, Clock>): Step[] {
  // Fold each cone into its optimizer: the optimizer takes the cone's inputs as its own
  // dependencies, and consumers of cone outputs wait for the optimizer.
  const owner = new Map<string, string[]>();
  for (const [opt, cone] of cones) for (const id of cone) owner.set(id, [...(owner.get(id) ?? []), opt]);
  const onClock = order.filter((id) => nodes.get(id)!.runsOn === clock && !owner.has(id));
  const position = new Map<string, number>(onClock.map((id, i) => [id, i]));
  const deps = new Map<string, Set<string>>();
  const resolve = (id: string): string[] => owner.get(id) ?? [id];
  // A loop step stands for everything on its clock and the clocks nested in it: those nodes may
  // read held values of this clock (e.g. a metrics sink inside a minibatch loop reading an
  // iteration-clock surrogate), so the loop waits for their producers too.
  const within = (inner: Clock, outer: Clock): boolean => {
    for (let c: Clock | undefined = inner; c !== undefined; c = clockParent.get(c)) if (c === outer) return true;
    return false;
  };
  for (const id of onClock) {
    const set = new Set<string>();
    const node = nodes.get(id)!;
    let members = cones.get(id) ? [id, ...cones.get(id)!] : [id];
    if (isLoop(node.def)) {
      const inner = order.filter((m) => within(nodes.get(m)!.runsOn, node.clock));
      members = [id, ...inner, ...inner.flatMap((m) => cones.get(m) ?? [])];
    }
    for (const m of members) {
      for (const e of Object.values(nodes.get(m)!.inputs).flat()) for (const d of resolve(e.from.node)) if (d !== id && position.has(d)) set.add(d);
    }
    deps.set(id, set);
  }
  // Stable topological sort of the folded graph.
  const done = new Set<string>();
  const result: string[] = [];
  while (result.length < onClock.length) {
    const next = onClock.find((id) => !done.has(id) && [...deps.get(id)!].every((d) => done.has(d)));
    if (!next) {
      const stuck = onClock.filter((id) => !done.has(id));
      throw new GraphError('cycle', `nodes ${stuck.join(', ')} depend on each other through an optimizer's loss`, { nodeId: stuck[0] });
    }
    done.add(next);
    result.push(next);
  }
  return result.map((id): Step => {
    const node = nodes.get(id)!;
    if (node.def.role === 'optimizer') return { kind: 'optimize', id, cone: cones.get(id)! };
    if (isLoop(node.def)) return { kind: 'loop', id, clock: node.clock, body: schedule(node.clock, order, nodes, cones, clockParent) };
    return { kind: 'node', id };
  });
}

export type { GraphEdge };
