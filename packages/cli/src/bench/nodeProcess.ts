/**
 * A medledger node as a child process, for the benchmarks and the crash suite: started with
 * `medledger start` on a data directory, and measured from /proc (CPU time per process and
 * per thread, peak RSS; Linux).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));

/** Starts `medledger start` on a data dir; resolves with the URL it prints. */
export function startNodeProcess(
  dir: string,
  env: NodeJS.ProcessEnv,
  port = 0,
): Promise<{ child: ChildProcess; url: string }> {
  // MEDLEDGER_NODE_EXEC_ARGV passes flags to the node process, e.g. "--cpu-prof" to profile it.
  const extra = (process.env.MEDLEDGER_NODE_EXEC_ARGV ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...extra, BIN, 'start', '--dir', dir, '--port', String(port)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        resolve({ child, url: m[1]! });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) =>
      reject(new Error(`node exited with ${code} before listening: ${err.trim()}`)),
    );
  });
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux). */
export function processCpuMs(pid: number, statPath = `/proc/${pid}/stat`): number {
  const f = readFileSync(statPath, 'utf8');
  // Fields after the parenthesized command name; utime and stime are the 12th and 13th.
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return ((Number(rest[11]) + Number(rest[12])) * 1000) / 100; // USER_HZ is 100 on Linux
}

/** CPU time per thread of a process so far, in ms, by thread id (Linux). */
export function threadCpuMs(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(Number(tid), processCpuMs(pid, `/proc/${pid}/task/${tid}/stat`));
    } catch {
      // the thread ended between listing and reading
    }
  }
  return out;
}

export function peakRssMb(pid: number): number {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(s);
  return m ? Number(m[1]) / 1024 : NaN;
}
