/**
 * Which engine the editor is talking to: the tfjs backend the engine host announced in its
 * greeting (native `tensorflow`, `wasm` or plain-JS `cpu`), at the right end of the top bar. It
 * shows only while connected; the banner speaks for a missing or crashed engine. Styled inline so
 * it needs nothing from styles.css; App.tsx lays the top bar and this cell out as one row.
 */
import type { CSSProperties } from 'react';
import { engineInfoStore } from '../connection.ts';
import { useStore } from '../store.ts';

/**
 * The top row of the app grid: the top bar stretching, then the badge's cell. The top bar's own
 * `grid-area: top` (styles.css) names its place in this grid too.
 */
export const topRowStyle: CSSProperties = {
  gridArea: 'top',
  display: 'grid',
  gridTemplateAreas: "'top badge'",
  gridTemplateColumns: 'minmax(0, 1fr) auto',
  minWidth: 0,
};

// The cell continues the top bar's background and bottom border.
const cellStyle: CSSProperties = {
  gridArea: 'badge',
  display: 'flex',
  alignItems: 'center',
  paddingRight: 10,
  background: 'var(--panel)',
  borderBottom: '1px solid var(--border)',
};
const badgeStyle: CSSProperties = {
  display: 'inline-flex',
  alignItems: 'center',
  gap: 5,
  fontSize: 11.5,
  padding: '1px 8px',
  borderRadius: 10,
  border: '1px solid var(--border)',
  color: 'var(--muted)',
  whiteSpace: 'nowrap',
};
const dotStyle: CSSProperties = { width: 7, height: 7, borderRadius: '50%', background: 'var(--ok)' };

export function EngineBadge() {
  const info = useStore(engineInfoStore);
  return (
    <div style={cellStyle}>
      {info && (
        <span role="status" style={badgeStyle} data-testid="engine-badge" data-backend={info.backend} title={`TensorFlow.js backend: ${info.backendDetail}\nRuns are written to ${info.workspace}`}>
          <span style={dotStyle} aria-hidden="true" />
          Engine: {info.backend}
        </span>
      )}
    </div>
  );
}
