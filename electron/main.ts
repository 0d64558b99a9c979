/**
 * The Electron main process. Thin on purpose: it wires Electron to the modules beside it
 * (security, windows, files, recovery, menus, IPC) and to the engine, which runs in its own
 * utilityProcess (engine/host/worker.ts). The only file that imports 'electron' at runtime.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, MessageChannelMain, protocol, screen, session, utilityProcess } from 'electron';
import { EngineProcess } from '../engine/host/engine-process.ts';
import { choiceFromResponse, CloseGuard, closePromptOptions } from './close-guard.ts';
import { IPC, type MenuCommand } from './desktop-api.ts';
import { EngineLink } from './engine-link.ts';
import { GraphFiles, resolveTemplatesDir } from './files.ts';
import { registerIpcHandlers } from './ipc.ts';
import { buildMenuTemplate } from './menu.ts';
import { filesFromSecondInstance, graphPathsFromArgv, OpenFileQueue, secondInstanceData } from './open-files.ts';
import { RecoveryStore } from './recovery.ts';
import { desktopServices } from './services.ts';
import { handleSquirrelEvent } from './squirrel.ts';
import {
  addCspToResponses,
  APP_ENTRY_URL,
  APP_SCHEME,
  contentSecurityPolicy,
  createAppProtocolHandler,
  denyPermissions,
  guardWebContents,
  isTrustedSender,
  mainWindowOptions,
  privilegedSchemes,
} from './security.ts';
import { captureWindowState, cascade, clampToDisplays, loadWindowState, saveWindowState } from './window-state.ts';
import { WindowManager } from './windows.ts';

/** Defined by Electron Forge's Vite plugin in development (`electron-forge start`). */
declare const MAIN_WINDOW_VITE_DEV_SERVER_URL: string | undefined;

const APP_NAME = 'RL Composer';
// Built as CJS by Forge's Vite plugin (__dirname = .vite/build); import.meta is the ESM fallback.
const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
const devServerUrl =
  typeof MAIN_WINDOW_VITE_DEV_SERVER_URL === 'string' && MAIN_WINDOW_VITE_DEV_SERVER_URL ? MAIN_WINDOW_VITE_DEV_SERVER_URL : undefined;
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

app.setName(APP_NAME);
app.enableSandbox();
// Set once the app has started; files handed over before that wait in the queue.
let showPath: (path: string) => void = () => {};
let revealSomeWindow: () => void = () => {};
const openQueue = new OpenFileQueue((path) => showPath(path));
// macOS hands over files with open-file, possibly before 'ready'.
app.on('open-file', (event, path) => {
  event.preventDefault();
  openQueue.push(path);
});
app.on('web-contents-created', (_event, contents) => guardWebContents(contents, (m) => console.warn(m)));

const squirrelEvent = handleSquirrelEvent({
  platform: process.platform,
  argv: process.argv,
  execPath: process.execPath,
  spawnDetached: (command, args) => spawn(command, args, { detached: true, stdio: 'ignore' }).unref(),
});

if (squirrelEvent) {
  app.quit(); // the Windows installer ran us only to create or remove shortcuts
} else if (!app.requestSingleInstanceLock(secondInstanceData(process.argv, process.cwd()))) {
  app.quit(); // the first instance got our files through 'second-instance'
} else {
  protocol.registerSchemesAsPrivileged(privilegedSchemes());
  for (const path of graphPathsFromArgv(process.argv, process.cwd())) openQueue.push(path);
  app.on('second-instance', (_event, argv, workingDirectory, data) => {
    const paths = filesFromSecondInstance(argv, workingDirectory, data);
    for (const path of paths) openQueue.push(path);
    if (paths.length === 0) revealSomeWindow();
  });
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      dialog.showErrorBox(`${APP_NAME} could not start`, message(error));
      app.exit(1);
    });
}

function start(): void {
  const userData = app.getPath('userData');
  const workspace = join(app.getPath('documents'), APP_NAME);
  const stateFile = join(userData, 'window-state.json');
  const csp = contentSecurityPolicy(devServerUrl);

  denyPermissions(session.defaultSession);
  if (devServerUrl) addCspToResponses(session.defaultSession.webRequest, new URL(devServerUrl).origin, csp);
  else protocol.handle(APP_SCHEME, createAppProtocolHandler({ root: join(here, '../renderer/main_window'), csp }));

  const recovery = new RecoveryStore(join(userData, 'recovery'));
  const files = new GraphFiles<BrowserWindow>({
    dialog,
    platform: process.platform,
    recentFile: join(userData, 'recent.json'),
    templatesDir: resolveTemplatesDir({ isPackaged: app.isPackaged, resourcesPath: process.resourcesPath, appPath: app.getAppPath(), here }),
    documentsDir: app.getPath('documents'),
    onRecentChanged: (_recent, added) => {
      if (added) app.addRecentDocument(added);
      else app.clearRecentDocuments();
      updateMenu();
    },
  });

  const guard = new CloseGuard<BrowserWindow>({
    isDirty: (window) => windows.isDirty(window),
    prompt: async (window) => {
      const options = closePromptOptions(windows.state(window)?.title || 'Untitled', process.platform);
      return choiceFromResponse((await dialog.showMessageBox(window, options)).response);
    },
    requestSave: (window) => windows.requestSave(window),
    discarded: (window) => recovery.clear(windows.keyOf(window)),
    continueQuit: () => app.quit(),
  });

  const windows: WindowManager<BrowserWindow> = new WindowManager<BrowserWindow>({
    appName: APP_NAME,
    platform: process.platform,
    createWindow: () => {
      const displays = screen.getAllDisplays();
      const primary = screen.getPrimaryDisplay();
      const previous = windows.focused();
      const saved = previous ? null : loadWindowState(stateFile);
      const bounds = previous ? cascade(previous.getNormalBounds(), displays, primary) : clampToDisplays(saved?.bounds ?? null, displays, primary);
      const window = new BrowserWindow(mainWindowOptions({ preload: join(here, 'preload.js'), bounds, title: APP_NAME, devTools: !app.isPackaged }));
      // maximize() would show the window at once; wait until it has painted.
      window.once('ready-to-show', () => {
        if (saved?.maximized) window.maximize();
        if (saved?.fullScreen) window.setFullScreen(true);
      });
      guard.watch(window);
      window.on('close', () => {
        try {
          saveWindowState(stateFile, captureWindowState(window));
        } catch (error) {
          console.error(`cannot store the window state: ${message(error)}`);
        }
      });
      window.loadURL(devServerUrl ?? APP_ENTRY_URL).catch((error: unknown) => console.error(`cannot load the editor: ${message(error)}`));
      return window;
    },
    onLoaded: (window) => {
      windows.send(window, IPC.engineStatus, engine.state);
      link.connect(window.webContents);
    },
    onClean: (window) => recovery.clear(windows.keyOf(window)),
    onCrashed: (window) => guard.allow(window), // its recovery file stays, offered at next start
    onClosed: (window, crashed) => {
      if (!crashed) recovery.clear(windows.keyOf(window));
      recovery.release(windows.keyOf(window));
    },
  });

  const engine = new EngineProcess({
    spawn: () => utilityProcess.fork(join(here, 'engine.js'), ['--workspace', workspace], { serviceName: 'RL Composer engine' }),
    onStatus: (status) => windows.broadcast(IPC.engineStatus, status),
  });
  const link = new EngineLink(engine, () => new MessageChannelMain(), () => windows.all().map((w) => w.webContents));

  const sendCommand = (command: MenuCommand) => {
    let target = windows.focused();
    if (command === 'file.close') return target?.close(); // through the close guard
    if (!target) {
      target = windows.open(); // macOS, no window left: the command opens one
      if (command === 'file.new') return;
    }
    windows.send(target, IPC.menu, command);
  };
  function updateMenu(): void {
    const template = buildMenuTemplate({
      platform: process.platform,
      appName: APP_NAME,
      isDev: !app.isPackaged,
      recent: files.recent(),
      send: sendCommand,
      openRecent: (path) => showPath(path),
      clearRecent: () => files.clearRecent(),
    });
    Menu.setApplicationMenu(Menu.buildFromTemplate(template));
  }

  registerIpcHandlers<BrowserWindow>({
    ipcMain,
    isTrustedFrame: (frame) => isTrustedSender(frame, devServerUrl),
    windowFor: (sender) => windows.fromContents(sender),
    services: desktopServices<BrowserWindow>({
      info: () => ({ platform: process.platform, appVersion: app.getVersion(), electronVersion: process.versions.electron, workspace }),
      files,
      recovery,
      windows,
      restartEngine: () => link.restart(),
      connectEngine: (window) => void link.connect(window.webContents),
      nativeEdit: (window, action) => window.webContents[action](),
    }),
  });

  showPath = (path) => {
    try {
      windows.showFile(files.openPath(path));
    } catch (error) {
      void dialog.showMessageBox({ type: 'error', message: `Cannot open ${path}`, detail: message(error) });
    }
  };
  revealSomeWindow = () => windows.reveal(windows.focused() ?? windows.open());

  app.on('before-quit', () => guard.beginQuit());
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (windows.count === 0) windows.open();
  });
  let engineStopped = false;
  app.on('will-quit', (event) => {
    if (engineStopped) return;
    event.preventDefault(); // let runs write their checkpoints first
    void engine.stop().finally(() => {
      engineStopped = true;
      app.quit();
    });
  });

  updateMenu();
  engine.start();
  openQueue.ready(); // a window per file handed over so far
  // One window at least, and one per unsaved document a crash left behind (each offers its own).
  while (windows.count < Math.max(1, recovery.pendingCount)) windows.open();
}
