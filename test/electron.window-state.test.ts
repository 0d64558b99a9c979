/** Window size and position: saved, restored, kept on a visible display. */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureWindowState, cascade, clampToDisplays, loadWindowState, saveWindowState } from '../electron/window-state.ts';

const primary = { workArea: { x: 0, y: 25, width: 1920, height: 1055 } };
const right = { workArea: { x: 1920, y: 0, width: 1280, height: 1024 } };
const displays = [primary, right];

describe('window state file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rlc-winstate-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('saves and restores a window’s normal bounds and flags', () => {
    const window = { getNormalBounds: () => ({ x: 100, y: 120, width: 1300, height: 820 }), isMaximized: () => true, isFullScreen: () => false };
    const file = join(dir, 'userData', 'window-state.json');
    saveWindowState(file, captureWindowState(window));
    expect(loadWindowState(file)).toEqual({ bounds: { x: 100, y: 120, width: 1300, height: 820 }, maximized: true, fullScreen: false });
    expect(readdirSync(join(dir, 'userData'))).toEqual(['window-state.json']);
  });

  it('treats a missing or damaged file as no saved state', () => {
    expect(loadWindowState(join(dir, 'none.json'))).toBeNull();
    writeFileSync(join(dir, 'bad.json'), '{"bounds": {"x": "left"}}');
    expect(loadWindowState(join(dir, 'bad.json'))).toBeNull();
    writeFileSync(join(dir, 'trunc.json'), '{"bounds"');
    expect(loadWindowState(join(dir, 'trunc.json'))).toBeNull();
  });
});

describe('clamping to displays', () => {
  it('centres a first window on the primary display', () => {
    expect(clampToDisplays(null, displays, primary)).toEqual({ x: 320, y: 153, width: 1280, height: 800 });
  });

  it('keeps bounds that are fully visible', () => {
    const bounds = { x: 2000, y: 50, width: 1000, height: 700 };
    expect(clampToDisplays(bounds, displays, primary)).toEqual(bounds);
  });

  it('moves a window that hangs off its display back inside', () => {
    expect(clampToDisplays({ x: 1700, y: -40, width: 1000, height: 700 }, [primary], primary)).toEqual({ x: 920, y: 25, width: 1000, height: 700 });
  });

  it('re-centres a window saved on a display that is gone', () => {
    expect(clampToDisplays({ x: 4000, y: 300, width: 1000, height: 700 }, [primary], primary)).toEqual({ x: 460, y: 203, width: 1000, height: 700 });
    // A sliver on screen is not enough to grab it.
    expect(clampToDisplays({ x: 1900, y: 300, width: 1000, height: 700 }, [primary], primary)).toEqual({ x: 460, y: 203, width: 1000, height: 700 });
  });

  it('shrinks a window larger than its display, and enlarges one below the minimum', () => {
    expect(clampToDisplays({ x: 1920, y: 0, width: 3000, height: 2000 }, displays, primary)).toEqual({ ...right.workArea });
    expect(clampToDisplays({ x: 10, y: 40, width: 100, height: 50 }, displays, primary)).toEqual({ x: 10, y: 40, width: 720, height: 480 });
  });

  it('picks the display showing most of a window that spans two', () => {
    expect(clampToDisplays({ x: 1700, y: 100, width: 1000, height: 700 }, displays, primary)).toEqual({ x: 1920, y: 100, width: 1000, height: 700 });
  });

  it('cascades further windows and wraps at the display edge', () => {
    expect(cascade({ x: 100, y: 100, width: 1000, height: 700 }, displays, primary)).toEqual({ x: 128, y: 128, width: 1000, height: 700 });
    expect(cascade({ x: 920, y: 380, width: 1000, height: 700 }, [primary], primary)).toEqual({ x: 0, y: 25, width: 1000, height: 700 });
  });
});
