/**
 * Says when the node is not answering and when the page will try again (connection.ts), and
 * when it is back. A `role=status` region: screen readers announce it without moving focus.
 */
import { useEffect, useState, useSyncExternalStore } from 'react';
import { connection, subscribeConnection } from './connection.js';

export function ConnectionBanner() {
  const c = useSyncExternalStore(subscribeConnection, connection);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (c.state !== 'down') return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [c]);
  return (
    <div role="status" className={`connection ${c.state}`} data-testid="connection">
      {c.state === 'down' && (
        <p>
          <strong>The node is not answering.</strong> Trying again in{' '}
          {Math.max(0, Math.ceil((c.retryAt - now) / 1000))} s (attempt {c.attempt}). What you typed is kept.
        </p>
      )}
      {c.state === 'recovered' && <p>Connected to the node again.</p>}
    </div>
  );
}
