/**
 * Crash recovery. Each window's unsaved document is autosaved (atomically) to its own file under
 * `<userData>/recovery/`, named by this session and the window. The file is removed when the
 * document is saved, becomes clean, or its window is closed without saving; so whatever files
 * a session leaves behind are work lost to a crash or a forced quit, offered on the next start.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../engine/atomic.ts';
import type { Recovery } from './desktop-api.ts';

const FORMAT = 'rl-composer/recovery';
const recoverySchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(1),
  text: z.string(),
  savedAt: z.string(),
  path: z.string().nullable(),
});

export class RecoveryStore {
  /** Recoveries left by earlier sessions, oldest first, not yet claimed by a window. */
  private readonly unclaimed: { file: string; recovery: Recovery }[] = [];
  /** Window key → the earlier session's recovery it was offered. */
  private readonly claimed = new Map<string, { file: string; recovery: Recovery }>();

  constructor(
    private readonly dir: string,
    private readonly session: string = randomUUID(),
    private readonly now: () => Date = () => new Date(),
  ) {
    mkdirSync(dir, { recursive: true });
    const found: { file: string; recovery: Recovery }[] = [];
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.json') || name.startsWith(`${session}-`)) continue;
      const file = join(dir, name);
      try {
        const parsed = recoverySchema.parse(JSON.parse(readFileSync(file, 'utf8')));
        found.push({ file, recovery: { text: parsed.text, savedAt: parsed.savedAt, path: parsed.path } });
      } catch {
        rmSync(file, { force: true }); // unreadable: nothing to offer
      }
    }
    found.sort((a, b) => a.recovery.savedAt.localeCompare(b.recovery.savedAt));
    this.unclaimed.push(...found);
  }

  /** How many earlier recoveries are waiting for a window (the app opens that many at start). */
  get pendingCount(): number {
    return this.unclaimed.length;
  }

  /** Writes a window's unsaved document. */
  autosave(key: string, text: string, path: string | null): void {
    const body = { format: FORMAT, version: 1, text, savedAt: this.now().toISOString(), path };
    writeFileAtomic(this.fileFor(key), `${JSON.stringify(body)}\n`);
  }

  /** The window's document was saved, became clean, or was closed without saving. */
  clear(key: string): void {
    rmSync(this.fileFor(key), { force: true });
  }

  /** The recovery offered to this window: the same one on every call, until discarded. */
  claim(key: string): Recovery | null {
    const mine = this.claimed.get(key);
    if (mine) return mine.recovery;
    const next = this.unclaimed.shift();
    if (!next) return null;
    this.claimed.set(key, next);
    return next.recovery;
  }

  /** The window restored or declined its recovery: forget it. */
  discard(key: string): void {
    const mine = this.claimed.get(key);
    if (!mine) return;
    this.claimed.delete(key);
    rmSync(mine.file, { force: true });
  }

  /** A window closed without deciding: its claimed recovery goes back for the next window or start. */
  release(key: string): void {
    const mine = this.claimed.get(key);
    if (!mine) return;
    this.claimed.delete(key);
    this.unclaimed.unshift(mine);
  }

  private fileFor(key: string): string {
    if (!/^[\w-]+$/.test(key)) throw new Error(`bad recovery key '${key}'`);
    return join(this.dir, `${this.session}-${key}.json`);
  }
}
