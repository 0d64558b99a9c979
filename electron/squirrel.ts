/**
 * Windows installer events. Squirrel.Windows (Forge's squirrel maker) runs the app once with
 * `--squirrel-install`, `--squirrel-updated`, `--squirrel-uninstall` or `--squirrel-obsolete`
 * around an install; the app must create or remove its shortcuts with Update.exe and quit at once
 * instead of opening a window.
 */
import { win32 } from 'node:path';

export interface SquirrelContext {
  platform: NodeJS.Platform;
  argv: readonly string[];
  execPath: string;
  /** Starts Update.exe detached (the installer waits for it, not for us). */
  spawnDetached(command: string, args: string[]): void;
}

/** Handles a Squirrel event if there is one; returns true when the app must quit now. */
export function handleSquirrelEvent(context: SquirrelContext): boolean {
  if (context.platform !== 'win32') return false;
  const event = context.argv[1];
  if (!event?.startsWith('--squirrel-')) return false;
  // Windows paths whatever the host (the tests run on Linux). Update.exe sits one folder above the versioned app folder (app-x.y.z\RL Composer.exe).
  const updateExe = win32.resolve(context.execPath, '..', '..', 'Update.exe');
  const exeName = win32.basename(context.execPath);
  switch (event) {
    case '--squirrel-install':
    case '--squirrel-updated':
      context.spawnDetached(updateExe, [`--createShortcut=${exeName}`]);
      return true;
    case '--squirrel-uninstall':
      context.spawnDetached(updateExe, [`--removeShortcut=${exeName}`]);
      return true;
    case '--squirrel-obsolete':
      return true; // an old version being replaced: just quit
    default:
      return false; // e.g. --squirrel-firstrun: start normally
  }
}
