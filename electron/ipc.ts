/**
 * The main process's IPC surface: one handler per channel of desktop-api.ts. Every message is
 * checked before anything runs: it must come from the top frame of the app's own page in one of
 * the app's windows, and its arguments must match the channel's zod schema exactly (no extra
 * arguments, no unknown keys, bounded sizes). Refusals reject the renderer's `invoke` with a
 * message naming the channel; fire-and-forget messages that fail the checks are dropped.
 */
import { z } from 'zod';
import {
  IPC,
  type DesktopInfo,
  type DocumentState,
  type NativeEditAction,
  type OpenedGraph,
  type Recovery,
  type SavedGraph,
  type SaveRequest,
  type TemplateInfo,
} from './desktop-api.ts';
import { MAX_GRAPH_BYTES } from './files.ts';
import type { SenderFrame } from './security.ts';

/** An IPC event, the parts used (Electron's IpcMainEvent / IpcMainInvokeEvent fit). */
export interface IpcEventLike {
  readonly sender: { readonly id: number };
  readonly senderFrame: SenderFrame | null;
}

/** Electron's ipcMain, the parts used. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => unknown): void;
  on(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => void): unknown;
}

/** What the handlers do, per window `W`; main.ts implements it with the other modules. */
export interface DesktopServices<W> {
  info(): DesktopInfo;
  listTemplates(): TemplateInfo[];
  readTemplate(file: string): OpenedGraph;
  openDialog(window: W): Promise<OpenedGraph | null>;
  readFile(path: string): OpenedGraph;
  save(window: W, request: SaveRequest): Promise<SavedGraph | null>;
  exportCopy(window: W, text: string): Promise<SavedGraph | null>;
  importDialog(window: W): Promise<OpenedGraph | null>;
  recent(): string[];
  documentState(window: W, state: DocumentState): void;
  autosave(window: W, text: string): void;
  recoveryPending(window: W): Recovery | null;
  recoveryDiscard(window: W): void;
  restartEngine(): void;
  connectEngine(window: W): void;
  closeReply(window: W, saved: boolean): void;
  nativeEdit(window: W, action: NativeEditAction): void;
}

const MAX_PATH = 4096;
const pathSchema = z
  .string()
  .min(1)
  .max(MAX_PATH)
  .refine((p) => !p.includes('\0'), 'a path cannot contain NUL');
const textSchema = z.string().max(MAX_GRAPH_BYTES);
const nameSchema = z.string().min(1).max(255);

export const saveRequestSchema = z
  .object({ path: pathSchema.nullable(), text: textSchema, saveAs: z.boolean().optional(), suggestedName: nameSchema.optional() })
  .strict();

export const documentStateSchema = z
  .object({ dirty: z.boolean(), title: z.string().max(500), path: pathSchema.nullable(), selectedBlockType: z.string().max(200).nullable() })
  .strict();

const nativeEditSchema = z.enum(['undo', 'redo', 'cut', 'copy', 'paste', 'selectAll'] satisfies NativeEditAction[]);

/** Argument lists per channel: a tuple rejects missing and extra arguments alike. */
export const argumentSchemas = {
  [IPC.info]: z.tuple([]),
  [IPC.listTemplates]: z.tuple([]),
  [IPC.readTemplate]: z.tuple([pathSchema]),
  [IPC.openDialog]: z.tuple([]),
  [IPC.readFile]: z.tuple([pathSchema]),
  [IPC.save]: z.tuple([saveRequestSchema]),
  [IPC.exportCopy]: z.tuple([textSchema]),
  [IPC.importDialog]: z.tuple([]),
  [IPC.recent]: z.tuple([]),
  [IPC.documentState]: z.tuple([documentStateSchema]),
  [IPC.autosave]: z.tuple([textSchema]),
  [IPC.recoveryPending]: z.tuple([]),
  [IPC.recoveryDiscard]: z.tuple([]),
  [IPC.restartEngine]: z.tuple([]),
  [IPC.connectEngine]: z.tuple([]),
  [IPC.closeReply]: z.tuple([z.boolean()]),
  [IPC.nativeEdit]: z.tuple([nativeEditSchema]),
} as const;

type Schemas = typeof argumentSchemas;
type Channel = keyof Schemas;
type Args<C extends Channel> = z.infer<Schemas[C]>;

export class IpcRefusal extends Error {
  override name = 'IpcRefusal';
}

export interface IpcOptions<W> {
  ipcMain: IpcMainLike;
  services: DesktopServices<W>;
  /** The sender frame is the app's own page (security.ts isTrustedSender). */
  isTrustedFrame(frame: SenderFrame | null): boolean;
  /** The app window whose page sent the message (undefined: not one of ours). */
  windowFor(sender: { id: number }): W | undefined;
  log?(message: string): void;
}

export function registerIpcHandlers<W>(options: IpcOptions<W>): void {
  const { ipcMain, services } = options;
  const log = options.log ?? ((message: string) => console.warn(message));

  /** Checks sender and arguments; returns the window and parsed arguments, or throws IpcRefusal. */
  const check = <C extends Channel>(channel: C, event: IpcEventLike, args: unknown[]): { window: W; args: Args<C> } => {
    if (!options.isTrustedFrame(event.senderFrame)) throw new IpcRefusal(`${channel}: refused: the sender is not the app's own page`);
    const window = options.windowFor(event.sender);
    if (window === undefined) throw new IpcRefusal(`${channel}: refused: the sender is not an app window`);
    const parsed = argumentSchemas[channel].safeParse(args);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue.path.length > 0 ? `argument ${issue.path.join('.')}: ` : '';
      throw new IpcRefusal(`${channel}: invalid arguments: ${where}${issue.message}`);
    }
    return { window, args: parsed.data as Args<C> };
  };

  const handle = <C extends Channel>(channel: C, run: (window: W, args: Args<C>) => unknown) => {
    ipcMain.handle(channel, (event, ...args) => {
      const checked = check(channel, event, args);
      return run(checked.window, checked.args);
    });
  };

  const listen = <C extends Channel>(channel: C, run: (window: W, args: Args<C>) => void) => {
    ipcMain.on(channel, (event, ...args) => {
      try {
        const checked = check(channel, event, args);
        run(checked.window, checked.args);
      } catch (error) {
        log(error instanceof Error ? error.message : String(error));
      }
    });
  };

  handle(IPC.info, () => services.info());
  handle(IPC.listTemplates, () => services.listTemplates());
  handle(IPC.readTemplate, (_w, [file]) => services.readTemplate(file));
  handle(IPC.openDialog, (w) => services.openDialog(w));
  handle(IPC.readFile, (_w, [path]) => services.readFile(path));
  handle(IPC.save, (w, [request]) => services.save(w, request));
  handle(IPC.exportCopy, (w, [text]) => services.exportCopy(w, text));
  handle(IPC.importDialog, (w) => services.importDialog(w));
  handle(IPC.recent, () => services.recent());
  handle(IPC.autosave, (w, [text]) => services.autosave(w, text));
  handle(IPC.recoveryPending, (w) => services.recoveryPending(w));
  handle(IPC.recoveryDiscard, (w) => services.recoveryDiscard(w));
  handle(IPC.restartEngine, () => services.restartEngine());
  listen(IPC.documentState, (w, [state]) => services.documentState(w, state));
  listen(IPC.connectEngine, (w) => services.connectEngine(w));
  listen(IPC.closeReply, (w, [saved]) => services.closeReply(w, saved));
  listen(IPC.nativeEdit, (w, [action]) => services.nativeEdit(w, action));
}
