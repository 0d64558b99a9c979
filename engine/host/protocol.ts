/**
 * Messages between an engine host (`rlc serve`'s WebSocket, or the desktop app's engine process
 * over a MessagePort) and the editor.
 * One zod schema per direction, checked on both ends; the renderer imports this module (it does
 * not touch tfjs).
 */
import { z } from 'zod';

const runEvent = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('START') }),
  z.strictObject({ type: z.literal('PAUSE') }),
  z.strictObject({ type: z.literal('RESUME') }),
  z.strictObject({ type: z.literal('STEP') }),
  z.strictObject({ type: z.literal('STOP'), reason: z.string().optional() }),
  z.strictObject({ type: z.literal('SET_PARAM'), node: z.string(), param: z.string(), value: z.unknown() }),
]);

/** Editor → engine. `requestId` (optional) is echoed in the reply. */
export const clientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('catalogue'), requestId: z.string().optional() }),
  z.strictObject({ type: z.literal('validate'), requestId: z.string().optional(), graph: z.unknown() }),
  z.strictObject({ type: z.literal('run.start'), requestId: z.string().optional(), graph: z.unknown(), name: z.string().optional() }),
  z.strictObject({ type: z.literal('run.control'), requestId: z.string().optional(), runId: z.string(), event: runEvent }),
  z.strictObject({ type: z.literal('run.subscribe'), requestId: z.string().optional(), runId: z.string() }),
  z.strictObject({ type: z.literal('runs.list'), requestId: z.string().optional() }),
  /** Plays one fresh episode of the run's current policy (agent view); reply: `episode`. */
  z.strictObject({ type: z.literal('run.playEpisode'), requestId: z.string().optional(), runId: z.string() }),
  /** The workspace's past runs (folders under runs/), newest first; reply: `runs.history`. */
  z.strictObject({ type: z.literal('runs.history'), requestId: z.string().optional() }),
  /** The return curve of one past run; reply: `runs.curve`. */
  z.strictObject({ type: z.literal('runs.curve'), requestId: z.string().optional(), name: z.string() }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

const problem = z.object({
  code: z.string(),
  message: z.string(),
  node: z.string().optional(),
  port: z.string().optional(),
  edge: z.unknown().optional(),
});
export type Problem = z.infer<typeof problem>;

const runInfo = z.object({
  runId: z.string(),
  name: z.string(),
  dir: z.string(),
  state: z.unknown(),
  startedAt: z.string(),
});
export type RunInfo = z.infer<typeof runInfo>;

const num = z.number().nullable();
const runListing = z.object({
  name: z.string(),
  template: z.string(),
  seed: num,
  steps: num,
  meanReturnLast20: num,
  evalMeanReturn: num,
  finished: z.boolean(),
  startedAt: z.string(),
});
/** One past run of the workspace, as the Runs tab lists it. */
export type RunListing = z.infer<typeof runListing>;
const runCurvePoint = z.object({ iteration: num, step: num, returnMean: num, returnMeanLast20: num });
export type RunCurvePoint = z.infer<typeof runCurvePoint>;

/** Engine → editor. */
export const serverMessageSchema = z.discriminatedUnion('type', [
  /**
   * Sent once when a connection opens: the tfjs backend this engine host loaded (`auto`: native
   * TensorFlow with GPU, then CPU, then WebAssembly, then plain JS) and where runs are written.
   */
  z.object({ type: z.literal('hello'), backend: z.string(), backendDetail: z.string(), workspace: z.string() }),
  z.object({ type: z.literal('runs.history'), requestId: z.string().optional(), runs: z.array(runListing) }),
  z.object({ type: z.literal('runs.curve'), requestId: z.string().optional(), name: z.string(), rows: z.array(runCurvePoint) }),
  z.object({ type: z.literal('catalogue'), requestId: z.string().optional(), blocks: z.array(z.unknown()) }),
  z.object({ type: z.literal('validation'), requestId: z.string().optional(), valid: z.boolean(), problems: z.array(problem) }),
  z.object({ type: z.literal('run.started'), requestId: z.string().optional(), run: runInfo }),
  z.object({
    type: z.literal('run.snapshot'),
    requestId: z.string().optional(),
    run: runInfo,
    /** Every metrics row so far (a reconnecting editor redraws its charts from these). */
    metrics: z.array(z.record(z.string(), z.number().nullable())),
    progress: z.unknown().optional(),
    summary: z.unknown().optional(),
  }),
  z.object({ type: z.literal('runs'), requestId: z.string().optional(), runs: z.array(runInfo) }),
  /**
   * One episode of the current policy: the physical state before each step (`VecEnv.getState`:
   * CartPole [x, ẋ, θ, θ̇], Acrobot [θ1, θ2, θ̇1, θ̇2], MountainCar [position, velocity], Pendulum
   * [θ, θ̇]).
   */
  z.object({
    type: z.literal('episode'),
    requestId: z.string().optional(),
    runId: z.string(),
    envId: z.string(),
    frames: z.array(z.array(z.number())),
    return: z.number(),
  }),
  /**
   * A run machine event: state, progress, metrics, log, error, summary; and `frames` once per
   * iteration ({ envId, frames: number[][] }: ~30 evenly spaced states of sub-env 0).
   */
  z.object({ type: z.literal('run.event'), runId: z.string(), event: z.record(z.string(), z.unknown()) }),
  z.object({ type: z.literal('ack'), requestId: z.string().optional() }),
  z.object({ type: z.literal('error'), requestId: z.string().optional(), problems: z.array(problem) }),
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;
