import { useEffect, useState, type ReactNode } from 'react';
import { connectionStore, reconnectNow, restartEngine } from '../connection.ts';
import { catalogueStore } from '../catalogue.ts';
import { useStore } from '../store.ts';
import { uiStore } from '../ui.ts';

function Countdown({ at }: { at: number }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(t);
  }, []);
  return <>{Math.max(0, Math.ceil((at - now) / 1000))}s</>;
}

export function Banner() {
  const status = useStore(connectionStore);
  const catalogueError = useStore(catalogueStore, (s) => s.error);
  let body: ReactNode = null;
  let kind = 'error';
  if (status.kind === 'no-token') {
    body = (
      <>
        This page needs the token that <code>rlc serve</code> prints: open the URL it shows (…/?token=…).
      </>
    );
  } else if (status.kind === 'unauthorized') {
    body = (
      <>
        The server refused this page's token. Open the URL that <code>rlc serve</code> printed this time (the token changes each time it starts).
      </>
    );
  } else if (status.kind === 'reconnecting') {
    body = (
      <>
        {status.reason[0].toUpperCase() + status.reason.slice(1)}. Reconnecting in <Countdown at={status.retryAt} /> (attempt {status.attempt})… A run goes on in the engine and is picked up again.{' '}
        <button type="button" className="link" onClick={reconnectNow}>
          Reconnect now
        </button>
      </>
    );
  } else if (status.kind === 'engine-crashed') {
    body = (
      <>
        {status.message}{' '}
        <button type="button" className="link" onClick={restartEngine} data-testid="restart-engine">
          Restart the engine
        </button>
      </>
    );
  } else if (status.kind === 'engine-restarting') {
    kind = 'info';
    body = <>Starting the engine…</>;
  } else if (status.kind === 'connecting') {
    kind = 'info';
    body = <>Connecting to the engine…</>;
  } else if (catalogueError) {
    body = <>Cannot load the block catalogue: {catalogueError}</>;
  }
  if (!body) return null;
  return (
    <div className={`banner ${kind}`} role={kind === 'error' ? 'alert' : 'status'} data-testid="connection-banner" data-status={status.kind}>
      {body}
    </div>
  );
}

export function Toasts() {
  const toasts = useStore(uiStore, (s) => s.toasts);
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast ${t.kind}`} data-testid="toast">
          {t.message}
        </div>
      ))}
    </div>
  );
}
