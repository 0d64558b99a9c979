/**
 * The agent view: the classic-control environments drawn on a canvas from the physical states the
 * engine streams (~30 evenly spaced frames of sub-env 0 per iteration), played on a loop at
 * ~30 fps, and one episode of the current policy on demand ("Play episode").
 */
import { useEffect, useRef } from 'react';
import { agentStore, playEpisode } from '../agent.ts';
import { connectionStore } from '../connection.ts';
import { isActive, runStore } from '../run.ts';
import { useStore } from '../store.ts';
import { uiStore, type Theme } from '../ui.ts';

const FPS = 30;
/** After an episode ends, its last frame stays this long before the training stream resumes. */
const HOLD_MS = 1500;
const WIDTH = 480;
const HEIGHT = 300;

interface Palette {
  bg: string;
  ground: string;
  body: string;
  accent: string;
  joint: string;
  muted: string;
  goal: string;
}

function palette(theme: Theme): Palette {
  return theme === 'dark'
    ? { bg: '#11151b', ground: '#6b7686', body: '#5aa9ff', accent: '#ffb74d', joint: '#e6e9ee', muted: '#9aa4b2', goal: '#81c784' }
    : { bg: '#f7f9fc', ground: '#8a94a3', body: '#1f6fd1', accent: '#e08a00', joint: '#1d2430', muted: '#5b6573', goal: '#2e7d32' };
}

type Draw = (g: CanvasRenderingContext2D, s: readonly number[], c: Palette, w: number, h: number) => void;

function line(g: CanvasRenderingContext2D, x0: number, y0: number, x1: number, y1: number): void {
  g.beginPath();
  g.moveTo(x0, y0);
  g.lineTo(x1, y1);
  g.stroke();
}

function dot(g: CanvasRenderingContext2D, x: number, y: number, r: number, color: string): void {
  g.fillStyle = color;
  g.beginPath();
  g.arc(x, y, r, 0, 2 * Math.PI);
  g.fill();
}

/** CartPole [x, ẋ, θ, θ̇]: track ±2.4, pole of length 1 at angle θ from vertical (θ > 0 leans right). */
const drawCartPole: Draw = (g, [x, , theta], c, w, h) => {
  const scale = w / 5.4;
  const groundY = h * 0.72;
  const cx = w / 2 + x * scale;
  g.lineCap = 'round';
  g.strokeStyle = c.ground;
  g.lineWidth = 2;
  line(g, w / 2 - 2.4 * scale, groundY, w / 2 + 2.4 * scale, groundY);
  g.strokeStyle = c.muted;
  for (const edge of [-2.4, 2.4]) line(g, w / 2 + edge * scale, groundY - 8, w / 2 + edge * scale, groundY + 8);
  const cartW = 0.5 * scale;
  const cartH = 0.3 * scale;
  g.fillStyle = c.body;
  g.fillRect(cx - cartW / 2, groundY - cartH / 2, cartW, cartH);
  const poleLen = 1.0 * scale;
  const pivotY = groundY - cartH / 4;
  g.strokeStyle = c.accent;
  g.lineWidth = Math.max(4, 0.1 * scale);
  line(g, cx, pivotY, cx + poleLen * Math.sin(theta), pivotY - poleLen * Math.cos(theta));
  dot(g, cx, pivotY, 4, c.joint);
};

/** Acrobot [θ1, θ2, θ̇1, θ̇2]: two unit links hanging from a pivot (θ1 = 0: straight down); goal line at height 1. */
const drawAcrobot: Draw = (g, [t1, t2], c, w, h) => {
  const scale = Math.min(w, h) / 4.6;
  const px = w / 2;
  const py = h / 2;
  g.lineCap = 'round';
  g.strokeStyle = c.goal;
  g.lineWidth = 1.5;
  g.setLineDash([6, 5]);
  line(g, px - 2.2 * scale, py - scale, px + 2.2 * scale, py - scale);
  g.setLineDash([]);
  const x1 = px + scale * Math.sin(t1);
  const y1 = py + scale * Math.cos(t1);
  const x2 = x1 + scale * Math.sin(t1 + t2);
  const y2 = y1 + scale * Math.cos(t1 + t2);
  g.lineWidth = Math.max(6, 0.12 * scale);
  g.strokeStyle = c.body;
  line(g, px, py, x1, y1);
  g.strokeStyle = c.accent;
  line(g, x1, y1, x2, y2);
  dot(g, px, py, 5, c.joint);
  dot(g, x1, y1, 4, c.joint);
};

/** MountainCar [position, velocity]: the hill y = 0.45·sin(3x) + 0.55 on [-1.2, 0.6], the car on it, the goal flag. */
function drawMountainCar(goal: number): Draw {
  return (g, [pos], c, w, h) => {
    const min = -1.2;
    const max = 0.6;
    const scale = w / (max - min);
    const height = (x: number) => 0.45 * Math.sin(3 * x) + 0.55;
    const toX = (x: number) => (x - min) * scale;
    const base = h * 0.92;
    const toY = (y: number) => base - y * scale * 0.85;
    g.strokeStyle = c.ground;
    g.lineWidth = 2;
    g.beginPath();
    for (let i = 0; i <= 100; i++) {
      const x = min + ((max - min) * i) / 100;
      if (i === 0) g.moveTo(toX(x), toY(height(x)));
      else g.lineTo(toX(x), toY(height(x)));
    }
    g.stroke();
    // Goal flag.
    const fx = toX(goal);
    const fy = toY(height(goal));
    g.strokeStyle = c.goal;
    line(g, fx, fy, fx, fy - 40);
    g.fillStyle = c.goal;
    g.beginPath();
    g.moveTo(fx, fy - 40);
    g.lineTo(fx + 22, fy - 34);
    g.lineTo(fx, fy - 28);
    g.fill();
    // The car, tilted with the slope.
    const slope = Math.atan(3 * 0.45 * Math.cos(3 * pos) * 0.85);
    g.save();
    g.translate(toX(pos), toY(height(pos)));
    g.rotate(-slope);
    const carW = 44;
    const carH = 18;
    g.fillStyle = c.body;
    g.fillRect(-carW / 2, -carH - 8, carW, carH);
    dot(g, -carW / 3, -6, 6, c.joint);
    dot(g, carW / 3, -6, 6, c.joint);
    g.restore();
  };
}

/** Pendulum [θ, θ̇]: a unit rod from the pivot, θ = 0 upright, θ > 0 counter-clockwise. */
const drawPendulum: Draw = (g, [theta], c, w, h) => {
  const scale = Math.min(w, h) / 2.6;
  const px = w / 2;
  const py = h / 2;
  g.strokeStyle = c.muted;
  g.lineWidth = 1;
  g.setLineDash([4, 5]);
  g.beginPath();
  g.arc(px, py, scale, 0, 2 * Math.PI);
  g.stroke();
  g.setLineDash([]);
  g.lineCap = 'round';
  g.strokeStyle = c.accent;
  g.lineWidth = Math.max(10, 0.18 * scale);
  line(g, px, py, px - scale * Math.sin(theta), py - scale * Math.cos(theta));
  dot(g, px, py, 5, c.joint);
};

export function drawerFor(envId: string): Draw | undefined {
  if (envId.startsWith('CartPole')) return drawCartPole;
  if (envId.startsWith('Acrobot')) return drawAcrobot;
  if (envId.startsWith('MountainCarContinuous')) return drawMountainCar(0.45);
  if (envId.startsWith('MountainCar')) return drawMountainCar(0.5);
  if (envId.startsWith('Pendulum')) return drawPendulum;
  return undefined;
}

function render(canvas: HTMLCanvasElement, envId: string | null, state: readonly number[] | undefined, theme: Theme, label: string): void {
  const g = canvas.getContext('2d');
  if (!g) return;
  const c = palette(theme);
  g.setTransform(1, 0, 0, 1, 0, 0);
  g.fillStyle = c.bg;
  g.fillRect(0, 0, WIDTH, HEIGHT);
  const draw = envId ? drawerFor(envId) : undefined;
  g.font = '13px system-ui, sans-serif';
  g.textBaseline = 'top';
  if (!envId || !state) {
    g.fillStyle = c.muted;
    g.fillText('Start a run to watch the agent.', 14, 14);
    return;
  }
  if (!draw) {
    g.fillStyle = c.muted;
    g.fillText(`No drawing for ${envId}.`, 14, 14);
    return;
  }
  g.save();
  draw(g, state, c, WIDTH, HEIGHT);
  g.restore();
  g.fillStyle = c.muted;
  g.fillText(label, 10, 10);
}

export function AgentView() {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const run = useStore(runStore, (s) => s.state);
  const connected = useStore(connectionStore, (s) => s.kind === 'connected');
  const { envId, episode, requesting, error } = useStore(agentStore);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    // Playback state lives outside React: the canvas redraws at ~30 fps without re-rendering.
    let source: 'none' | 'training' | 'episode' = 'none';
    let frames: number[][] = [];
    let env: string | null = null;
    let index = 0;
    let drawn = 0;
    let episodeId = 0;
    let holdUntil = 0;
    let last = 0;
    let raf = 0;
    const loop = (now: number) => {
      raf = requestAnimationFrame(loop);
      if (now - last < 1000 / FPS - 2) return;
      last = now;
      const a = agentStore.get();
      if (a.episode && a.episode.id !== episodeId) {
        episodeId = a.episode.id;
        source = 'episode';
        frames = a.episode.frames;
        env = a.episode.envId;
        index = 0;
        holdUntil = 0;
      } else if (source === 'episode') {
        if (index < frames.length - 1) index++;
        else if (!holdUntil) holdUntil = now + HOLD_MS;
        else if (now > holdUntil) source = 'none';
      } else if (source === 'training' && index < frames.length - 1) {
        index++;
      }
      if (source !== 'episode' && (source === 'none' || index >= frames.length - 1)) {
        // End of a loop (or nothing yet): switch to the newest streamed frames.
        if (a.frames.length) {
          source = 'training';
          frames = a.frames;
          env = a.envId;
          index = 0;
        } else if (source === 'none') {
          frames = [];
          env = a.envId;
        }
      }
      const label =
        source === 'episode'
          ? `episode · step ${index + 1} / ${frames.length}`
          : source === 'training'
            ? `training · frame ${index + 1} / ${frames.length}`
            : '';
      render(canvas, env, frames[index], uiStore.get().theme, label);
      drawn++;
      canvas.dataset.frame = String(index);
      canvas.dataset.drawn = String(drawn);
      canvas.dataset.source = source;
      canvas.dataset.env = env ?? '';
    };
    raf = requestAnimationFrame(loop);
    return () => cancelAnimationFrame(raf);
  }, []);

  const active = isActive(run);
  return (
    <div className="chart-card agent">
      <div className="chart-title">
        Agent <span className="muted small">{envId ?? ''}</span>
      </div>
      <div className="agent-stage">
        <canvas ref={canvasRef} width={WIDTH} height={HEIGHT} data-testid="agent-view" data-frame="0" role="img" aria-label={`Agent view${envId ? `: ${envId}` : ''}`} />
      </div>
      <div className="agent-bar">
        <button
          type="button"
          data-testid="agent-play"
          disabled={!connected || !active || requesting}
          onClick={() => void playEpisode()}
          title="Play one fresh episode of the current policy (sampled actions)"
        >
          {requesting ? 'Playing…' : '▶ Play episode'}
        </button>
        <span className="muted small" data-testid="agent-return" aria-live="polite">
          {error ? <span className="error-text">{error}</span> : episode ? `return ${Number.isInteger(episode.return) ? episode.return : episode.return.toFixed(1)} · ${episode.frames.length} steps` : ''}
        </span>
      </div>
    </div>
  );
}
