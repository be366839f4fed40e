// `gatehouse serve --manifests DIR --workers 2` started inside the test's process (a worker thread
// can only be ended from within its process), on loopback with ephemeral ports, its log lines kept,
// ready when /readyz says so. For tests of the worker group's own behaviour.
import assert from 'node:assert/strict';
import { parseCommandLine } from '../../src/config/parse-command-line.ts';
import { startGatehouse, type RunningGatehouse } from '../../src/app/start-gatehouse.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { httpRequest, json } from './http-client.ts';
import { waitFor } from './spawn-gatehouse.ts';

/** A row of /debug/workers. */
export interface WorkerRow {
  id: number;
  state: string;
  restarts: number;
  generation: number;
  requestsTotal?: number;
  inFlightRequests?: number;
}

export interface InProcessGatehouse {
  gh: RunningGatehouse;
  /** Every log line so far, parsed. */
  lines: Record<string, unknown>[];
  /** /debug/workers' rows. */
  workers(): Promise<WorkerRow[]>;
}

export async function startInProcessWorkers(manifests: string, workers = 2): Promise<InProcessGatehouse> {
  const cli = parseCommandLine(['serve', '--manifests', manifests, '--workers', String(workers), '--access-log', 'off', '--drain-seconds', '5', '--bind', '127.0.0.1', '--admin-bind', '127.0.0.1', '--http-port', '0', '--https-port', '0', '--admin-port', '0']);
  assert.equal(cli.kind, 'run');
  if (cli.kind !== 'run') throw new Error('not a run command line');
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'info', write: (line) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const gh = await startGatehouse(cli.config, logger);
  await waitFor('readiness', async () => (await httpRequest(gh.ports.admin, { path: '/readyz' })).status === 200, 30_000);
  return {
    gh,
    lines,
    workers: async (): Promise<WorkerRow[]> => json<{ list: WorkerRow[] }>(await httpRequest(gh.ports.admin, { path: '/debug/workers' })).list,
  };
}
