/**
 * Starts a throwaway PostgreSQL cluster for integration tests: `initdb` + `pg_ctl` on a temp
 * dir, listening on 127.0.0.1 only at a free port, trust auth for 127.0.0.1 only, its socket
 * in the temp dir. As root, the cluster runs as the `postgres` system user (initdb refuses
 * root). If PostgreSQL is not installed this throws with the install command: integration
 * tests fail, never skip.
 *
 * Binaries: $PG_BIN if set, else /usr/lib/postgresql/15/bin (Debian `postgresql-15`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, appendFileSync, writeFileSync, chownSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running test cluster. */
export interface TestPostgres {
  /** Connection string for the `postgres` superuser, database `postgres`. */
  url: string;
  /** Data directory (readable by root; tests may scan it). */
  dataDir: string;
  /** Stops the cluster and deletes its directory. Idempotent. */
  stop(): Promise<void>;
}

const BIN = process.env['PG_BIN'] ?? '/usr/lib/postgresql/15/bin';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function postgresUser(): { uid: number; gid: number } {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error(
      'running as root needs the `postgres` system user (created by apt-get install postgresql)',
    );
  }
}

/**
 * Initializes and starts a fresh cluster.
 * @throws Error naming the missing package if PostgreSQL 15 is not installed, or with the
 * server log if it fails to start.
 * @example
 * const pg = await startPostgres();
 * try { ... new pg.Client({ connectionString: pg.url }) ... } finally { await pg.stop(); }
 */
export async function startPostgres(): Promise<TestPostgres> {
  for (const b of ['initdb', 'pg_ctl']) {
    if (!existsSync(join(BIN, b)))
      throw new Error(
        `PostgreSQL 15 is not installed: ${join(BIN, b)} is missing. ` +
          'Install it with `apt-get install -y postgresql-15` (or set PG_BIN to its bin directory).',
      );
  }
  const root = process.getuid?.() === 0;
  const base = mkdtempSync(join(tmpdir(), 'medledger-pg-'));
  const dataDir = join(base, 'data');
  const sockDir = base;
  const logFile = join(base, 'server.log');
  const owner = root ? postgresUser() : undefined;
  if (owner) chownSync(base, owner.uid, owner.gid);
  const run = (bin: string, args: string[]): ReturnType<typeof spawnSync> =>
    root
      ? spawnSync('runuser', ['-u', 'postgres', '--', join(BIN, bin), ...args], { encoding: 'utf8' })
      : spawnSync(join(BIN, bin), args, { encoding: 'utf8' });
  const check = (r: ReturnType<typeof spawnSync>, what: string): void => {
    if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? r.signal}): ${String(r.stderr)}`);
  };

  check(
    run('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale']),
    'initdb',
  );
  // Only TCP from 127.0.0.1 is accepted; the socket dir is private to this cluster.
  writeFileSync(join(dataDir, 'pg_hba.conf'), 'host all all 127.0.0.1/32 trust\n');
  const port = await freePort();
  appendFileSync(
    join(dataDir, 'postgresql.conf'),
    [
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${sockDir}'`,
      'fsync = off', // throwaway cluster: durability is not under test here
      'full_page_writes = off',
      'max_connections = 50',
      '',
    ].join('\n'),
  );
  const stopSync = (): void => {
    run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
  };
  const started = run('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', 'start']);
  if (started.status !== 0) {
    let log = '';
    try {
      log = execFileSync('cat', [logFile], { encoding: 'utf8' });
    } catch {
      /* no log */
    }
    rmSync(base, { recursive: true, force: true });
    throw new Error(`pg_ctl start failed: ${String(started.stderr)}\n${log}`);
  }
  // If the test process dies without calling stop(), do not leave a server behind.
  process.once('exit', stopSync);
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dataDir,
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', stopSync);
      stopSync();
      rmSync(base, { recursive: true, force: true });
    },
  };
}
