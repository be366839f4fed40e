// Runs the real `gatehouse serve` (the built CLI, dist/src/cli.js) as a child process, the way an
// operator runs it: ports 0, read back from its 'listening' log line; JSON log lines kept for
// assertions; always killed at exit.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO, eventually } from './kube-fixtures.ts';
import { pinWorkers } from '../support/spawn-gatehouse.ts';

export interface GatehouseProcess {
  name: string;
  ports: { http: number; https: number; admin: number };
  logs: Record<string, unknown>[];
  child: ChildProcess;
  /** Log lines with this msg. */
  logged(msg: string): Record<string, unknown>[];
  /** SIGTERM (graceful) or SIGKILL; resolves with the exit code (null when killed by a signal). */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<number | null>;
}

const CLI = join(REPO, 'dist', 'src', 'cli.js');
// One data-plane thread: these tests are about the API, status and leader election (the control plane).
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

export async function startGatehouse(name: string, args: readonly string[], env: Record<string, string> = {}): Promise<GatehouseProcess> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawn(process.execPath, [CLI, 'serve', '--bind=127.0.0.1', '--admin-bind=127.0.0.1', '--http-port=0', '--https-port=0', '--admin-port=0', ...pinWorkers(['serve', ...args]).slice(1)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  running.add(child);
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => {
    stderr = (stderr + c).slice(-8192);
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ msg: 'non-JSON output', line });
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    running.delete(child);
    resolve(code);
  }));

  const listening = await eventually(`${name} listening`, () => {
    if (child.exitCode !== null) throw new Error(`gatehouse ${name} exited with ${child.exitCode}: ${stderr}${JSON.stringify(logs.slice(-5))}`);
    return logs.find((l) => l.msg === 'listening');
  }, { timeoutMs: 30_000 }).catch((err: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${err.message}\nstderr: ${stderr}\nlogs: ${JSON.stringify(logs.slice(-10))}`);
  });
  const ports = { http: Number(listening.http), https: Number(listening.https), admin: Number(listening.admin) };
  return {
    name,
    ports,
    logs,
    child,
    logged: (msg) => logs.filter((l) => l.msg === msg),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
