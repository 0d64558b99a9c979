/** The unsaved-changes prompt on close and quit: Save / Don't Save / Cancel. */
import { describe, expect, it, vi } from 'vitest';
import { choiceFromResponse, type CloseChoice, CloseGuard, closePromptOptions, type GuardedWindow } from '../electron/close-guard.ts';

class FakeWindow implements GuardedWindow {
  private listeners: ((event: { preventDefault(): void }) => void)[] = [];
  destroyed = false;
  dirty = false;
  /** Like BrowserWindow.close(): emits 'close'; closes unless prevented. */
  close(): void {
    let prevented = false;
    for (const l of this.listeners) l({ preventDefault: () => (prevented = true) });
    if (!prevented) this.destroyed = true;
  }
  on(_event: 'close', listener: (event: { preventDefault(): void }) => void) {
    this.listeners.push(listener);
    return this;
  }
  isDestroyed() {
    return this.destroyed;
  }
}

function setup(choice: CloseChoice | (() => Promise<CloseChoice>), saved = true) {
  const prompts: FakeWindow[] = [];
  const options = {
    isDirty: (w: FakeWindow) => w.dirty,
    prompt: vi.fn(async (w: FakeWindow) => {
      prompts.push(w);
      return typeof choice === 'function' ? choice() : choice;
    }),
    requestSave: vi.fn(async () => saved),
    discarded: vi.fn(),
    continueQuit: vi.fn(),
  };
  const guard = new CloseGuard<FakeWindow>(options);
  return { guard, options, prompts };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('close guard', () => {
  it('closes a clean window without asking', () => {
    const { guard, options } = setup('cancel');
    const w = new FakeWindow();
    guard.watch(w);
    w.close();
    expect(w.destroyed).toBe(true);
    expect(options.prompt).not.toHaveBeenCalled();
  });

  it('Save: asks the editor to save, then closes', async () => {
    const { guard, options } = setup('save', true);
    const w = Object.assign(new FakeWindow(), { dirty: true });
    guard.watch(w);
    w.close();
    expect(w.destroyed).toBe(false);
    await settle();
    expect(options.requestSave).toHaveBeenCalledWith(w);
    expect(options.discarded).not.toHaveBeenCalled();
    expect(w.destroyed).toBe(true);
  });

  it('Save that was cancelled or failed: the window stays', async () => {
    const { guard, options } = setup('save', false);
    const w = Object.assign(new FakeWindow(), { dirty: true });
    guard.watch(w);
    w.close();
    await settle();
    expect(options.requestSave).toHaveBeenCalled();
    expect(w.destroyed).toBe(false);
    // Asked again on the next close.
    w.close();
    await settle();
    expect(options.prompt).toHaveBeenCalledTimes(2);
  });

  it("Don't Save: drops the work (recovery) and closes", async () => {
    const { guard, options } = setup('discard');
    const w = Object.assign(new FakeWindow(), { dirty: true });
    guard.watch(w);
    w.close();
    await settle();
    expect(options.discarded).toHaveBeenCalledWith(w);
    expect(options.requestSave).not.toHaveBeenCalled();
    expect(w.destroyed).toBe(true);
  });

  it('Cancel: the window stays and nothing is saved or dropped', async () => {
    const { guard, options } = setup('cancel');
    const w = Object.assign(new FakeWindow(), { dirty: true });
    guard.watch(w);
    w.close();
    await settle();
    expect(w.destroyed).toBe(false);
    expect(options.requestSave).not.toHaveBeenCalled();
    expect(options.discarded).not.toHaveBeenCalled();
  });

  it('shows one prompt at a time', async () => {
    let answer: (c: CloseChoice) => void = () => {};
    const { guard, options } = setup(() => new Promise<CloseChoice>((r) => (answer = r)));
    const w = Object.assign(new FakeWindow(), { dirty: true });
    guard.watch(w);
    w.close();
    w.close();
    await settle();
    expect(options.prompt).toHaveBeenCalledTimes(1);
    answer('discard');
    await settle();
    expect(w.destroyed).toBe(true);
  });

  it('quit: resumes quitting after a decision, stops quitting on Cancel', async () => {
    const { guard, options } = setup('discard');
    const w = Object.assign(new FakeWindow(), { dirty: true });
    guard.watch(w);
    guard.beginQuit();
    w.close();
    await settle();
    expect(options.continueQuit).toHaveBeenCalledTimes(1);

    const cancelling = setup('cancel');
    const v = Object.assign(new FakeWindow(), { dirty: true });
    cancelling.guard.watch(v);
    cancelling.guard.beginQuit();
    v.close();
    await settle();
    expect(cancelling.guard.isQuitting).toBe(false);
    expect(cancelling.options.continueQuit).not.toHaveBeenCalled();
  });

  it('lets a window whose page crashed close without asking', () => {
    const { guard, options } = setup('cancel');
    const w = Object.assign(new FakeWindow(), { dirty: true });
    guard.watch(w);
    guard.allow(w);
    w.close();
    expect(w.destroyed).toBe(true);
    expect(options.prompt).not.toHaveBeenCalled();
  });

  it('builds the native prompt: Save / Don’t Save / Cancel, Cancel on Esc', () => {
    const mac = closePromptOptions('ppo.rlgraph.json', 'darwin');
    expect(mac).toMatchObject({ type: 'warning', buttons: ['Save', "Don't Save", 'Cancel'], defaultId: 0, cancelId: 2 });
    expect(mac.message).toContain('ppo.rlgraph.json');
    expect(closePromptOptions('x', 'win32').buttons).toEqual(['Save', "Do&n't Save", 'Cancel']);
    expect([0, 1, 2].map(choiceFromResponse)).toEqual(['save', 'discard', 'cancel']);
  });
});
