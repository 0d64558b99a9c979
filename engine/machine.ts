/**
 * The run lifecycle as an xstate v5 machine:
 *
 *   idle → compiling → ready → running (collecting → learning → … → evaluating) ⇄ paused
 *        → stopping → done | failed
 *
 * Events: START, PAUSE, RESUME, STEP (one iteration, then pause), STOP, SET_PARAM. The machine
 * emits `progress`, `metrics`, `log`, `error` and `summary` events. The CLI drives it; the editor
 * will drive the same machine through the engine host.
 */
import { assign, createActor, emit, enqueueActions, fromPromise, setup } from 'xstate';
import { GraphError, GraphErrors } from './errors.ts';
import type { MetricsRow } from './run-folder.ts';
import { type Progress, RunSession, type SessionOptions, type Summary, yieldToLoop } from './session.ts';

export type RunEvent =
  | { type: 'START' }
  | { type: 'PAUSE' }
  | { type: 'RESUME' }
  | { type: 'STEP' }
  | { type: 'STOP'; reason?: string }
  | { type: 'SET_PARAM'; node: string; param: string; value: unknown }
  /** Sent by the session itself: a message from the engine or a block, re-emitted as `log`. */
  | { type: 'LOG'; message: string; nodeId?: string };

export type EmittedEvent =
  | { type: 'progress'; progress: Progress }
  | { type: 'metrics'; row: MetricsRow }
  | { type: 'log'; message: string; nodeId?: string }
  | { type: 'error'; message: string; code: string; nodeId?: string; phase: string }
  | { type: 'summary'; summary: Summary };

export interface RunContext {
  session: RunSession;
  /** What START/STEP asked for before the graph was compiled. */
  intent: 'run' | 'step' | 'none';
  pauseRequested: boolean;
  stopRequested: boolean;
  stopReason: string | undefined;
  stepOnce: boolean;
  error: { message: string; code: string; nodeId?: string; phase: string } | undefined;
  summary: Summary | undefined;
}

/** What one learning half gives the machine: a finished iteration, or none (suspended by Pause). */
type LearnOutput = { suspended: true } | { suspended: false; row: MetricsRow; progress: Progress };


function describe(error: unknown, phase: string): RunContext['error'] {
  if (error instanceof GraphErrors) {
    return { message: error.message, code: error.errors[0].code, nodeId: error.errors[0].nodeId, phase };
  }
  if (error instanceof GraphError) return { message: error.message, code: error.code, nodeId: error.nodeId, phase };
  return { message: error instanceof Error ? error.message : String(error), code: 'runtime', phase };
}

export const runMachine = setup({
  types: {
    context: {} as RunContext,
    events: {} as RunEvent,
    input: {} as { session: RunSession },
    emitted: {} as EmittedEvent,
  },
  actors: {
    compile: fromPromise<void, { session: RunSession }>(async ({ input }) => {
      await input.session.prepare();
    }),
    collect: fromPromise<void, { session: RunSession }>(async ({ input }) => {
      await yieldToLoop();
      input.session.collect();
    }),
    learn: fromPromise<LearnOutput, { session: RunSession }>(async ({ input }) => {
      const outcome = await input.session.learnCooperatively();
      if (outcome === 'suspended') return { suspended: true };
      return { suspended: false, row: outcome.row, progress: outcome.progress };
    }),
    evaluate: fromPromise<Summary['eval'], { session: RunSession }>(async ({ input }) => {
      await yieldToLoop();
      return input.session.evaluate(20);
    }),
    finish: fromPromise<LearnOutput, { session: RunSession }>(async ({ input }) => {
      // Stop while paused part-way through an iteration: the iteration ends where it was.
      const outcome = input.session.cutPending();
      input.session.checkpoint();
      return outcome ? { suspended: false, row: outcome.row, progress: outcome.progress } : { suspended: true };
    }),
  },
  guards: {
    wantsRun: ({ context }) => context.intent === 'run',
    wantsStep: ({ context }) => context.intent === 'step',
    finished: ({ context }) => context.session.finished && !context.session.midIteration,
    suspended: ({ event }) => (event as unknown as { output: LearnOutput }).output.suspended,
    stopRequested: ({ context }) => context.stopRequested,
    pauseRequested: ({ context }) => context.pauseRequested || context.stepOnce,
  },
  actions: {
    /** Metrics and progress of a finished iteration (nothing for a suspended one). */
    emitIteration: enqueueActions(({ enqueue, event }) => {
      const output = (event as unknown as { output?: LearnOutput }).output;
      if (!output || output.suspended) return;
      enqueue.emit({ type: 'metrics', row: output.row });
      enqueue.emit({ type: 'progress', progress: output.progress });
    }),
    // The session polls these between slices of a long iteration (see RunSession.learnCooperatively).
    interruptForStop: ({ context }) => void (context.session.interrupt.stop = true),
    interruptForPause: ({ context }) => void (context.session.interrupt.pause = true),
    setParam: ({ context, event }) => {
      if (event.type !== 'SET_PARAM') return;
      context.session.executor.setParam(event.node, event.param, event.value);
    },
  },
}).createMachine({
  id: 'run',
  initial: 'idle',
  on: {
    LOG: { actions: emit(({ event }) => ({ type: 'log' as const, message: event.message, nodeId: event.nodeId })) },
  },
  context: ({ input }) => ({
    session: input.session,
    intent: 'none',
    pauseRequested: false,
    stopRequested: false,
    stopReason: undefined,
    stepOnce: false,
    error: undefined,
    summary: undefined,
  }),
  states: {
    idle: {
      on: {
        START: { target: 'compiling', actions: assign({ intent: 'run' }) },
        STEP: { target: 'compiling', actions: assign({ intent: 'step' }) },
      },
    },
    compiling: {
      invoke: {
        src: 'compile',
        input: ({ context }) => ({ session: context.session }),
        onDone: 'ready',
        onError: { target: 'failed', actions: assign({ error: ({ event }) => describe(event.error, 'compiling') }) },
      },
      on: {
        STOP: { actions: [assign({ stopRequested: true, stopReason: ({ event }) => event.reason ?? 'stop' }), 'interruptForStop'] },
        PAUSE: { actions: [assign({ pauseRequested: true }), 'interruptForPause'] },
      },
    },
    ready: {
      always: [
        { guard: 'stopRequested', target: 'stopping' },
        { guard: 'wantsRun', target: 'running' },
        { guard: 'wantsStep', target: 'running', actions: assign({ stepOnce: true }) },
      ],
      on: {
        START: 'running',
        STEP: { target: 'running', actions: assign({ stepOnce: true }) },
        STOP: 'stopping',
      },
    },
    running: {
      initial: 'collecting',
      on: {
        PAUSE: { actions: [assign({ pauseRequested: true }), 'interruptForPause'] },
        STOP: { actions: [assign({ stopRequested: true, stopReason: ({ event }) => event.reason ?? 'stop' }), 'interruptForStop'] },
        SET_PARAM: { actions: 'setParam' },
      },
      states: {
        collecting: {
          always: [{ guard: 'finished', target: 'evaluating' }],
          invoke: {
            src: 'collect',
            input: ({ context }) => ({ session: context.session }),
            onDone: 'learning',
            onError: { target: '#run.failed', actions: assign({ error: ({ event }) => describe(event.error, 'collecting') }) },
          },
        },
        learning: {
          invoke: {
            src: 'learn',
            input: ({ context }) => ({ session: context.session }),
            onDone: [
              // Paused part-way: the iteration goes on where it was on Resume or Step.
              { guard: 'suspended', target: '#run.paused' },
              {
                guard: 'finished',
                target: 'evaluating',
                actions: 'emitIteration',
              },
              {
                guard: 'stopRequested',
                target: '#run.stopping',
                actions: 'emitIteration',
              },
              {
                guard: 'pauseRequested',
                target: '#run.paused',
                actions: 'emitIteration',
              },
              {
                target: 'collecting',
                reenter: true,
                actions: 'emitIteration',
              },
            ],
            onError: { target: '#run.failed', actions: assign({ error: ({ event }) => describe(event.error, 'learning') }) },
          },
        },
        evaluating: {
          invoke: {
            src: 'evaluate',
            input: ({ context }) => ({ session: context.session }),
            onDone: {
              target: '#run.stopping',
              actions: assign({ summary: ({ context, event }) => context.session.summary(event.output) }),
            },
            onError: { target: '#run.failed', actions: assign({ error: ({ event }) => describe(event.error, 'evaluating') }) },
          },
        },
      },
    },
    paused: {
      entry: [assign({ pauseRequested: false, stepOnce: false }), ({ context }) => void (context.session.interrupt.pause = false)],
      on: {
        RESUME: 'running',
        START: 'running',
        STEP: { target: 'running', actions: assign({ stepOnce: true }) },
        STOP: { target: 'stopping', actions: assign({ stopRequested: true, stopReason: ({ event }) => event.reason ?? 'stop' }) },
        SET_PARAM: { actions: 'setParam' },
      },
    },
    stopping: {
      invoke: {
        src: 'finish',
        input: ({ context }) => ({ session: context.session }),
        onDone: {
          target: 'done',
          actions: [
            'emitIteration',
            assign({
              summary: ({ context }) =>
                context.summary ??
                context.session.summary(context.session.evaluate(20), { interrupted: true, stopReason: context.stopReason ?? 'stop' }),
            }),
            emit(({ context }) => ({ type: 'summary' as const, summary: context.summary! })),
          ],
        },
        onError: { target: 'failed', actions: assign({ error: ({ event }) => describe(event.error, 'stopping') }) },
      },
    },
    done: { type: 'final' },
    failed: {
      type: 'final',
      entry: emit(({ context }) => ({ type: 'error' as const, ...(context.error ?? { message: 'unknown failure', code: 'runtime', phase: 'unknown' }) })),
    },
  },
});

export type RunActor = ReturnType<typeof createRunActor>;

export function createRunActor(options: SessionOptions) {
  // Log messages of the engine and of blocks become `log` events of the machine (the editor shows
  // them pinned to the node); `options.log` still sees them too.
  let send: ((message: string, nodeId?: string) => void) | undefined;
  const session = new RunSession({
    ...options,
    log: (message, nodeId) => {
      options.log?.(message, nodeId);
      send?.(message, nodeId);
    },
  });
  const actor = createActor(runMachine, { input: { session } });
  send = (message, nodeId) => actor.send({ type: 'LOG', message, nodeId });
  return { actor, session };
}

/** Resolves when the machine reaches `done` or `failed`. */
export function whenFinished(actor: ReturnType<typeof createRunActor>['actor']): Promise<'done' | 'failed'> {
  return new Promise((resolve) => {
    const check = () => {
      const snapshot = actor.getSnapshot();
      if (snapshot.status === 'done') resolve(snapshot.value as 'done' | 'failed');
    };
    actor.subscribe({ next: check, complete: check });
    check();
  });
}
