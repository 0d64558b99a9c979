/** The workspace's past runs (runs/ folders) and an overlay of the return curves of the checked ones. */
import { useCallback, useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import type { RunListing } from '../../../engine/host/protocol.ts';
import { call, connectionStore } from '../connection.ts';
import { formatValue } from '../catalogue.ts';
import { runStore, topState } from '../run.ts';
import { useStore } from '../store.ts';
import { uiStore } from '../ui.ts';


interface CurveRow {
  iteration: number | null;
  step: number | null;
  returnMean: number | null;
  returnMeanLast20: number | null;
}

const OVERLAY_COLORS = ['#ffb74d', '#64b5f6', '#81c784', '#f06292', '#ba68c8', '#4db6ac', '#ffd54f', '#ff8a65'];

const fmt = (v: number | null) => (v === null ? '–' : formatValue(v));

/** Aligns curves sampled at different steps onto one x axis (gaps are spanned). */
function overlayData(curves: CurveRow[][]): uPlot.AlignedData {
  const xs = [...new Set(curves.flatMap((rows) => rows.map((r) => r.step ?? 0)))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = curves.map((rows) => {
    const y: (number | null)[] = new Array(xs.length).fill(null);
    for (const r of rows) y[index.get(r.step ?? 0)!] = r.returnMeanLast20;
    return y;
  });
  return [xs, ...ys];
}

function OverlayChart({ names, curves }: { names: string[]; curves: CurveRow[][] }) {
  const box = useRef<HTMLDivElement>(null);
  const theme = useStore(uiStore, (s) => s.theme);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const dark = theme === 'dark';
    const axisColor = dark ? '#9aa4b2' : '#5b6573';
    const grid = dark ? 'rgba(255,255,255,0.07)' : 'rgba(0,0,0,0.08)';
    const axis: uPlot.Axis = {
      stroke: axisColor,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1, size: 3 },
      font: '10px system-ui, sans-serif',
      values: (_u, splits) => splits.map((v) => (Math.abs(v) >= 1000 ? `${+(v / 1000).toFixed(1)}k` : formatValue(v))),
    };
    const u = new uPlot(
      {
        width: Math.max(100, el.clientWidth),
        height: Math.max(80, el.clientHeight),
        padding: [8, 8, 0, 0],
        legend: { show: false },
        scales: { x: { time: false } },
        series: [{ label: 'step' }, ...names.map((name, i) => ({ label: name, stroke: OVERLAY_COLORS[i % OVERLAY_COLORS.length], width: 1.8, spanGaps: true, points: { show: false } }))],
        axes: [
          { ...axis, size: 22 },
          { ...axis, size: 40 },
        ],
      },
      overlayData(curves),
      el,
    );
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(100, el.clientWidth), height: Math.max(80, el.clientHeight) }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
    };
  }, [names, curves, theme]);
  return (
    <div className="runs-overlay" data-testid="runs-overlay" data-series={names.length} role="img" aria-label={`Return (mean of last 20) of ${names.join(', ')}`}>
      <div className="runs-legend">
        {names.map((name, i) => (
          <span key={name} data-testid={`runs-legend-${name}`}>
            <i style={{ background: OVERLAY_COLORS[i % OVERLAY_COLORS.length] }} />
            {name}
          </span>
        ))}
      </div>
      <div className="runs-overlay-plot" ref={box} />
    </div>
  );
}

/** The Runs tab's panel; `id`/`labelledBy` tie it to its tab. */
export function RunsList({ id, labelledBy }: { id?: string; labelledBy?: string }) {
  const [runs, setRuns] = useState<RunListing[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [checked, setChecked] = useState<string[]>([]);
  const [curves, setCurves] = useState<{ names: string[]; curves: CurveRow[][] } | null>(null);
  const top = useStore(runStore, (s) => topState(s.state));
  const runName = useStore(runStore, (s) => s.info?.name);

  // Over the engine connection (not HTTP), so the desktop app's engine process answers the same way.
  const connected = useStore(connectionStore, (s) => s.kind === 'connected');
  const refresh = useCallback(() => {
    if (!connected) return;
    call({ type: 'runs.history' }, 'runs.history').then(
      ({ runs: list }) => {
        setRuns(list);
        setError(null);
        setChecked((c) => c.filter((name) => list.some((r) => r.name === name)));
      },
      (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
    );
  }, [connected]);

  // On opening, and whenever a run starts or ends (finished, stopped or failed).
  useEffect(refresh, [refresh, top === 'done' || top === 'failed', runName]);

  useEffect(() => {
    if (checked.length < 2) return setCurves(null);
    let cancelled = false;
    Promise.all(checked.map((name) => call({ type: 'runs.curve', name }, 'runs.curve').then((reply) => reply.rows as CurveRow[]))).then(
      (rows) => {
        if (!cancelled) setCurves({ names: checked, curves: rows });
      },
      (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      cancelled = true;
    };
  }, [checked, runs]);

  const toggle = (name: string) => setChecked((c) => (c.includes(name) ? c.filter((n) => n !== name) : [...c, name]));

  return (
    <div className="runs" role="tabpanel" id={id} aria-labelledby={labelledBy} aria-label={labelledBy ? undefined : 'Runs'}>
      <div className="runs-list" data-testid="runs-list">
        {error && <div className="run-error small">{error}</div>}
        {runs === null ? (
          <div className="muted small">Loading runs…</div>
        ) : runs.length === 0 ? (
          <div className="muted small">No runs in this workspace's runs/ folder yet.</div>
        ) : (
          <table>
            <thead>
              <tr>
                <th>
                  <span className="sr-only">compare</span>
                </th>
                <th>run</th>
                <th title="environment steps">steps</th>
                <th title="mean return of the last 20 episodes">ret20</th>
                <th title="evaluation mean return">eval</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.name} data-testid={`run-row-${r.name}`} title={`${r.template} · seed ${r.seed ?? '–'} · started ${new Date(r.startedAt).toLocaleString()}${r.finished ? '' : ' · not finished'}`}>
                  <td>
                    <input type="checkbox" data-testid={`run-compare-${r.name}`} aria-label={`Compare ${r.name}`} checked={checked.includes(r.name)} onChange={() => toggle(r.name)} />
                  </td>
                  <td className="run-cell-name">
                    {r.name}
                    {!r.finished && <span className="muted"> …</span>}
                  </td>
                  <td>{r.steps === null ? '–' : r.steps.toLocaleString()}</td>
                  <td>{fmt(r.meanReturnLast20)}</td>
                  <td>{fmt(r.evalMeanReturn)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {curves ? (
        <OverlayChart names={curves.names} curves={curves.curves} />
      ) : (
        runs && runs.length > 1 && <div className="muted small runs-hint">Check two or more runs to overlay their return curves.</div>
      )}
    </div>
  );
}
