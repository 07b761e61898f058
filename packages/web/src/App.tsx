/**
 * The portal: the consortium explorer for everyone, and a member's pages once they sign in
 * with their wallet file (opened in this page; see session.ts).
 */
import { useState } from 'react';
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
                  session.pkcs8.fill(0);
                  session.encryptionKey.fill(0);
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
      <main>
        {view === 'signin' && !session ? (
          <SignIn
            onSignedIn={(s) => {
              setSession(s);
              setView('mine');
            }}
          />
        ) : view === 'mine' && session ? (
          session.role === 'patient' ? (
            <Patient session={session} />
          ) : (
            <Clinician session={session} />
          )
        ) : (
          <Explorer session={session} />
        )}
      </main>
    </>
  );
}
