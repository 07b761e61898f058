/**
 * A key made in this browser (browserKey.ts): create it and ask the organization to certify
 * it; wait while its administrators decide (the page checks every few seconds); sign in with
 * it once certified. The private signing key cannot leave this browser; the encryption key is
 * sealed with the passphrase typed here.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { MedledgerClient } from '@medledger/client';
import { ORG_MEMBER_ROLES, type Genesis } from '@medledger/core';
import {
  checkRequest,
  createIdentity,
  forgetIdentity,
  loadIdentity,
  sendRequest,
  type BrowserIdentity,
} from '../browserKey.js';
import { openBrowserSession, type Session } from '../session.js';

const POLL_MS = 3_000;
const origin = (): string => window.location.origin;

export function BrowserKey({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [identity, setIdentity] = useState<BrowserIdentity | null | undefined>();
  useEffect(() => {
    loadIdentity().then(
      (i) => setIdentity(i ?? null),
      () => setIdentity(null),
    );
  }, []);
  if (identity === undefined) return <p className="progress">Looking for a key in this browser…</p>;
  if (identity === null) return <CreateKey onCreated={setIdentity} />;
  if (identity.certificate === undefined)
    return <Pending identity={identity} onChange={setIdentity} onForget={() => setIdentity(null)} />;
  return <UseKey identity={identity} onSignedIn={onSignedIn} onForget={() => setIdentity(null)} />;
}

function CreateKey({ onCreated }: { onCreated: (i: BrowserIdentity) => void }) {
  const [genesis, setGenesis] = useState<Genesis | undefined>();
  const [org, setOrg] = useState('');
  const [role, setRole] = useState('patient');
  const [name, setName] = useState('');
  const [label, setLabel] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    const c = new MedledgerClient(origin());
    Promise.all([c.genesis(), c.status()]).then(
      ([g, s]) => {
        setGenesis(g);
        setOrg((o) => o || String(s.org ?? ''));
      },
      (e: Error) => setError(`Could not read the consortium from the node: ${e.message}`),
    );
  }, []);
  const orgRole = genesis?.orgs.find((o) => o.id === org)?.role;
  const roles = orgRole ? ORG_MEMBER_ROLES[orgRole] : [];
  // Another organization may not issue the chosen role: fall back to the first one it does.
  useEffect(() => {
    if (roles.length > 0 && !roles.includes(role)) setRole(roles[0]!);
  }, [roles, role]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    if (!org) return setError('Choose your organization.');
    if (!roles.includes(role)) return setError(`${org} does not certify the role ${role}: choose another.`);
    if (role !== 'patient' && name.trim() === '')
      return setError('Type your name as your organization knows it.');
    if (passphrase.length < 8) return setError('Choose a passphrase of at least 8 characters.');
    if (passphrase !== again) return setError('The two passphrases differ: type the same one twice.');
    try {
      setBusy('Making your key and sealing it with your passphrase…');
      await new Promise((r) => setTimeout(r, 30)); // let the message paint before scrypt
      const i = await createIdentity({
        label: label.trim() || (role === 'patient' ? 'me' : name.trim()),
        org,
        role,
        commonName: name,
        passphrase,
      });
      setBusy('Sending your request to your organization…');
      await sendRequest(origin(), i);
      onCreated(i);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(undefined);
    }
  }

  return (
    <section aria-labelledby="create-key-title" className="card narrow">
      <h2 id="create-key-title">Create a key in this browser</h2>
      <p>
        Your key is made here and cannot be copied out of this browser. Your organization certifies it from a
        request that holds only its public part.
      </p>
      <form onSubmit={submit} noValidate>
        <label htmlFor="key-org">Organization</label>
        <select id="key-org" value={org} onChange={(e) => setOrg(e.target.value)}>
          {genesis?.orgs.map((o) => (
            <option key={o.id} value={o.id}>
              {o.name} ({o.id})
            </option>
          ))}
        </select>
        <label htmlFor="key-role">Role</label>
        <select id="key-role" value={role} onChange={(e) => setRole(e.target.value)}>
          {roles.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        {role !== 'patient' ? (
          <>
            <label htmlFor="key-name">Your name</label>
            <input id="key-name" value={name} autoComplete="name" onChange={(e) => setName(e.target.value)} />
          </>
        ) : (
          <p className="note">As a patient you are named by a pseudonym made here, never by your name.</p>
        )}
        <label htmlFor="key-label">A name for this key (shown in the page)</label>
        <input id="key-label" value={label} onChange={(e) => setLabel(e.target.value)} />
        <label htmlFor="key-pass">New passphrase (seals your encryption key)</label>
        <input
          id="key-pass"
          type="password"
          autoComplete="new-password"
          value={passphrase}
          onChange={(e) => setPassphrase(e.target.value)}
        />
        <label htmlFor="key-pass2">The same passphrase again</label>
        <input
          id="key-pass2"
          type="password"
          autoComplete="new-password"
          value={again}
          onChange={(e) => setAgain(e.target.value)}
        />
        <button type="submit" disabled={busy !== undefined}>
          Create my key and ask for certification
        </button>
        {busy && (
          <p role="status" className="progress">
            {busy}
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

function Pending({
  identity,
  onChange,
  onForget,
}: {
  identity: BrowserIdentity;
  onChange: (i: BrowserIdentity) => void;
  onForget: () => void;
}) {
  const [error, setError] = useState<string | undefined>();
  const [checked, setChecked] = useState<number | undefined>();
  useEffect(() => {
    let stop = false;
    const tick = async () => {
      try {
        const i = await checkRequest(origin(), identity);
        if (stop) return;
        setChecked(Date.now());
        setError(undefined);
        if (i.certificate !== undefined) return onChange(i);
      } catch (e) {
        if (stop) return;
        const err = e as Error & { code?: string; status?: number };
        if (err.status === 404) {
          // The node does not know the request (another node, or its store was reset): send it again.
          await sendRequest(origin(), identity).catch(() => undefined);
        } else setError(err.message);
      }
      if (!stop) setTimeout(() => void tick(), POLL_MS);
    };
    void tick();
    return () => {
      stop = true;
    };
  }, [identity, onChange]);

  return (
    <section aria-labelledby="pending-title" className="card narrow">
      <h2 id="pending-title">Waiting for {identity.org} to certify your key</h2>
      <p>
        Your request was sent. Tell your organization’s administrators its number, so that they can check it
        is you:
      </p>
      <p className="mono" data-testid="request-id">
        {identity.requestId}
      </p>
      <dl>
        <dt>Asked for</dt>
        <dd>
          {identity.role} at {identity.org}
        </dd>
        <dt>Name on the certificate</dt>
        <dd className="mono">{identity.commonName}</dd>
      </dl>
      <p role="status" className="progress">
        Waiting for the certificate
        {checked ? ` (last checked ${new Date(checked).toLocaleTimeString()})` : ''}…
      </p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <ForgetButton onForget={onForget} />
    </section>
  );
}

function UseKey({
  identity,
  onSignedIn,
  onForget,
}: {
  identity: BrowserIdentity;
  onSignedIn: (s: Session) => void;
  onForget: () => void;
}) {
  const [passphrase, setPassphrase] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    if (passphrase.length === 0) return setError('Type the passphrase of this key.');
    setBusy(true);
    try {
      await new Promise((r) => setTimeout(r, 30));
      onSignedIn(await openBrowserSession(identity, passphrase, origin()));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="use-key-title" className="card narrow">
      <h2 id="use-key-title">Sign in with the key in this browser</h2>
      <p className="ok">
        {identity.org} certified this key: you are {identity.role} {identity.commonName}.
      </p>
      <form onSubmit={submit} noValidate>
        <label htmlFor="use-pass">Passphrase of this key</label>
        <input
          id="use-pass"
          type="password"
          autoComplete="current-password"
          value={passphrase}
          onChange={(e) => setPassphrase(e.target.value)}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Opening your key…' : 'Sign in'}
        </button>
        {busy && (
          <p role="status" className="progress">
            Opening your key (this takes a second or two)…
          </p>
        )}
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
      </form>
      <ForgetButton onForget={onForget} />
    </section>
  );
}

function ForgetButton({ onForget }: { onForget: () => void }) {
  const [sure, setSure] = useState(false);
  return sure ? (
    <p>
      This deletes the key from this browser for good.{' '}
      <button type="button" onClick={() => void forgetIdentity().then(onForget)}>
        Delete the key
      </button>{' '}
      <button type="button" onClick={() => setSure(false)}>
        Keep it
      </button>
    </p>
  ) : (
    <button type="button" className="link" onClick={() => setSure(true)}>
      Forget this key…
    </button>
  );
}
