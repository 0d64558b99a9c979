/** `npm run build` step: writes schema/rlgraph.schema.json from the zod schema. */
import { writeFileSync } from 'node:fs';
import { graphJsonSchema } from './json-schema.ts';

writeFileSync(new URL('../../schema/rlgraph.schema.json', import.meta.url), JSON.stringify(graphJsonSchema(), null, 2) + '\n');
console.log('wrote schema/rlgraph.schema.json');
