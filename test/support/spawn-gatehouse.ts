// Runs the built CLI (dist/src/cli.js, as `npm test` builds it) as a child process, the way a
// user or an orchestrator would, and reads what it prints: the JSON log lines on stdout (the
// "listening" line gives the bound ports) and the one-line errors on stderr.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI_PATH = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));

export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

export interface GatehouseProcess {
  child: ChildProcess;
  /** Every JSON line printed so far. */
  logs: LogLine[];
  stdout(): string;
  stderr(): string;
  /** Waits (bounded) for a log line matching `match`. */
  waitForLog(match: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  /** Sends a signal and waits for the exit (bounded). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
}

export interface StartedGatehouse extends GatehouseProcess {
  ports: { http: number; https: number; admin: number };
  adminUrl: string;
  httpUrl: string;
}

/**
 * `serve` and `demo` run with --workers 1 unless the test says otherwise: tests of other features
 * get one thread on any machine; the worker threads are tested with an explicit --workers
 * (test/e2e/workers-cli.test.ts).
 */
export function pinWorkers(args: readonly string[]): string[] {
  const command = args[0];
  if ((command !== 'serve' && command !== 'demo') || args.some((a) => a === '--workers' || a.startsWith('--workers=') || a === '--help' || a === '-h')) return [...args];
  // Right after the command: appended, it could become the value of a flag the test leaves without one.
  return [command, '--workers', '1', ...args.slice(1)];
}

export function assertBuilt(): void {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run "npm run build" first (npm test does)`);
}

/** Spawns `node dist/src/cli.js ...args`; nothing is awaited. */
export function spawnGatehouse(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): GatehouseProcess {
  assertBuilt();
  const child = spawn(process.execPath, [CLI_PATH, ...pinWorkers(args)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '', ...options.env },
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  let out = '';
  let err = '';
  let partial = '';
  const logs: LogLine[] = [];
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    out += chunk;
    partial += chunk;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      if (line.startsWith('{')) {
        try {
          logs.push(JSON.parse(line) as LogLine);
        } catch {
          // not a log line (the demo banner, for instance)
        }
      }
    }
    for (const w of waiters) w();
  });
  child.stderr!.on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));

  const proc: GatehouseProcess = {
    child,
    logs,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLog(match, what, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const hit = logs.find(match);
          if (hit === undefined) return;
          cleanup();
          resolve(hit);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${what}; stderr: ${err.slice(-500)}; last logs: ${out.slice(-1500)}`));
        }, timeoutMs);
        const onExit = (): void => {
          cleanup();
          reject(new Error(`gatehouse exited while waiting for ${what}; stderr: ${err.slice(-500)}; logs: ${out.slice(-1500)}`));
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off('exit', onExit);
        };
        waiters.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    async stop(signal = 'SIGTERM', timeoutMs = 30_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`gatehouse did not exit within ${timeoutMs} ms of ${signal}`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
  return proc;
}

/** Spawns `gatehouse serve ...args` on free ports and waits for its "listening" line. */
export async function startGatehouseProcess(args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<StartedGatehouse> {
  const proc = spawnGatehouse(['serve', '--bind', '127.0.0.1', '--admin-bind', '127.0.0.1', '--http-port', '0', '--https-port', '0', '--admin-port', '0', ...args], options);
  try {
    const line = await proc.waitForLog((l) => l.msg === 'listening', 'the "listening" line');
    const ports = { http: Number(line['http']), https: Number(line['https']), admin: Number(line['admin']) };
    return { ...proc, ports, adminUrl: `http://127.0.0.1:${ports.admin}`, httpUrl: `http://127.0.0.1:${ports.http}` };
  } catch (err) {
    proc.child.kill('SIGKILL');
    throw err;
  }
}

/** Polls `fn` until it returns true (bounded); for readiness and convergence, never for timing. */
export async function waitFor(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 10_000, intervalMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
