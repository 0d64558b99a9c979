/**
 * Graph file format v1 (`*.rlgraph.json`): the zod schema is the single definition; the JSON
 * Schema for editors is exported from it (`npm run build` writes schema/rlgraph.schema.json).
 */
import { z } from 'zod';

export const GRAPH_FORMAT = 'rl-composer/graph';
export const GRAPH_VERSION = 1;

const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'ids start with a letter or _ and use letters, digits, _ or -');

export const endpointSchema = z.strictObject({
  node: id,
  port: z.string().min(1),
});

export const edgeSchema = z.strictObject({
  from: z.strictObject({
    node: id,
    port: z.string().min(1),
    /** Take one named field of a Batch output as a Tensor. */
    field: z.string().min(1).optional(),
  }),
  to: endpointSchema,
});

export const nodeSchema = z.strictObject({
  id,
  type: z.string().min(1),
  params: z.record(z.string(), z.unknown()).default({}),
  /** Editor-only data: position, collapsed state, colour. Never read by the engine. */
  ui: z
    .looseObject({ x: z.number(), y: z.number() })
    .optional(),
  label: z.string().optional(),
});

export const backendSchema = z.enum(['auto', 'tensorflow', 'wasm', 'cpu']);

export const graphSchema = z.strictObject({
  format: z.literal(GRAPH_FORMAT),
  version: z.literal(GRAPH_VERSION),
  meta: z
    .strictObject({
      name: z.string(),
      algorithm: z.string().optional(),
      description: z.string().optional(),
      /** Template id recorded in summary.json (e.g. "ppo-clip.cartpole"). */
      template: z.string().optional(),
    })
    .default({ name: 'untitled' }),
  run: z
    .strictObject({
      totalSteps: z.number().int().positive(),
      seed: z.number().int().nonnegative().default(1),
      backend: backendSchema.default('auto'),
    })
    .default({ totalSteps: 100_000, seed: 1, backend: 'auto' }),
  nodes: z.array(nodeSchema),
  edges: z.array(edgeSchema),
});

export type GraphFile = z.infer<typeof graphSchema>;
export type GraphNode = GraphFile['nodes'][number];
export type GraphEdge = GraphFile['edges'][number];
export type Backend = z.infer<typeof backendSchema>;
