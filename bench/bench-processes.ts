// What every bench script needs around the processes it starts: a free port on 127.0.0.x, a
// registry of children killed whatever happens, a polite stop (SIGQUIT for nginx, SIGTERM else,
// SIGKILL after 10 s), the RSS of a process tree from /proc, and the parsing of wrk's latency lines.
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';

const children: ChildProcess[] = [];

/** Registers a child so killAll() ends it if the bench stops early. */
export function track(child: ChildProcess): ChildProcess {
  children.push(child);
  return child;
}

/** SIGKILL to every registered child still running (the bench's finally). */
export function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(child.spawnfile.includes('nginx') ? 'SIGQUIT' : 'SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export function freePort(host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen({ host, port: 0 }, () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolvePort(port));
    });
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Sum of a /proc status field over a process and its children (nginx master + workers). */
export function processTreeKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
      if (Number(entry) !== pid && ppid !== pid) continue;
      total += Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    } catch {
      // the process went away meanwhile
    }
  }
  return total;
}

/** A percentile line of `wrk --latency` ('99%'), in milliseconds; NaN when absent. */
export function latency(out: string, pct: string): number {
  const m = new RegExp(`^\\s+${pct}\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}
