/**
 * Window size and position, remembered between sessions in `<userData>/window-state.json` and
 * restored onto a display that is still there: a window saved on a monitor since unplugged, or
 * larger than the screen it lands on, is moved and shrunk to be fully visible.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../engine/atomic.ts';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  bounds: Rect;
  maximized: boolean;
  fullScreen: boolean;
}

/** What is needed of a display (Electron's Display fits). */
export interface DisplayArea {
  workArea: Rect;
}

/** What is needed of a window to capture its state (Electron's BrowserWindow fits). */
export interface MeasuredWindow {
  getNormalBounds(): Rect;
  isMaximized(): boolean;
  isFullScreen(): boolean;
}

export const DEFAULT_SIZE = { width: 1280, height: 800 };
const MIN_SIZE = { width: 720, height: 480 };
/** How much of a window must overlap a display for it to count as "on" it (a grabbable title bar). */
const MIN_VISIBLE = { width: 160, height: 60 };

const stateSchema = z.object({
  bounds: z.object({ x: z.number().finite(), y: z.number().finite(), width: z.number().finite(), height: z.number().finite() }),
  maximized: z.boolean(),
  fullScreen: z.boolean(),
});

export function loadWindowState(file: string): WindowState | null {
  try {
    const parsed = stateSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function saveWindowState(file: string, state: WindowState): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`);
}

/** The restorable state of a window: its normal (un-maximized) bounds plus the flags. */
export function captureWindowState(window: MeasuredWindow): WindowState {
  return { bounds: window.getNormalBounds(), maximized: window.isMaximized(), fullScreen: window.isFullScreen() };
}

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return { width: Math.max(0, width), height: Math.max(0, height) };
}

function centred(size: { width: number; height: number }, area: Rect): Rect {
  const width = Math.min(size.width, area.width);
  const height = Math.min(size.height, area.height);
  return {
    x: Math.round(area.x + (area.width - width) / 2),
    y: Math.round(area.y + (area.height - height) / 2),
    width,
    height,
  };
}

/**
 * Bounds for a window, fully inside a display's work area. Saved bounds stay on the display they
 * overlap most, moved and shrunk only as needed; bounds that no display shows enough of (and no
 * saved bounds at all) are centred on the primary display.
 */
export function clampToDisplays(saved: Rect | null, displays: readonly DisplayArea[], primary: DisplayArea): Rect {
  if (!saved) return centred(DEFAULT_SIZE, primary.workArea);
  let best: DisplayArea | null = null;
  let bestArea = 0;
  for (const display of displays) {
    const o = overlap(saved, display.workArea);
    if (o.width >= Math.min(MIN_VISIBLE.width, saved.width) && o.height >= Math.min(MIN_VISIBLE.height, saved.height) && o.width * o.height > bestArea) {
      best = display;
      bestArea = o.width * o.height;
    }
  }
  const size = { width: Math.max(MIN_SIZE.width, Math.round(saved.width)), height: Math.max(MIN_SIZE.height, Math.round(saved.height)) };
  if (!best) return centred(size, primary.workArea);
  const area = best.workArea;
  const width = Math.min(size.width, area.width);
  const height = Math.min(size.height, area.height);
  return {
    x: Math.round(Math.min(Math.max(saved.x, area.x), area.x + area.width - width)),
    y: Math.round(Math.min(Math.max(saved.y, area.y), area.y + area.height - height)),
    width,
    height,
  };
}

/** A further window opens offset from the last one (like stacked documents), still on screen. */
export function cascade(from: Rect, displays: readonly DisplayArea[], primary: DisplayArea, step = 28): Rect {
  const moved = { ...from, x: from.x + step, y: from.y + step };
  const clamped = clampToDisplays(moved, displays, primary);
  // At the display's edge the offset would vanish: start again at its top-left corner.
  if (clamped.x === from.x && clamped.y === from.y) {
    const area = (displays.find((d) => overlap(from, d.workArea).width > 0) ?? primary).workArea;
    return { ...clamped, x: area.x, y: area.y };
  }
  return clamped;
}
