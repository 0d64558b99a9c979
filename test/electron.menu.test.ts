/** The application menu template: items, accelerators per platform, commands sent, recent list, macOS app menu. */
import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import { MENU_COMMANDS, type MenuCommand } from '../electron/desktop-api.ts';
import { buildMenuTemplate, type MenuOptions } from '../electron/menu.ts';

function build(overrides: Partial<MenuOptions> = {}) {
  const sent: MenuCommand[] = [];
  const opened: string[] = [];
  let cleared = 0;
  const template = buildMenuTemplate({
    platform: 'linux',
    appName: 'RL Composer',
    isDev: false,
    recent: [],
    send: (c) => sent.push(c),
    openRecent: (p) => opened.push(p),
    clearRecent: () => cleared++,
    ...overrides,
  });
  return { template, sent, opened, cleared: () => cleared };
}

function flatten(items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((item) => [item, ...(Array.isArray(item.submenu) ? flatten(item.submenu as MenuItemConstructorOptions[]) : [])]);
}

function find(items: MenuItemConstructorOptions[], id: string): MenuItemConstructorOptions {
  const item = flatten(items).find((i) => i.id === id);
  if (!item) throw new Error(`no menu item ${id}`);
  return item;
}

const click = (item: MenuItemConstructorOptions) => (item.click as () => void)();
const submenu = (item: MenuItemConstructorOptions) => item.submenu as MenuItemConstructorOptions[];

describe('menu template', () => {
  it('has File, Edit, View, Run, Help on Windows and Linux, with About and Exit', () => {
    for (const platform of ['win32', 'linux'] as const) {
      const { template } = build({ platform });
      expect(template.map((m) => m.label)).toEqual(['&File', '&Edit', '&View', '&Run', '&Help']);
      expect(submenu(template[0]).at(-1)).toMatchObject({ role: 'quit' });
      expect(find(template, 'help.about').label).toBe('About RL Composer');
      expect(flatten(template).some((i) => i.role === 'services' || i.role === 'hide')).toBe(false);
    }
  });

  it('has the macOS app menu and Window menu; About moves to the app menu', () => {
    const { template, sent } = build({ platform: 'darwin' });
    expect(template.map((m) => m.label ?? m.role)).toEqual(['RL Composer', 'File', 'Edit', 'View', 'Run', 'windowMenu', 'Help']);
    const app = submenu(template[0]);
    expect(app.map((i) => i.role ?? i.id ?? i.type)).toEqual([
      'help.about',
      'separator',
      'services',
      'separator',
      'hide',
      'hideOthers',
      'unhide',
      'separator',
      'quit',
    ]);
    click(app[0]);
    expect(sent).toEqual(['help.about']);
    // No Exit in File and no second About in Help on macOS.
    expect(submenu(template[1]).some((i) => i.role === 'quit')).toBe(false);
    expect(submenu(template[6]).map((i) => i.id)).toEqual(['help.blockDocs']);
    expect(template[6].role).toBe('help');
  });

  it('offers every MenuCommand, and each item sends its own command', () => {
    for (const platform of ['darwin', 'win32', 'linux'] as const) {
      const { template, sent } = build({ platform });
      for (const command of MENU_COMMANDS) click(find(template, command));
      expect(sent).toEqual([...MENU_COMMANDS]);
    }
  });

  it('lists the File, Edit, View, Run and Help items in order', () => {
    const { template } = build();
    const ids = (i: number) => submenu(template[i]).map((item) => item.id ?? item.role ?? item.type);
    expect(ids(0)).toEqual([
      'file.new',
      'file.open',
      'file.openRecent',
      'separator',
      'file.save',
      'file.saveAs',
      'separator',
      'file.import',
      'file.export',
      'separator',
      'file.close',
      'separator',
      'quit',
    ]);
    expect(ids(1)).toEqual(['edit.undo', 'edit.redo', 'separator', 'edit.cut', 'edit.copy', 'edit.paste', 'separator', 'edit.selectAll']);
    expect(ids(2)).toEqual([
      'view.fit',
      'view.zoomIn',
      'view.zoomOut',
      'separator',
      'view.toggleTheme',
      'view.togglePalette',
      'separator',
      'togglefullscreen',
    ]);
    expect(ids(3)).toEqual(['run.start', 'run.pause', 'run.step', 'run.stop']);
    expect(ids(4)).toEqual(['help.blockDocs', 'separator', 'help.about']);
  });

  it('shows developer tools only in development', () => {
    const roles = (isDev: boolean) => flatten(build({ isDev }).template).map((i) => i.role);
    expect(roles(false)).not.toContain('toggleDevTools');
    expect(roles(false)).not.toContain('reload');
    expect(roles(true)).toContain('toggleDevTools');
    expect(roles(true)).toContain('reload');
  });

  it('uses each platform’s accelerators', () => {
    const keys = (platform: NodeJS.Platform) => {
      const { template } = build({ platform });
      return Object.fromEntries(MENU_COMMANDS.map((c) => [c, find(template, c).accelerator ?? null]));
    };
    const mac = keys('darwin');
    const win = keys('win32');
    const linux = keys('linux');
    for (const k of [mac, win, linux]) {
      expect(k['file.new']).toBe('CmdOrCtrl+N');
      expect(k['file.open']).toBe('CmdOrCtrl+O');
      expect(k['file.save']).toBe('CmdOrCtrl+S');
      expect(k['file.saveAs']).toBe('Shift+CmdOrCtrl+S');
      expect(k['file.close']).toBe('CmdOrCtrl+W');
      expect(k['edit.undo']).toBe('CmdOrCtrl+Z');
      expect(k['edit.copy']).toBe('CmdOrCtrl+C');
      expect(k['edit.selectAll']).toBe('CmdOrCtrl+A');
      expect(k['help.blockDocs']).toBe('F1');
    }
    expect([mac['edit.redo'], win['edit.redo'], linux['edit.redo']]).toEqual(['Shift+CmdOrCtrl+Z', 'Ctrl+Y', 'Shift+CmdOrCtrl+Z']);
    expect([mac['run.start'], mac['run.pause'], mac['run.step'], mac['run.stop']]).toEqual(['Cmd+R', 'Ctrl+Cmd+Y', 'F6', 'Cmd+.']);
    expect([win['run.start'], win['run.pause'], win['run.step'], win['run.stop']]).toEqual(['F5', 'F6', 'F10', 'Shift+F5']);
    // 'Cmd' alone exists only on macOS; elsewhere accelerators must not mention it.
    for (const k of [win, linux]) for (const a of Object.values(k)) if (a) expect(a).not.toMatch(/(^|\+)Cmd(\+|$)/);
    // No two items share a shortcut.
    for (const k of [mac, win, linux]) {
      const used = Object.values(k).filter(Boolean);
      expect(new Set(used).size).toBe(used.length);
    }
  });

  it('fills Open Recent from the recent list, newest first, with Clear', () => {
    const recent = ['/home/u/b.rlgraph.json', '/home/u/other/a.rlgraph.json'];
    const built = build({ recent });
    const items = submenu(find(built.template, 'file.openRecent'));
    expect(items.map((i) => i.label ?? i.type)).toEqual([
      'b.rlgraph.json — /home/u/b.rlgraph.json',
      'a.rlgraph.json — /home/u/other/a.rlgraph.json',
      'separator',
      'Clear Recently Opened',
    ]);
    click(items[1]);
    expect(built.opened).toEqual(['/home/u/other/a.rlgraph.json']);
    expect(items[3].enabled).toBe(true);
    click(items[3]);
    expect(built.cleared()).toBe(1);
    expect(built.sent).toEqual([]);
  });

  it('shows an empty Open Recent with Clear disabled', () => {
    const items = submenu(find(build().template, 'file.openRecent'));
    expect(items[0]).toMatchObject({ label: 'No Recent Files', enabled: false });
    expect(items.at(-1)).toMatchObject({ id: 'file.clearRecent', enabled: false });
  });
});
