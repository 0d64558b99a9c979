/**
 * "Do you want to save the changes?" before a window with unsaved changes closes, and before the
 * app quits with such windows open. The window's `close` is cancelled while the user decides;
 * Save asks the editor to save (IPC.closeRequest / closeReply) and closes only if it did;
 * Don't Save closes; Cancel keeps the window (and cancels a quit in progress).
 */

export type CloseChoice = 'save' | 'discard' | 'cancel';

/** What the guard needs of a window (Electron's BrowserWindow fits). */
export interface GuardedWindow {
  on(event: 'close', listener: (event: { preventDefault(): void }) => void): unknown;
  close(): void;
  isDestroyed(): boolean;
}

export interface CloseGuardOptions<W extends GuardedWindow> {
  /** Whether the window's document has unsaved changes (as the editor last reported). */
  isDirty(window: W): boolean;
  /** Shows the Save / Don't Save / Cancel prompt for the window. */
  prompt(window: W): Promise<CloseChoice>;
  /** Asks the editor to save; true when it saved (false: cancelled, failed, or the page is gone). */
  requestSave(window: W): Promise<boolean>;
  /** The user chose Don't Save: the unsaved work is dropped on purpose (clear its recovery file). */
  discarded(window: W): void;
  /** A quit was interrupted by the prompt and the window may now close: quit again. */
  continueQuit(): void;
}

/** The message box for the prompt, in Electron's MessageBoxOptions shape. Button order = CloseChoice order. */
export function closePromptOptions(documentTitle: string, platform: NodeJS.Platform) {
  return {
    type: 'warning' as const,
    buttons: ['Save', platform === 'darwin' ? "Don't Save" : "Do&n't Save", 'Cancel'],
    defaultId: 0,
    cancelId: 2,
    noLink: true,
    normalizeAccessKeys: true,
    message: `Do you want to save the changes you made to “${documentTitle}”?`,
    detail: "Your changes will be lost if you don't save them.",
  };
}

export function choiceFromResponse(response: number): CloseChoice {
  return response === 0 ? 'save' : response === 1 ? 'discard' : 'cancel';
}

export class CloseGuard<W extends GuardedWindow> {
  /** Windows allowed to close without asking (already decided). */
  private readonly allowed = new WeakSet<W>();
  private prompting: W | null = null;
  private quitting = false;

  constructor(private readonly options: CloseGuardOptions<W>) {}

  /** Called on the app's `before-quit`: windows will be asked to close, one prompt at a time. */
  beginQuit(): void {
    this.quitting = true;
  }

  get isQuitting(): boolean {
    return this.quitting;
  }

  /** Closes without asking from now on (e.g. its page crashed: nothing can be saved from it). */
  allow(window: W): void {
    this.allowed.add(window);
  }

  watch(window: W): void {
    window.on('close', (event) => {
      if (this.allowed.has(window) || !this.options.isDirty(window)) return;
      event.preventDefault();
      // One prompt at a time; while quitting, the next app.quit() comes back for this window.
      if (this.prompting !== null) return;
      this.prompting = window;
      void this.decide(window).finally(() => {
        this.prompting = null;
      });
    });
  }

  private async decide(window: W): Promise<void> {
    let mayClose = false;
    try {
      const choice = await this.options.prompt(window);
      if (choice === 'discard') {
        this.options.discarded(window);
        mayClose = true;
      } else if (choice === 'save') {
        mayClose = await this.options.requestSave(window);
      }
    } catch (error) {
      console.error(`close prompt failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!mayClose) {
      this.quitting = false;
      return;
    }
    this.allowed.add(window);
    if (!window.isDestroyed()) window.close();
    if (this.quitting) this.options.continueQuit();
  }
}
