/** Files handed to the app: argv, macOS open-file before ready, second instance. */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { filesFromSecondInstance, graphPathsFromArgv, OpenFileQueue, secondInstanceData } from '../electron/open-files.ts';

const cwd = resolve('/home/user/work');

describe('command-line files', () => {
  it('takes .rlgraph.json files, resolved against the working directory', () => {
    expect(graphPathsFromArgv(['/opt/RL Composer/rl-composer', 'a.rlgraph.json', '/abs/b.rlgraph.json', '../c.RLGRAPH.JSON'], cwd)).toEqual([
      resolve(cwd, 'a.rlgraph.json'),
      resolve('/abs/b.rlgraph.json'),
      resolve(cwd, '../c.RLGRAPH.JSON'),
    ]);
  });

  it('skips the executable, flags, the dev app path, and files that are not graphs', () => {
    const argv = [
      '/usr/lib/electron/electron',
      '--inspect=9229',
      '--enable-logging',
      '.',
      '.vite/build/main.js',
      '--user-data-dir=/tmp/x.rlgraph.json',
      '-psn_0_12345',
      'notes.txt',
      'graph.json',
      'model.rlgraph.json.bak',
      'real.rlgraph.json',
    ];
    expect(graphPathsFromArgv(argv, cwd)).toEqual([resolve(cwd, 'real.rlgraph.json')]);
    expect(graphPathsFromArgv(['/app/rl-composer.rlgraph.json'], cwd)).toEqual([]);
  });

  it('reads file:// URLs, takes everything after -- as a file, and lists each file once', () => {
    const url = pathToFileURL('/data/my graph.rlgraph.json').href;
    expect(graphPathsFromArgv(['exe', url, 'x.rlgraph.json', './x.rlgraph.json', '--', '--odd.rlgraph.json'], cwd)).toEqual([
      resolve('/data/my graph.rlgraph.json'),
      resolve(cwd, 'x.rlgraph.json'),
      resolve(cwd, '--odd.rlgraph.json'),
    ]);
    expect(graphPathsFromArgv(['exe', 'file://host/%E0%A4%A.rlgraph.json'], cwd)).toEqual([]);
  });
});

describe('second instance', () => {
  it('sends its resolved files, and the first instance prefers them over argv', () => {
    const data = secondInstanceData(['exe', 'a.rlgraph.json'], '/second');
    expect(data).toEqual({ files: [resolve('/second/a.rlgraph.json')] });
    expect(filesFromSecondInstance(['exe', '--allow-file-access', 'b.rlgraph.json'], '/second', data)).toEqual([resolve('/second/a.rlgraph.json')]);
  });

  it('falls back to argv and its working directory, and accepts only absolute graph paths from data', () => {
    expect(filesFromSecondInstance(['exe', '--flag', 'b.rlgraph.json'], '/second', undefined)).toEqual([resolve('/second/b.rlgraph.json')]);
    expect(filesFromSecondInstance(['exe', 'b.rlgraph.json'], '/second', { files: 'nope' })).toEqual([resolve('/second/b.rlgraph.json')]);
    expect(filesFromSecondInstance(['exe'], '/second', { files: ['relative.rlgraph.json', '/etc/passwd', resolve('/ok.rlgraph.json')] })).toEqual([
      resolve('/ok.rlgraph.json'),
    ]);
  });
});

describe('open-file queue', () => {
  it('holds files until the app is ready (macOS open-file before ready), then delivers in order', () => {
    const delivered: string[] = [];
    const queue = new OpenFileQueue((p) => delivered.push(p));
    queue.push('/a.rlgraph.json');
    queue.push('/b.rlgraph.json');
    queue.push('/a.rlgraph.json');
    expect(delivered).toEqual([]);
    expect(queue.pending).toEqual([resolve('/a.rlgraph.json'), resolve('/b.rlgraph.json')]);
    queue.ready();
    expect(delivered).toEqual([resolve('/a.rlgraph.json'), resolve('/b.rlgraph.json')]);
    queue.push('/c.rlgraph.json');
    expect(delivered).toEqual([resolve('/a.rlgraph.json'), resolve('/b.rlgraph.json'), resolve('/c.rlgraph.json')]);
    queue.ready();
    expect(delivered).toHaveLength(3);
  });
});
