/** Recovery of unsaved work: autosave, offered on the next start, cleared when saved or discarded. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecoveryStore } from '../electron/recovery.ts';

describe('recovery store', () => {
  let dir: string;
  const at = (iso: string) => () => new Date(iso);
  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'rlc-recovery-')), 'recovery');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('autosaves atomically to one file per window, and clears it', () => {
    const store = new RecoveryStore(dir, 'session1', at('2025-01-02T03:04:05.000Z'));
    store.autosave('w1', '{"a":1}', '/docs/a.rlgraph.json');
    store.autosave('w1', '{"a":2}', '/docs/a.rlgraph.json');
    store.autosave('w2', '{"b":1}', null);
    expect(readdirSync(dir).sort()).toEqual(['session1-w1.json', 'session1-w2.json']);
    expect(JSON.parse(readFileSync(join(dir, 'session1-w1.json'), 'utf8'))).toEqual({
      format: 'rl-composer/recovery',
      version: 1,
      text: '{"a":2}',
      savedAt: '2025-01-02T03:04:05.000Z',
      path: '/docs/a.rlgraph.json',
    });
    store.clear('w1');
    store.clear('w1');
    expect(readdirSync(dir)).toEqual(['session1-w2.json']);
    // This session's own files are not offered back to it.
    expect(store.pendingCount).toBe(0);
    expect(store.claim('w3')).toBeNull();
    expect(() => store.autosave('../x', 't', null)).toThrow(/bad recovery key/);
  });

  it('offers what a crashed session left, one per window, oldest first, until discarded', () => {
    const early = new RecoveryStore(dir, 'older', at('2025-01-01T00:00:00.000Z'));
    early.autosave('w1', 'first', null);
    const late = new RecoveryStore(dir, 'old', at('2025-01-03T00:00:00.000Z'));
    late.autosave('w4', 'second', '/docs/b.rlgraph.json');

    const next = new RecoveryStore(dir, 'new');
    expect(next.pendingCount).toBe(2);
    expect(next.claim('w1')).toEqual({ text: 'first', savedAt: '2025-01-01T00:00:00.000Z', path: null });
    // Asking again (a re-render) gets the same offer, not the next one.
    expect(next.claim('w1')).toMatchObject({ text: 'first' });
    expect(next.claim('w2')).toEqual({ text: 'second', savedAt: '2025-01-03T00:00:00.000Z', path: '/docs/b.rlgraph.json' });
    expect(next.claim('w3')).toBeNull();
    expect(next.pendingCount).toBe(0);

    next.discard('w1');
    expect(next.claim('w1')).toBeNull();
    expect(readdirSync(dir)).toEqual(['old-w4.json']);
    // A window closed without deciding hands its offer back.
    next.release('w2');
    expect(next.claim('w5')).toMatchObject({ text: 'second' });
    next.discard('w5');
    expect(readdirSync(dir)).toEqual([]);
    expect(new RecoveryStore(dir, 'newer').pendingCount).toBe(0);
  });

  it('ignores and removes unreadable recovery files', () => {
    new RecoveryStore(dir, 's');
    writeFileSync(join(dir, 'broken-w1.json'), '{"format": "rl-comp');
    writeFileSync(join(dir, 'alien-w1.json'), JSON.stringify({ format: 'other', version: 1, text: 'x', savedAt: 'x', path: null }));
    writeFileSync(join(dir, 'notes.txt'), 'kept');
    const store = new RecoveryStore(dir, 's2');
    expect(store.pendingCount).toBe(0);
    expect(readdirSync(dir)).toEqual(['notes.txt']);
  });
});
