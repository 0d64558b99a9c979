/**
 * Graph files for the desktop app: Open / Save / Save As / Import / Export dialogs, the recent
 * list, the bundled templates, and the grant set. The renderer may read or write a path only
 * once the user (a dialog), the OS / command line, or the recent list has handed it to the app;
 * any other path it names is refused (read) or goes through a Save As dialog (save).
 *
 * Saving parses the text with the engine's parseGraph and writes it with saveGraph, so a saved
 * file is byte for byte the canonical text `rlc run` executes, written atomically; a malformed
 * document is refused with the parser's message and the file on disk is left untouched.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { OpenDialogOptions, OpenDialogReturnValue, SaveDialogOptions, SaveDialogReturnValue } from 'electron';
import { z } from 'zod';
import { writeFileAtomic } from '../engine/atomic.ts';
import { parseGraph, saveGraph } from '../engine/graph/io.ts';
import type { OpenedGraph, SavedGraph, SaveRequest, TemplateInfo } from './desktop-api.ts';
import { GRAPH_EXT } from './open-files.ts';

/** Graph files are small; anything bigger is not one (and would stall the IPC channel). */
export const MAX_GRAPH_BYTES = 16 * 1024 * 1024;
const MAX_RECENT = 10;

/** Electron's `dialog`, the two calls used here (with a parent window: sheets on macOS). */
export interface FileDialogs<W> {
  showOpenDialog(window: W, options: OpenDialogOptions): Promise<OpenDialogReturnValue>;
  showSaveDialog(window: W, options: SaveDialogOptions): Promise<SaveDialogReturnValue>;
}

export interface GraphFilesOptions<W> {
  dialog: FileDialogs<W>;
  platform: NodeJS.Platform;
  /** Where the recent list is kept (under userData). */
  recentFile: string;
  /** The bundled templates (read-only). */
  templatesDir: string;
  /** The first folder dialogs show. */
  documentsDir: string;
  /** Called after the recent list changed (rebuild the menu; macOS: the Dock's recent list). */
  onRecentChanged?: (recent: readonly string[], added?: string) => void;
}

const recentFileSchema = z.object({ recent: z.array(z.string()) });

export class FileAccessError extends Error {
  override name = 'FileAccessError';
}

export class GraphFiles<W> {
  private readonly grants = new Set<string>();
  private recentList: string[];
  private lastDir: string;

  constructor(private readonly options: GraphFilesOptions<W>) {
    this.lastDir = options.documentsDir;
    this.recentList = this.loadRecent();
    for (const path of this.recentList) this.grants.add(path);
  }

  /** Adds a path the user or the OS handed to the app; returns it resolved. */
  grant(path: string): string {
    const full = resolve(path);
    this.grants.add(full);
    return full;
  }

  isGranted(path: string): boolean {
    return isAbsolute(path) && this.grants.has(resolve(path));
  }

  /** Reads a granted graph file (the renderer parses and validates the text). */
  read(path: string): OpenedGraph {
    if (!this.isGranted(path)) {
      throw new FileAccessError(`refused to read '${path}': open it with File → Open first`);
    }
    return this.readText(resolve(path));
  }

  /** A file the OS, the command line or Open Recent handed over: granted, read, remembered. */
  openPath(path: string): OpenedGraph {
    const opened = this.read(this.grant(path));
    this.addRecent(opened.path as string);
    return opened;
  }

  async openDialog(window: W): Promise<OpenedGraph | null> {
    const path = await this.pickFile(window, 'Open Graph');
    return path === null ? null : this.openPath(path);
  }

  /** Import: a graph JSON from anywhere, opened as a new unsaved document (no path, not granted). */
  async importDialog(window: W): Promise<OpenedGraph | null> {
    const path = await this.pickFile(window, 'Import Graph', true);
    if (path === null) return null;
    // Import hands over the text, never the file: later saves must ask for a path.
    const opened = this.readText(path);
    return { path: null, name: opened.name, text: opened.text };
  }

  /**
   * Save / Save As. The text is validated before any dialog, so an invalid document never costs
   * the user a dialog nor touches a file.
   */
  async save(window: W, request: SaveRequest): Promise<SavedGraph | null> {
    const graph = parseForSave(request.text, request.suggestedName ?? request.path ?? 'the document');
    let target = request.path !== null && !request.saveAs && this.isGranted(request.path) ? resolve(request.path) : null;
    if (target === null) {
      const suggested = request.suggestedName ?? (request.path ? basename(request.path) : 'Untitled');
      const startDir = request.path && this.isGranted(request.path) ? dirname(resolve(request.path)) : this.lastDir;
      target = await this.pickSavePath(window, 'Save Graph', join(startDir, withGraphExt(basename(suggested))));
      if (target === null) return null;
    }
    saveGraph(target, graph);
    this.grants.add(target);
    this.lastDir = dirname(target);
    this.addRecent(target);
    return { path: target, name: basename(target) };
  }

  /** Export: writes a copy through a dialog; the document keeps its own path. */
  async exportCopy(window: W, text: string, suggestedName = 'Untitled'): Promise<SavedGraph | null> {
    const graph = parseForSave(text, 'the document');
    const target = await this.pickSavePath(window, 'Export Graph', join(this.lastDir, withGraphExt(basename(suggestedName))));
    if (target === null) return null;
    saveGraph(target, graph);
    this.grants.add(target);
    return { path: target, name: basename(target) };
  }

  /** Recent files that still exist, newest first. */
  recent(): string[] {
    return this.recentList.filter((path) => existsSync(path));
  }

  clearRecent(): void {
    this.recentList = [];
    this.storeRecent();
    this.options.onRecentChanged?.([]);
  }

  listTemplates(): TemplateInfo[] {
    return listGraphFiles(this.options.templatesDir).flatMap((file) => {
      try {
        const graph = parseGraph(readFileSync(join(this.options.templatesDir, file), 'utf8'), file);
        return [{ file, name: graph.meta.name, algorithm: graph.meta.algorithm ?? null, description: graph.meta.description ?? '' }];
      } catch (error) {
        // A broken template must not hide the others; it is a packaging bug, reported once here.
        console.error(`template ${file} skipped: ${message(error)}`);
        return [];
      }
    });
  }

  /** A bundled template, by its name in listTemplates (a relative path inside the templates folder). */
  readTemplate(file: string): OpenedGraph {
    const root = resolve(this.options.templatesDir);
    const full = resolve(root, file);
    const rel = relative(root, full);
    if (!file.endsWith(GRAPH_EXT) || file.includes('\0') || rel.startsWith('..') || isAbsolute(rel) || isAbsolute(file)) {
      throw new FileAccessError(`'${file}' is not a template`);
    }
    if (!existsSync(full) || !statSync(full).isFile()) throw new FileAccessError(`no template '${file}'`);
    return { path: null, name: file, text: readFileSync(full, 'utf8') };
  }

  private async pickFile(window: W, title: string, anyJson = false): Promise<string | null> {
    const result = await this.options.dialog.showOpenDialog(window, {
      title,
      defaultPath: this.lastDir,
      properties: ['openFile'],
      filters: [
        { name: anyJson ? 'Graph JSON' : 'RL Composer graphs', extensions: this.graphExtensions(true) },
        { name: 'All files', extensions: ['*'] },
      ],
    });
    if (result.canceled || result.filePaths.length === 0) return null;
    return resolve(result.filePaths[0]);
  }

  private async pickSavePath(window: W, title: string, defaultPath: string): Promise<string | null> {
    const result = await this.options.dialog.showSaveDialog(window, {
      title,
      defaultPath,
      filters: [{ name: 'RL Composer graph', extensions: this.graphExtensions(false) }],
      properties: ['createDirectory', 'showOverwriteConfirmation'],
    });
    if (result.canceled || !result.filePath) return null;
    const path = resolve(result.filePath);
    if (/\.json$/i.test(path)) return path;
    // A name typed without an extension gets ours. The dialog confirmed overwriting the name it
    // saw, not this one: if that exists, ask again showing it.
    const withExt = `${path}${GRAPH_EXT}`;
    return existsSync(withExt) ? this.pickSavePath(window, title, withExt) : withExt;
  }

  private readText(full: string): OpenedGraph {
    let size: number;
    try {
      const info = statSync(full);
      if (!info.isFile()) throw new FileAccessError(`'${full}' is not a file`);
      size = info.size;
    } catch (error) {
      if (error instanceof FileAccessError) throw error;
      throw new FileAccessError(`cannot open '${full}': ${message(error)}`);
    }
    if (size > MAX_GRAPH_BYTES) throw new FileAccessError(`'${full}' is too large for a graph file (${size} bytes)`);
    const text = readFileSync(full, 'utf8');
    this.lastDir = dirname(full);
    return { path: full, name: basename(full), text };
  }

  /**
   * Dialog filters take single extensions on macOS (a two-part "rlgraph.json" matches nothing
   * there), so macOS filters on json; Windows and Linux match the full `*.rlgraph.json`.
   */
  private graphExtensions(open: boolean): string[] {
    if (this.options.platform === 'darwin') return ['json'];
    return open ? ['rlgraph.json', 'json'] : ['rlgraph.json'];
  }

  private addRecent(path: string): void {
    this.recentList = [path, ...this.recentList.filter((p) => p !== path)].slice(0, MAX_RECENT);
    this.storeRecent();
    this.options.onRecentChanged?.(this.recentList, path);
  }

  private loadRecent(): string[] {
    try {
      const parsed = recentFileSchema.safeParse(JSON.parse(readFileSync(this.options.recentFile, 'utf8')));
      if (!parsed.success) return [];
      return parsed.data.recent.filter((p) => isAbsolute(p) && !p.includes('\0')).slice(0, MAX_RECENT);
    } catch {
      return [];
    }
  }

  private storeRecent(): void {
    try {
      mkdirSync(dirname(this.options.recentFile), { recursive: true });
      writeFileAtomic(this.options.recentFile, `${JSON.stringify({ recent: this.recentList }, null, 2)}\n`);
    } catch (error) {
      console.error(`cannot store the recent list: ${message(error)}`);
    }
  }
}

/** Parses for saving; the error names the document and what is wrong with it. */
function parseForSave(text: string, source: string): ReturnType<typeof parseGraph> {
  try {
    return parseGraph(text, source);
  } catch (error) {
    throw new Error(`Not saved: ${message(error)}`);
  }
}

function withGraphExt(name: string): string {
  return name.endsWith(GRAPH_EXT) ? name : `${name.replace(/\.json$/i, '')}${GRAPH_EXT}`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Graph files under a folder (two levels deep), as sorted '/'-separated relative paths. */
export function listGraphFiles(root: string, dir = root, depth = 0): string[] {
  if (depth > 2 || !existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listGraphFiles(root, full, depth + 1));
    else if (entry.name.endsWith(GRAPH_EXT)) out.push(relative(root, full).split(sep).join('/'));
  }
  return out.sort();
}

/**
 * The bundled templates: `<resources>/templates` in a packaged app; in development the repo's
 * templates/ folder, found upwards from the app path or the built main script's folder.
 */
export function resolveTemplatesDir(options: { isPackaged: boolean; resourcesPath: string; appPath: string; here: string }): string {
  if (options.isPackaged) return join(options.resourcesPath, 'templates');
  for (const start of [options.appPath, options.here]) {
    let dir = resolve(start);
    for (;;) {
      const candidate = join(dir, 'templates');
      if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return candidate;
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return join(options.appPath, 'templates');
}
