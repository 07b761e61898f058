/**
 * Local etcd members on loopback, for `medledger cluster up`, the consortium benchmark and the
 * chaos tests: starts Debian's `etcd` (3.4) binary N times with its own data directory and
 * ports, and lets a caller kill, stop (SIGSTOP), continue and restart one member. Production
 * clusters are run by their operators; this is the same binary with flags on 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  process: ChildProcess | undefined;
  /** The last few kilobytes etcd wrote to stderr (its errors). */
  stderr: string;
  /** Killed on purpose (until restarted). */
  down?: boolean;
}

export interface EtcdClusterOptions {
  /** Directory under which each member gets its data directory. */
  dir: string;
  members?: number;
  /** etcd binary (default `etcd` on the PATH, as Debian's etcd-server installs it). */
  bin?: string;
  /** Largest request etcd accepts (bytes): a block is one put. */
  maxRequestBytes?: number;
}

/** A free TCP port on 127.0.0.1 (the OS picks it; a race with another process is unlikely). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

export class EtcdCluster {
  readonly members: EtcdMember[];
  readonly #o: Required<EtcdClusterOptions>;

  private constructor(o: Required<EtcdClusterOptions>, members: EtcdMember[]) {
    this.#o = o;
    this.members = members;
  }

  /**
   * Starts the members and resolves once the cluster answers. Ports are picked free just
   * before; if a member cannot start (another process took its port meanwhile), the cluster
   * is started again on new ports, up to three times.
   */
  static async start(o: EtcdClusterOptions): Promise<EtcdCluster> {
    const opts = { members: 3, bin: 'etcd', maxRequestBytes: 8 * 1024 * 1024, ...o };
    let last: Error | undefined;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const members: EtcdMember[] = [];
      for (let i = 1; i <= opts.members; i++) {
        const name = `e${i}`;
        members.push({
          name,
          clientUrl: `http://127.0.0.1:${await freePort()}`,
          peerUrl: `http://127.0.0.1:${await freePort()}`,
          dataDir: join(opts.dir, `${name}-${attempt}`),
          process: undefined,
          stderr: '',
        });
      }
      const c = new EtcdCluster(opts, members);
      // Members die with this process (a test runner that exits leaves no etcd behind).
      process.once('exit', () => members.forEach((m) => m.process?.kill('SIGKILL')));
      for (const m of members) c.#spawn(m, 'new');
      try {
        await c.waitHealthy();
        return c;
      } catch (e) {
        last = e as Error;
        await c.stop();
      }
    }
    throw last!;
  }

  get endpoints(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  #spawn(m: EtcdMember, state: 'new' | 'existing'): void {
    mkdirSync(m.dataDir, { recursive: true });
    const initial = this.members.map((x) => `${x.name}=${x.peerUrl}`).join(',');
    const child = spawn(
      this.#o.bin,
      [
        '--name',
        m.name,
        '--data-dir',
        m.dataDir,
        '--listen-client-urls',
        m.clientUrl,
        '--advertise-client-urls',
        m.clientUrl,
        '--listen-peer-urls',
        m.peerUrl,
        '--initial-advertise-peer-urls',
        m.peerUrl,
        '--initial-cluster',
        initial,
        '--initial-cluster-state',
        state,
        '--initial-cluster-token',
        'medledger',
        '--max-request-bytes',
        String(this.#o.maxRequestBytes),
        '--max-txn-ops',
        '1024',
        '--quota-backend-bytes',
        String(4 * 1024 * 1024 * 1024),
        '--logger',
        'zap',
        '--log-level',
        'error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.on('data', (d: Buffer) => {
      m.stderr = (m.stderr + d.toString()).slice(-4096);
    });
    child.on('error', (e) => {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        process.emitWarning(`etcd binary '${this.#o.bin}' not found: apt-get install -y etcd-server`);
    });
    m.process = child;
  }

  /** Resolves once every running member answers a read through the cluster. */
  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // Every member but those killed on purpose must answer.
    const running = this.members.filter((m) => !m.down);
    for (const m of running) {
      for (;;) {
        const c = new Etcd3({
          hosts: m.clientUrl,
          dialTimeout: 1000,
          defaultCallOptions: () => ({ deadline: Date.now() + 1000 }),
        });
        try {
          await c.get('health').exec();
          break;
        } catch (e) {
          if (Date.now() > deadline)
            throw new Error(`etcd member ${m.name} did not become healthy: ${(e as Error).message}`);
          await new Promise((r) => setTimeout(r, 200));
        } finally {
          c.close();
        }
      }
    }
  }

  /** The member that is the Raft leader now. */
  async leader(): Promise<EtcdMember> {
    for (const m of this.members) {
      if (!m.process || m.process.exitCode !== null) continue;
      const c = new Etcd3({ hosts: m.clientUrl, dialTimeout: 1000 });
      try {
        const s = await c.maintenance.status({});
        if (s.leader === s.header.member_id) return m;
      } catch {
        /* try the next */
      } finally {
        c.close();
      }
    }
    throw new Error('no etcd leader found');
  }

  /** Sends a signal to a member; SIGKILL and SIGTERM mark it down until `restart`. */
  kill(m: EtcdMember, signal: NodeJS.Signals = 'SIGKILL'): void {
    if (signal === 'SIGKILL' || signal === 'SIGTERM') m.down = true;
    m.process?.kill(signal);
  }

  /** Restarts a killed member on its data directory. */
  async restart(m: EtcdMember): Promise<void> {
    if (m.process && m.process.exitCode === null && m.process.signalCode === null) return;
    m.down = false;
    this.#spawn(m, 'existing');
    await this.waitHealthy();
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.members.map(
        (m) =>
          new Promise<void>((resolve) => {
            const p = m.process;
            if (!p || p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.kill('SIGCONT');
            p.kill('SIGTERM');
            setTimeout(() => p.kill('SIGKILL'), 3000).unref();
          }),
      ),
    );
  }
}
