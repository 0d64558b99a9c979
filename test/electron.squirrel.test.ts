import { describe, expect, it } from 'vitest';
import { handleSquirrelEvent } from '../electron/squirrel.ts';

function run(platform: NodeJS.Platform, event?: string) {
  const spawned: [string, string[]][] = [];
  const execPath = 'C:\\Users\\u\\AppData\\Local\\rl_composer\\app-0.1.0\\RL Composer.exe';
  const quit = handleSquirrelEvent({
    platform,
    argv: event ? [execPath, event] : [execPath],
    execPath,
    spawnDetached: (command, args) => spawned.push([command, args]),
  });
  return { quit, spawned };
}

describe('Squirrel.Windows installer events', () => {
  it('creates shortcuts on install and update, removes them on uninstall, and quits', () => {
    const install = run('win32', '--squirrel-install');
    expect(install.quit).toBe(true);
    expect(install.spawned).toHaveLength(1);
    expect(install.spawned[0][0]).toMatch(/Update\.exe$/);
    expect(install.spawned[0][0]).not.toMatch(/app-0\.1\.0/); // one folder above the versioned app folder
    expect(install.spawned[0][1]).toEqual(['--createShortcut=RL Composer.exe']);
    expect(run('win32', '--squirrel-updated').spawned[0][1]).toEqual(['--createShortcut=RL Composer.exe']);
    expect(run('win32', '--squirrel-uninstall').spawned[0][1]).toEqual(['--removeShortcut=RL Composer.exe']);
    expect(run('win32', '--squirrel-obsolete')).toEqual({ quit: true, spawned: [] });
  });

  it('starts normally otherwise: first run, a file argument, or another platform', () => {
    expect(run('win32', '--squirrel-firstrun')).toEqual({ quit: false, spawned: [] });
    expect(run('win32', 'C:\\graphs\\ppo.rlgraph.json')).toEqual({ quit: false, spawned: [] });
    expect(run('win32')).toEqual({ quit: false, spawned: [] });
    expect(run('linux', '--squirrel-install')).toEqual({ quit: false, spawned: [] });
  });
});
