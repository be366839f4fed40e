// A DataPlane in its own process, for measurements of the proxy alone (peak RSS from /proc).
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { RouteTable } from '../../src/core/route-table.ts';
import type { DataPlaneOptions } from '../../src/dataplane/data-plane-options.ts';

export interface DataPlaneProcess {
  port: number;
  pid: number;
  child: ChildProcess;
  /** Current resident set size in bytes (VmRSS). */
  rss(): number;
  /** Peak resident set size since start in bytes (VmHWM). */
  peakRss(): number;
  stop(): Promise<void>;
}

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  if (line === undefined) throw new Error(`${field} not found for ${pid}`);
  return Number(line.split(/\s+/)[1]) * 1024;
}

/** Options must be JSON-serialisable (no logger, no functions). */
export function startDataPlaneProcess(table: RouteTable, options: Omit<DataPlaneOptions, 'logger' | 'isTrustedProxy' | 'createEndpointPicker'> = {}): Promise<DataPlaneProcess> {
  const child = fork(new URL('./data-plane-process-main.ts', import.meta.url), [], {
    env: { ...process.env, GATEHOUSE_TEST_CONFIG: JSON.stringify({ table, options }) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error('data plane process did not start'));
    }, 15_000);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`data plane process exited with ${code}`)));
    child.on('message', (m: unknown) => {
      const port = (m as { port?: number }).port;
      if (port === undefined) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const pid = child.pid!;
      resolve({
        port,
        pid,
        child,
        rss: () => statusField(pid, 'VmRSS'),
        peakRss: () => statusField(pid, 'VmHWM'),
        stop: () =>
          new Promise<void>((res) => {
            if (child.exitCode !== null) return res();
            const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
            child.once('exit', () => {
              clearTimeout(kill);
              res();
            });
            child.send('stop');
          }),
      });
    });
  });
}
