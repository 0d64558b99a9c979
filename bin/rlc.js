#!/usr/bin/env node
// Runs the TypeScript CLI directly: tsx compiles the sources on load (cached), so `npx rlc` works
// right after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../engine/cli.ts');
