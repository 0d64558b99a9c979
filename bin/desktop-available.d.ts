// Types for bin/desktop-available.js (plain JavaScript so that `npm start` needs no compiler).
export declare const ROOT: string;
export declare const MAIN_ENTRY: string;
export declare const PRODUCT_NAME: string;
export type DesktopAvailability = { ok: true; electron: string; forgeCli: string } | { ok: false; reason: string };
export declare function desktopAvailability(options?: {
  root?: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}): DesktopAvailability;
export declare function fallbackMessage(reason: string): string;
