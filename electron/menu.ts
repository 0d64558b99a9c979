/**
 * The application menu as a template (for `Menu.buildFromTemplate`), built from the platform and
 * the app's state. Items that act on the document send a MenuCommand (their `id`) to the focused
 * window through `send`; window-level items (full screen, devtools, quit, the macOS app menu) use
 * Electron's roles so they behave natively.
 */
import { basename } from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from './desktop-api.ts';

export interface MenuOptions {
  platform: NodeJS.Platform;
  appName: string;
  /** Development build: adds Reload and Toggle Developer Tools. */
  isDev: boolean;
  /** Recent files, newest first. */
  recent: readonly string[];
  send(command: MenuCommand): void;
  openRecent(path: string): void;
  clearRecent(): void;
}

/**
 * Shortcuts per platform. Run follows each platform's IDE habits: Xcode's on macOS (⌘R run,
 * ⌃⌘Y pause, F6 step, ⌘. stop), Visual Studio's elsewhere (F5, F6, F10, Shift+F5). Redo is
 * Ctrl+Y on Windows and Shift+Cmd/Ctrl+Z on macOS and Linux.
 */
export function accelerators(platform: NodeJS.Platform): Partial<Record<MenuCommand, string>> {
  const mac = platform === 'darwin';
  return {
    'file.new': 'CmdOrCtrl+N',
    'file.open': 'CmdOrCtrl+O',
    'file.save': 'CmdOrCtrl+S',
    'file.saveAs': 'Shift+CmdOrCtrl+S',
    'file.close': 'CmdOrCtrl+W',
    'edit.undo': 'CmdOrCtrl+Z',
    'edit.redo': platform === 'win32' ? 'Ctrl+Y' : 'Shift+CmdOrCtrl+Z',
    'edit.cut': 'CmdOrCtrl+X',
    'edit.copy': 'CmdOrCtrl+C',
    'edit.paste': 'CmdOrCtrl+V',
    'edit.selectAll': 'CmdOrCtrl+A',
    'view.fit': 'CmdOrCtrl+0',
    'view.zoomIn': 'CmdOrCtrl+=',
    'view.zoomOut': 'CmdOrCtrl+-',
    'view.togglePalette': 'CmdOrCtrl+B',
    'run.start': mac ? 'Cmd+R' : 'F5',
    'run.pause': mac ? 'Ctrl+Cmd+Y' : 'F6',
    'run.step': mac ? 'F6' : 'F10',
    'run.stop': mac ? 'Cmd+.' : 'Shift+F5',
    'help.blockDocs': 'F1',
  };
}

const separator: MenuItemConstructorOptions = { type: 'separator' };

export function buildMenuTemplate(options: MenuOptions): MenuItemConstructorOptions[] {
  const mac = options.platform === 'darwin';
  const keys = accelerators(options.platform);
  // '&' marks an Alt-key mnemonic on Windows and Linux; macOS has none, so it is left out there.
  const top = (label: string) => (mac ? label.replace('&', '') : label);
  const item = (command: MenuCommand, label: string): MenuItemConstructorOptions => ({
    id: command,
    label,
    ...(keys[command] ? { accelerator: keys[command] } : {}),
    click: () => options.send(command),
  });

  const recentItems: MenuItemConstructorOptions[] = options.recent.map((path, index) => ({
    id: `file.recent.${index}`,
    // The name first so it can be found at a glance; the folder tells same-named files apart.
    label: `${basename(path)} — ${path}`,
    click: () => options.openRecent(path),
  }));
  const openRecent: MenuItemConstructorOptions = {
    id: 'file.openRecent',
    label: 'Open Recent',
    submenu: [
      ...(recentItems.length > 0 ? recentItems : [{ id: 'file.recent.none', label: 'No Recent Files', enabled: false }]),
      separator,
      { id: 'file.clearRecent', label: 'Clear Recently Opened', enabled: recentItems.length > 0, click: () => options.clearRecent() },
    ],
  };

  const about = item('help.about', `About ${options.appName}`);
  const appMenu: MenuItemConstructorOptions = {
    id: 'app',
    label: options.appName,
    submenu: [
      about,
      separator,
      { role: 'services' },
      separator,
      { role: 'hide' },
      { role: 'hideOthers' },
      { role: 'unhide' },
      separator,
      { role: 'quit' },
    ],
  };

  const file: MenuItemConstructorOptions = {
    id: 'file',
    label: top('&File'),
    submenu: [
      item('file.new', 'New'),
      item('file.open', 'Open…'),
      openRecent,
      separator,
      item('file.save', 'Save'),
      item('file.saveAs', 'Save As…'),
      separator,
      item('file.import', 'Import…'),
      item('file.export', 'Export…'),
      separator,
      item('file.close', mac ? 'Close Window' : 'Close'),
      ...(mac ? [] : [separator, { role: 'quit', label: 'E&xit' } satisfies MenuItemConstructorOptions]),
    ],
  };

  const edit: MenuItemConstructorOptions = {
    id: 'edit',
    label: top('&Edit'),
    submenu: [
      item('edit.undo', 'Undo'),
      item('edit.redo', 'Redo'),
      separator,
      item('edit.cut', 'Cut'),
      item('edit.copy', 'Copy'),
      item('edit.paste', 'Paste'),
      separator,
      item('edit.selectAll', 'Select All'),
    ],
  };

  const view: MenuItemConstructorOptions = {
    id: 'view',
    label: top('&View'),
    submenu: [
      item('view.fit', 'Fit to Window'),
      item('view.zoomIn', 'Zoom In'),
      item('view.zoomOut', 'Zoom Out'),
      separator,
      item('view.toggleTheme', 'Toggle Light/Dark Theme'),
      item('view.togglePalette', 'Toggle Block Palette'),
      separator,
      ...(options.isDev
        ? ([{ role: 'reload' }, { role: 'toggleDevTools' }, separator] satisfies MenuItemConstructorOptions[])
        : []),
      { role: 'togglefullscreen' },
    ],
  };

  const run: MenuItemConstructorOptions = {
    id: 'run',
    label: top('&Run'),
    submenu: [item('run.start', 'Start'), item('run.pause', 'Pause'), item('run.step', 'Step One Iteration'), item('run.stop', 'Stop')],
  };

  const help: MenuItemConstructorOptions = {
    id: 'help',
    label: top('&Help'),
    // On macOS the 'help' role adds the menu search field; About lives in the app menu there.
    ...(mac ? { role: 'help' as const } : {}),
    submenu: [item('help.blockDocs', 'Block Documentation'), ...(mac ? [] : [separator, about])],
  };

  const windowMenu: MenuItemConstructorOptions = { id: 'window', role: 'windowMenu' };

  return mac ? [appMenu, file, edit, view, run, windowMenu, help] : [file, edit, view, run, help];
}
