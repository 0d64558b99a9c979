import { useRef, type KeyboardEvent } from 'react';
import { isConnected } from '../connection.ts';
import { connectionStore } from '../connection.ts';
import { docStore } from '../doc.ts';
import { control, isActive, runStore, startRun, stateName, topState } from '../run.ts';
import { useStore } from '../store.ts';
import { uiStore } from '../ui.ts';
import { validationStore } from '../validation.ts';
import { focusNode } from '../ui.ts';
import { AgentView } from './AgentView.tsx';
import { MetricCharts, ReturnChart } from './Charts.tsx';
import { RunsList } from './RunsList.tsx';

function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function RunControls() {
  const run = useStore(runStore);
  const connected = useStore(connectionStore, (s) => s.kind === 'connected');
  const top = topState(run.state);
  const active = isActive(run.state);
  const paused = top === 'paused';
  const running = top === 'running' || top === 'compiling' || top === 'ready';
  const p = run.progress;
  const fraction = p && p.totalSteps ? Math.min(1, p.step / p.totalSteps) : 0;
  const start = () => {
    const { doc } = docStore.get();
    void startRun(doc, doc.meta.template ?? undefined);
  };
  return (
    <div className="run-controls">
      <div className="run-buttons" role="group" aria-label="Run controls">
        <button type="button" className="primary" data-testid="run-start" disabled={!connected || active || run.busy || !isConnected()} onClick={start} title="Train the current graph (the run folder goes into the workspace's runs/)">
          ▶ Start
        </button>
        <button type="button" data-testid="run-pause" disabled={!connected || !running} onClick={() => void control({ type: 'PAUSE' })} title="Pause after the current iteration">
          ❚❚ Pause
        </button>
        <button type="button" data-testid="run-step" disabled={!connected || !paused} onClick={() => void control({ type: 'STEP' })} title="Run one iteration, then pause">
          ▶❚ Step
        </button>
        <button type="button" data-testid="run-resume" disabled={!connected || !paused} onClick={() => void control({ type: 'RESUME' })} title="Continue training">
          ▶ Resume
        </button>
        <button type="button" className="danger" data-testid="run-stop" disabled={!connected || !active} onClick={() => void control({ type: 'STOP', reason: 'stopped from the editor' })} title="Stop: writes a checkpoint and the summary">
          ■ Stop
        </button>
      </div>
      <div className="run-state">
        <span className={`state-dot state-${top ?? 'none'}`} aria-hidden="true" />
        <span data-testid="run-state" aria-live="polite">
          {stateName(run.state)}
        </span>
        {run.info && (
          <span className="muted small run-name" title={run.info.dir}>
            {run.info.name}
          </span>
        )}
      </div>
      <div className="progress" role="progressbar" aria-label="Training progress" aria-valuemin={0} aria-valuemax={p?.totalSteps ?? 0} aria-valuenow={p?.step ?? 0}>
        <div className="progress-fill" style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      </div>
      <dl className="stats" data-testid="run-progress">
        <div>
          <dt>steps</dt>
          <dd>{p ? `${p.step.toLocaleString()} / ${p.totalSteps.toLocaleString()}` : '–'}</dd>
        </div>
        <div>
          <dt>steps/s</dt>
          <dd>{p ? Math.round(p.stepsPerSecond).toLocaleString() : '–'}</dd>
        </div>
        <div>
          <dt>{active || !p ? 'ETA' : 'wall time'}</dt>
          <dd>{active ? duration(p?.etaSeconds) : p ? duration(p.wallSeconds) : '–'}</dd>
        </div>
        <div>
          <dt>return (last 20)</dt>
          <dd>{p?.meanReturnLast20 != null ? p.meanReturnLast20.toFixed(1) : '–'}</dd>
        </div>
        <div>
          <dt>iteration</dt>
          <dd>{p ? p.iteration : '–'}</dd>
        </div>
        <div>
          <dt>episodes</dt>
          <dd>{p ? p.episodes.toLocaleString() : '–'}</dd>
        </div>
      </dl>
      {run.error && (
        <div className="run-error" role="alert">
          {run.error.nodeId ? (
            <button type="button" className="link" onClick={() => focusNode(run.error!.nodeId!)}>
              {run.error.nodeId}
            </button>
          ) : null}{' '}
          {run.error.message}
        </div>
      )}
      {run.summary && !active && <Summary summary={run.summary} />}
    </div>
  );
}

function Summary({ summary }: { summary: Record<string, unknown> }) {
  const ev = summary.eval as { meanReturn?: number | null; episodes?: number } | undefined;
  return (
    <div className="run-summary small">
      Finished{summary.interrupted ? ' (stopped)' : ''}: evaluation return {ev?.meanReturn != null ? ev.meanReturn.toFixed(1) : '–'} over {ev?.episodes ?? 0} episodes.
    </div>
  );
}

type BottomTab = 'problems' | 'log' | 'runs';
const TABS: BottomTab[] = ['problems', 'log', 'runs'];
const tabId = (t: BottomTab) => `bottom-tab-${t}`;
const panelId = (t: BottomTab) => `bottom-panel-${t}`;

export function ProblemsPanel() {
  const { problems, valid, pending } = useStore(validationStore);
  const logs = useStore(runStore, (s) => s.logs);
  const tab = useStore(uiStore, (s) => s.bottomTab);
  const setTab = (t: BottomTab) => uiStore.set((s) => ({ ...s, bottomTab: t }));
  const tabRefs = useRef(new Map<BottomTab, HTMLButtonElement>());
  // WAI-ARIA tabs: one tab stop (the selected tab); arrow keys, Home and End move between tabs.
  const onTabKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const i = TABS.indexOf(tab);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: TABS.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    const t = TABS[(next + TABS.length) % TABS.length];
    setTab(t);
    tabRefs.current.get(t)?.focus();
  };
  const tabProps = (t: BottomTab) => ({
    type: 'button' as const,
    role: 'tab',
    id: tabId(t),
    'aria-selected': tab === t,
    'aria-controls': panelId(t),
    tabIndex: tab === t ? 0 : -1,
    className: tab === t ? 'active' : '',
    onClick: () => setTab(t),
    ref: (el: HTMLButtonElement | null) => {
      if (el) tabRefs.current.set(t, el);
      else tabRefs.current.delete(t);
    },
  });
  return (
    <div className="side-panel">
      <div className="tabs">
        <div role="tablist" aria-label="Problems, log and runs" onKeyDown={onTabKey}>
          <button {...tabProps('problems')} data-testid="tab-problems">
            Problems {problems.length > 0 ? <span className="count error">{problems.length}</span> : valid ? <span className="count ok" role="img" aria-label="no problems">✓</span> : null}
          </button>
          <button {...tabProps('log')} data-testid="tab-log">
            Log {logs.length > 0 ? <span className="count">{logs.length}</span> : null}
          </button>
          <button {...tabProps('runs')} data-testid="tab-runs" title="Past runs of the workspace; compare their return curves">
            Runs
          </button>
        </div>
        {pending && <span className="muted small checking">checking…</span>}
      </div>
      {tab === 'runs' ? (
        <RunsList id={panelId('runs')} labelledBy={tabId('runs')} />
      ) : tab === 'problems' ? (
        <div className="problems" data-testid="problems" role="tabpanel" id={panelId('problems')} aria-labelledby={tabId('problems')}>
          {problems.length === 0 ? (
            <div className="muted small">{valid === null ? 'Not checked yet.' : 'No problems: the graph compiles.'}</div>
          ) : (
            <ul>
              {problems.map((p, i) => (
                <li key={i}>
                  {p.node ? (
                    <button type="button" className="problem" onClick={() => focusNode(p.node!)} data-testid={`problem-${i}`}>
                      <span className="code">{p.code}</span> {p.message}
                    </button>
                  ) : (
                    <div className="problem static" data-testid={`problem-${i}`}>
                      <span className="code">{p.code}</span> {p.message}
                    </div>
                  )}
                </li>
              ))}
            </ul>
          )}
        </div>
      ) : (
        <div className="log" role="tabpanel" id={panelId('log')} aria-labelledby={tabId('log')} data-testid="run-log">
          {logs.length === 0 ? (
            <div className="muted small">Engine and block messages of the run appear here.</div>
          ) : (
            <ul>
              {logs
                .slice()
                .reverse()
                .map((l, i) => (
                  <li key={i} className={l.level}>
                    <span className="muted">{new Date(l.at).toLocaleTimeString()}</span> {l.nodeId ? <b>{l.nodeId}: </b> : null}
                    {l.message}
                  </li>
                ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}

export function RunPanel() {
  return (
    <footer className="runpanel" aria-label="Run">
      <RunControls />
      <ReturnChart />
      <MetricCharts />
      <AgentView />
      <ProblemsPanel />
    </footer>
  );
}
