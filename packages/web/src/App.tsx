/**
 * The portal: the consortium explorer for everyone, and a member's pages once they sign in —
 * with their wallet file or a key made in this browser (session.ts, browserKey.ts). The shell
 * around the views: a skip link, the main navigation, and a banner while the node is not
 * answering (ConnectionBanner.tsx).
 */
import { useState } from 'react';
import { ConnectionBanner } from './ConnectionBanner.js';
import { Explorer } from './views/Explorer.js';
import { Clinician } from './views/Clinician.js';
import { Patient } from './views/Patient.js';
import { SignIn } from './views/SignIn.js';
import type { Session } from './session.js';

type View = 'explorer' | 'signin' | 'mine';

export function App() {
  const [session, setSession] = useState<Session | undefined>();
  const [view, setView] = useState<View>('explorer');
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="bar">
        <h1>medledger</h1>
        <nav aria-label="Main">
          <button aria-current={view === 'explorer' ? 'page' : undefined} onClick={() => setView('explorer')}>
            Consortium explorer
          </button>
          {session && (
            <button aria-current={view === 'mine' ? 'page' : undefined} onClick={() => setView('mine')}>
              {session.role === 'patient' ? 'My records' : 'Clinical records'}
            </button>
          )}
          {session ? (
            <span className="who" aria-live="polite">
              Signed in as <strong>{session.label}</strong> ({session.role}, {session.org}){' '}
              <button
                onClick={() => {
                  session.close();
                  setSession(undefined);
                  setView('explorer');
                }}
              >
                Sign out
              </button>
            </span>
          ) : (
            <button aria-current={view === 'signin' ? 'page' : undefined} onClick={() => setView('signin')}>
              Sign in
            </button>
          )}
        </nav>
      </header>
      <ConnectionBanner />
      <main id="main" tabIndex={-1}>
        {/* Kept mounted while hidden: what the member typed survives a trip to the explorer. */}
        {!session && (
          <div hidden={view !== 'signin'}>
            <SignIn
              onSignedIn={(s) => {
                setSession(s);
                setView('mine');
              }}
            />
          </div>
        )}
        {view === 'mine' && session ? (
          session.role === 'patient' ? (
            <Patient session={session} />
          ) : (
            <Clinician session={session} />
          )
        ) : view !== 'signin' || session ? (
          <Explorer session={session} />
        ) : null}
      </main>
    </>
  );
}
