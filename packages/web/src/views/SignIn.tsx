/**
 * Sign in: with a wallet file, read and opened in this page (scrypt takes a moment in
 * JavaScript, so the page says so), or with a key made in this browser and certified by the
 * organization (BrowserKey.tsx). The passphrase and the keys never leave the browser.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { loadIdentity } from '../browserKey.js';
import { openSession, type Session } from '../session.js';
import { BrowserKey } from './BrowserKey.js';

type Mode = 'wallet' | 'browser';

export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [mode, setMode] = useState<Mode | undefined>();
  useEffect(() => {
    // A browser that already keeps a key opens on it; otherwise on the wallet file.
    loadIdentity().then(
      (i) => setMode((m) => m ?? (i ? 'browser' : 'wallet')),
      () => setMode((m) => m ?? 'wallet'),
    );
  }, []);
  return (
    <>
      <div className="modes" role="group" aria-label="How to sign in">
        <button type="button" aria-pressed={mode === 'wallet'} onClick={() => setMode('wallet')}>
          My wallet file
        </button>
        <button type="button" aria-pressed={mode === 'browser'} onClick={() => setMode('browser')}>
          A key in this browser
        </button>
      </div>
      {mode === 'wallet' && <WalletSignIn onSignedIn={onSignedIn} />}
      {mode === 'browser' && <BrowserKey onSignedIn={onSignedIn} />}
    </>
  );
}

function WalletSignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [file, setFile] = useState<File | undefined>();
  const [passphrase, setPassphrase] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    if (!file) return setError('Choose your wallet file first.');
    if (passphrase.length === 0) return setError('Type the passphrase of your wallet.');
    setBusy(true);
    try {
      const text = await file.text();
      // Let the "opening" message paint before scrypt takes the thread.
      await new Promise((r) => setTimeout(r, 30));
      onSignedIn(openSession(text, passphrase, window.location.origin));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="signin-title" className="card narrow">
      <h2 id="signin-title">Sign in with your wallet</h2>
      <p>Your wallet file is opened here, in this page. Your passphrase and your keys are never sent.</p>
      <form onSubmit={submit} noValidate>
        <label htmlFor="wallet-file">Wallet file (.wallet.json)</label>
        <input
          id="wallet-file"
          type="file"
          accept=".json,application/json"
          onChange={(e) => setFile(e.target.files?.[0])}
        />
        <label htmlFor="passphrase">Passphrase</label>
        <input
          id="passphrase"
          type="password"
          autoComplete="current-password"
          value={passphrase}
          onChange={(e) => setPassphrase(e.target.value)}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Opening your wallet…' : 'Sign in'}
        </button>
        {busy && (
          <p role="status" className="progress">
            Opening your wallet (this takes a second or two)…
          </p>
        )}
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
      </form>
    </section>
  );
}
