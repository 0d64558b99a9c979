/** JSON Schema of graph files, generated from the zod schema (for editors and other tools). */
import { z } from 'zod';
import { graphSchema } from './schema.ts';

export function graphJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(graphSchema, { io: 'input' }),
    $id: 'https://rl-composer.dev/schema/rlgraph-v1.json',
    title: 'RL Composer graph file (v1)',
  };
}
