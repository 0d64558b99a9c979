import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import { formatValue } from '../catalogue.ts';
import { metrics, runStore, type MetricsRow } from '../run.ts';
import { useStore } from '../store.ts';
import { uiStore, type Theme } from '../ui.ts';

export interface SeriesDef {
  key: string;
  label: string;
  color: string;
  width?: number;
  dash?: number[];
}

function themeColors(theme: Theme) {
  return theme === 'dark' ? { axis: '#9aa4b2', grid: 'rgba(255,255,255,0.07)' } : { axis: '#5b6573', grid: 'rgba(0,0,0,0.08)' };
}

function toData(rows: MetricsRow[], series: SeriesDef[]): uPlot.AlignedData {
  const xs = rows.map((r) => r.step ?? r.iteration ?? 0);
  return [xs as number[], ...series.map((s) => rows.map((r) => (typeof r[s.key] === 'number' && Number.isFinite(r[s.key]) ? (r[s.key] as number) : null)))];
}

function compactTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return formatValue(v);
}

/** A uPlot line chart that follows the run's (decimated) metrics; redraws at most once a frame. */
export function LineChart({ series, height, compact = false, testId, title }: { series: SeriesDef[]; height?: number; compact?: boolean; testId: string; title: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const version = useStore(runStore, (s) => s.metricsVersion);
  const theme = useStore(uiStore, (s) => s.theme);
  const signature = series.map((s) => `${s.key}:${s.color}`).join('|');
  // metrics.view() may return the same (growing) array: redraw on the version, not the reference.
  const points = useMemo(() => metrics.view().length, [version]);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const colors = themeColors(theme);
    const axis = (side: 'x' | 'y'): uPlot.Axis => ({
      show: !(compact && side === 'x'),
      stroke: colors.axis,
      grid: { stroke: colors.grid, width: 1 },
      ticks: { stroke: colors.grid, width: 1, size: 3 },
      font: '11px system-ui, sans-serif',
      size: compact ? (side === 'x' ? 0 : 42) : side === 'x' ? 28 : 50,
      ...(compact && side === 'y' ? { space: 18 } : {}),
      values: (_u, splits) => splits.map(compactTick),
      label: compact ? undefined : side === 'x' ? 'environment steps' : undefined,
      labelSize: compact ? 0 : 16,
      labelFont: '11px system-ui, sans-serif',
    });
    const opts: uPlot.Options = {
      width: Math.max(100, el.clientWidth),
      height: Math.max(60, height ?? el.clientHeight),
      padding: compact ? [8, 6, 8, 0] : [10, 12, 0, 0],
      legend: { show: !compact, live: true },
      cursor: { drag: { x: true, y: false }, points: { size: 5 } },
      scales: { x: { time: false } },
      series: [
        { label: 'step', value: (_u, v) => (v == null ? '–' : compactTick(v)) },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: s.width ?? 1.5,
          dash: s.dash,
          spanGaps: true,
          points: { show: false },
          value: (_u: uPlot, v: number | null) => (v == null ? '–' : formatValue(v)),
        })),
      ],
      axes: [axis('x'), axis('y')],
    };
    const u = new uPlot(opts, toData(metrics.view(), series), el);
    plot.current = u;
    const resize = new ResizeObserver(() => {
      const legend = compact ? 0 : (el.querySelector('.u-legend') as HTMLElement | null)?.offsetHeight ?? 0;
      u.setSize({ width: Math.max(100, el.clientWidth), height: Math.max(60, (height ?? el.clientHeight) - legend) });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [signature, theme, height, compact]);

  useEffect(() => {
    plot.current?.setData(toData(metrics.view(), series));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version]);

  return (
    <div className={`chart${compact ? ' compact' : ''}`} data-testid={testId} data-points={points} role="img" aria-label={`${title}: ${points} points`}>
      <div className="chart-plot" ref={box} />
    </div>
  );
}

const RETURN_SERIES: SeriesDef[] = [
  { key: 'returnMean', label: 'episode return (iteration mean)', color: '#64b5f6', width: 1 },
  { key: 'returnMeanLast20', label: 'mean of last 20', color: '#ffb74d', width: 2.2 },
];

export function ReturnChart() {
  useStore(runStore, (s) => s.metricsVersion); // redraw with the metrics
  const total = metrics.total;
  return (
    <div className="chart-card return">
      <div className="chart-title">
        Episode return <span className="muted small">vs environment steps{total > metrics.view().length ? ` · ${metrics.view().length} of ${total} points shown` : ''}</span>
      </div>
      <div className="chart-area">
        <LineChart series={RETURN_SERIES} testId="chart-return" title="Episode return" />
        {total === 0 && <div className="chart-empty">Start a run to see the return curve.</div>}
      </div>
    </div>
  );
}

const METRIC_COLORS = ['#4db6ac', '#f06292', '#ba68c8', '#ffd54f', '#81c784', '#ff8a65', '#90a4ae', '#7986cb'];

/** One small chart per block metric (`node.port`: losses, KL, entropy, clip fraction…), each on its own scale. */
export function MetricCharts() {
  const version = useStore(runStore, (s) => s.metricsVersion);
  const keys = useMemo(() => [...metrics.keys].filter((k) => k.includes('.')).sort(), [version]);
  const last = useStore(runStore, (s) => s.lastRow);
  return (
    <div className="chart-card metrics" data-testid="chart-metrics">
      <div className="chart-title">Block metrics</div>
      {keys.length === 0 ? (
        <div className="chart-empty static">Losses, KL, entropy and clip fraction appear here during a run.</div>
      ) : (
        <div className="metric-grid">
          {keys.map((key, i) => (
            <div className="metric-cell" key={key}>
              <div className="metric-head">
                <span className="metric-name" title={key}>
                  {key}
                </span>
                <span className="metric-value">{last && typeof last[key] === 'number' ? formatValue(last[key]) : '–'}</span>
              </div>
              <LineChart series={[{ key, label: key, color: METRIC_COLORS[i % METRIC_COLORS.length], width: 1.3 }]} compact testId={`chart-metric-${key}`} title={key} />
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
