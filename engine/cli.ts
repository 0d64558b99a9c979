/**
 * `rlc`: validate, run and inspect RL Composer graphs from the command line.
 * Exit codes: 0 done, 1 failure while running, 2 invalid graph or arguments.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import { compile } from './compiler.ts';
import { GraphError, GraphErrors } from './errors.ts';
import { loadGraph } from './graph/io.ts';
import { graphJsonSchema } from './graph/json-schema.ts';
import { backendSchema, type GraphFile } from './graph/schema.ts';
import { createRunActor, whenFinished, type EmittedEvent } from './machine.ts';
import { applyOverrides, parseOverride } from './overrides.ts';
import { blockRegistry } from './registry.ts';
import { type RunningServer, startServer } from './host/server.ts';
import { RunFolder } from './run-folder.ts';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_INVALID = 2;

class UsageError extends Error {}

function printError(error: unknown, json: boolean): void {
  const list = error instanceof GraphErrors ? error.errors : [error];
  for (const e of list) {
    if (json) {
      const body = e instanceof GraphError ? e.toJSON() : { code: 'error', message: e instanceof Error ? e.message : String(e) };
      process.stdout.write(JSON.stringify({ type: 'error', ...body }) + '\n');
    } else {
      process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
}

function positiveInt(name: string) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0 || Math.floor(value) !== value) {
      throw new InvalidArgumentError(`${name} must be a non-negative integer (got '${text}')`);
    }
    return value;
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function timestamp(): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
}

function formatSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '--';
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

interface RunFlags {
  steps?: number;
  seed?: number;
  backend?: string;
  out?: string;
  set: string[];
  json?: boolean;
  resume?: string;
  force?: boolean;
}

function prepareGraph(file: string | undefined, flags: RunFlags): { graph: GraphFile; outDir: string; resume: boolean } {
  const registry = blockRegistry();
  let graph: GraphFile;
  let outDir: string;
  if (flags.resume) {
    const graphPath = join(flags.resume, 'graph.rlgraph.json');
    if (!existsSync(graphPath)) throw new UsageError(`--resume ${flags.resume}: no graph.rlgraph.json there (not a run folder)`);
    graph = loadGraph(graphPath);
    outDir = flags.resume;
  } else {
    if (!file) throw new UsageError('rlc run needs a graph file (or --resume DIR)');
    graph = loadGraph(file);
    const name = (graph.meta.template ?? graph.meta.name).replace(/[^A-Za-z0-9_.-]+/g, '-');
    outDir = flags.out ?? join('runs', `${name}-s${flags.seed ?? graph.run.seed}-${timestamp()}`);
    if (!flags.force && new RunFolder(outDir).holdsRun()) {
      throw new UsageError(`${outDir} already holds a run: continue it with --resume ${outDir}, or pass --force to replace it`);
    }
  }
  if (flags.backend !== undefined) {
    const parsed = backendSchema.safeParse(flags.backend);
    if (!parsed.success) throw new UsageError(`--backend must be one of ${backendSchema.options.join(', ')} (got '${flags.backend}')`);
    graph.run.backend = parsed.data;
  }
  if (flags.steps !== undefined) {
    if (flags.steps <= 0) throw new UsageError('--steps must be positive');
    graph.run.totalSteps = flags.steps;
  }
  if (flags.seed !== undefined) {
    if (flags.resume) throw new UsageError('--seed cannot change when resuming a run');
    graph.run.seed = flags.seed;
  }
  if (flags.set.length) graph = applyOverrides(graph, flags.set.map((s) => parseOverride(s, graph, registry)));
  return { graph, outDir, resume: Boolean(flags.resume) };
}

async function runCommand(file: string | undefined, flags: RunFlags): Promise<number> {
  const json = Boolean(flags.json);
  let prepared: ReturnType<typeof prepareGraph>;
  try {
    prepared = prepareGraph(file, flags);
    compile(prepared.graph, blockRegistry()); // report graph errors before creating any file
  } catch (error) {
    printError(error, json);
    return EXIT_INVALID;
  }
  const { graph, outDir, resume } = prepared;
  const write = (event: object) => process.stdout.write(JSON.stringify(event) + '\n');
  const { actor, session } = createRunActor({
    graph,
    outDir,
    resume,
  });

  const bar = json
    ? undefined
    : new cliProgress.SingleBar(
        {
          format: ' {bar} {percentage}% | {value}/{total} steps | {sps} steps/s | return {ret} | {elapsed} elapsed | ETA {etaText}',
          barsize: 28,
          hideCursor: true,
          stream: process.stderr,
          etaBuffer: 50,
          fps: 8,
        },
        cliProgress.Presets.shades_classic,
      );
  let barStarted = false;
  let failure: Extract<EmittedEvent, { type: 'error' }> | undefined;

  actor.on('progress', ({ progress }) => {
    if (json) return write({ type: 'progress', ...progress });
    const payload = {
      sps: Math.round(progress.stepsPerSecond).toLocaleString('en-US'),
      ret: progress.meanReturnLast20 === null ? '--' : progress.meanReturnLast20.toFixed(1),
      etaText: formatSeconds(progress.etaSeconds),
      elapsed: formatSeconds(progress.wallSeconds),
    };
    if (!barStarted) {
      bar!.start(progress.totalSteps, progress.step, payload);
      barStarted = true;
    } else {
      bar!.update(Math.min(progress.step, progress.totalSteps), payload);
    }
  });
  actor.on('metrics', ({ row }) => json && write({ type: 'metrics', ...row }));
  actor.on('log', ({ message, nodeId }) => {
    if (json) return write({ type: 'log', message, nodeId });
    // Over a running bar: clear its line first; it redraws itself on the next update.
    process.stderr.write(`${barStarted && process.stderr.isTTY ? '\r\x1b[K' : ''}${nodeId ? `[${nodeId}] ` : ''}${message}\n`);
  });
  actor.on('error', (event) => {
    failure = event;
  });
  actor.on('summary', ({ summary }) => {
    if (json) write({ type: 'summary', ...summary });
  });
  let previousState = '';
  actor.subscribe((snapshot) => {
    const state = JSON.stringify(snapshot.value);
    if (state !== previousState && json) write({ type: 'state', state: snapshot.value });
    previousState = state;
  });

  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    if (!json) process.stderr.write('\ninterrupted: writing a checkpoint, Ctrl-C again to quit at once\n');
    actor.send({ type: 'STOP', reason: 'interrupt' });
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  actor.start();
  actor.send({ type: 'START' });
  const final = await whenFinished(actor);
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigint);
  if (barStarted) bar!.stop();
  const summary = actor.getSnapshot().context.summary;
  session.dispose();

  if (final === 'failed') {
    const error = failure ?? actor.getSnapshot().context.error;
    if (json) write({ type: 'error', ...error });
    else process.stderr.write(`error: ${error?.message ?? 'run failed'}\n`);
    if (error?.phase === 'compiling' && error.code !== 'runtime') return EXIT_INVALID;
    if (!json) {
      const kept = session.folder?.checkpoints().length ? ' (last good checkpoint kept in checkpoints/)' : '';
      process.stderr.write(`run folder: ${outDir}${kept}\n`);
    }
    return EXIT_FAILED;
  }
  if (!json && summary) {
    const threshold = Object.entries(summary.firstStepReaching)[0];
    const lines = [
      `${summary.interrupted ? 'stopped' : 'done'}: ${summary.steps.toLocaleString('en-US')} steps in ${summary.wallSeconds.toFixed(1)} s (${Math.round(summary.stepsPerSecond).toLocaleString('en-US')} steps/s, backend ${summary.backend})`,
      `episodes ${summary.episodes}, mean return of last 20: ${summary.meanReturnLast20?.toFixed(1) ?? '--'}`,
      `eval (${summary.eval.episodes} fresh episodes): ${summary.eval.meanReturn?.toFixed(1) ?? '--'} ± ${summary.eval.stdReturn?.toFixed(1) ?? '--'}`,
      threshold ? `threshold ${threshold[0]}: ${threshold[1] === null ? 'not reached' : `first reached at step ${threshold[1].toLocaleString('en-US')}`}` : '',
      `run folder: ${outDir}`,
    ].filter(Boolean);
    process.stderr.write(lines.join('\n') + '\n');
  }
  return EXIT_OK;
}

function validateCommand(file: string, flags: { json?: boolean }): number {
  try {
    const graph = loadGraph(file);
    const plan = compile(graph, blockRegistry());
    const optimizers = [...plan.cones.entries()].map(([id, cone]) => `${id} ← [${cone.join(', ')}]`);
    const clocks = [...new Set([...plan.nodes.values()].map((n) => n.clock))];
    if (flags.json) {
      process.stdout.write(
        JSON.stringify({ valid: true, nodes: plan.nodes.size, edges: graph.edges.length, clocks, cones: Object.fromEntries(plan.cones) }) + '\n',
      );
    } else {
      process.stdout.write(`${file}: valid (${plan.nodes.size} nodes, ${graph.edges.length} edges)\n`);
      process.stdout.write(`clocks: ${clocks.join(', ')}\n`);
      for (const line of optimizers) process.stdout.write(`differentiates: ${line}\n`);
    }
    return EXIT_OK;
  } catch (error) {
    printError(error, Boolean(flags.json));
    return EXIT_INVALID;
  }
}

function blocksCommand(flags: { json?: boolean }): number {
  const catalogue = blockRegistry().catalogue();
  if (flags.json) {
    process.stdout.write(JSON.stringify(catalogue, null, 2) + '\n');
    return EXIT_OK;
  }
  let category = '';
  for (const block of catalogue) {
    if (block.category !== category) {
      category = block.category;
      process.stdout.write(`\n${category}\n`);
    }
    const ins = block.inputs.map((p) => `${p.name}:${p.type}${p.optional ? '?' : ''}${p.multi ? '*' : ''}`).join(', ');
    const outs = block.outputs.map((p) => `${p.name}:${p.type}`).join(', ');
    process.stdout.write(`  ${block.type.padEnd(22)} ${block.title}\n${''.padEnd(25)}(${ins}) → (${outs})\n`);
  }
  return EXIT_OK;
}

async function serveCommand(flags: { port: number; host: string; workspace: string; open?: boolean }): Promise<number> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  let server: RunningServer;
  try {
    server = await startServer({
      port: flags.port,
      host: flags.host,
      workspace: resolve(flags.workspace),
      uiDir: join(root, 'renderer', 'dist'),
      templatesDir: join(root, 'templates'),
    });
  } catch (error) {
    printError(error, false);
    return EXIT_INVALID;
  }
  process.stdout.write(`RL Composer is serving ${resolve(flags.workspace)}\n${server.url}\n`);
  if (flags.open) {
    const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
    spawn(opener, [server.url], { stdio: 'ignore', detached: true }).on('error', () => undefined).unref();
  }
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  process.stdout.write('stopping: active runs write a checkpoint\n');
  await server.close();
  return EXIT_OK;
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  let exitCode = EXIT_OK;
  program
    .name('rlc')
    .description('RL Composer: run reinforcement-learning graphs (*.rlgraph.json) headless')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('run')
    .description('train a graph; writes a run folder (graph, metrics.jsonl/.csv, checkpoints/, summary.json)')
    .argument('[file]', 'graph file (*.rlgraph.json)')
    .option('--steps <n>', 'environment steps to train (overrides run.totalSteps)', positiveInt('--steps'))
    .option('--seed <s>', 'run seed (overrides run.seed)', positiveInt('--seed'))
    .option('--backend <b>', 'auto | tensorflow | wasm | cpu')
    .option('--out <dir>', 'run folder (default runs/<template>-s<seed>-<time>)')
    .option('--set <node.param=value>', 'override a block parameter (repeatable)', collect, [])
    .option('--resume <dir>', 'continue the run in DIR from its newest checkpoint')
    .option('--force', 'replace an earlier run in --out DIR')
    .option('--json', 'print one JSON event per line instead of a progress bar')
    .action(async (file: string | undefined, flags: RunFlags) => {
      exitCode = await runCommand(file, flags);
    });

  program
    .command('validate')
    .description('check a graph file: schema, blocks, params, port types, clocks, cycles')
    .argument('<file>', 'graph file')
    .option('--json', 'machine-readable output')
    .action((file: string, flags: { json?: boolean }) => {
      exitCode = validateCommand(file, flags);
    });

  program
    .command('blocks')
    .description('list the block catalogue')
    .option('--json', 'full catalogue as JSON (what the editor renders)')
    .action((flags: { json?: boolean }) => {
      exitCode = blocksCommand(flags);
    });

  program
    .command('serve')
    .description('serve the engine (WebSocket /ws, file API /api) and the editor UI on this machine')
    .option('--port <p>', 'port (0 = any free port)', positiveInt('--port'), 7600)
    .option('--host <h>', 'interface to bind (keep 127.0.0.1 unless you tunnel)', '127.0.0.1')
    .option('--workspace <dir>', 'folder for graph files and runs/', '.')
    .option('--open', 'open the URL in the default browser')
    .action(async (flags: { port: number; host: string; workspace: string; open?: boolean }) => {
      exitCode = await serveCommand(flags);
    });

  program
    .command('schema')
    .description('print the JSON Schema of graph files')
    .action(() => {
      process.stdout.write(JSON.stringify(graphJsonSchema(), null, 2) + '\n');
    });

  try {
    await program.parseAsync(argv);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return EXIT_OK;
    if (typeof code === 'string' && code.startsWith('commander.')) return EXIT_INVALID;
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n`);
      return EXIT_INVALID;
    }
    printError(error, false);
    return EXIT_FAILED;
  }
  return exitCode;
}

const code = await main(process.argv);
// Exit explicitly: the wasm runtime keeps handles open, and a finished run must not linger.
process.exit(code);
