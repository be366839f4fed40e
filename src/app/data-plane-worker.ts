// The entry of one data-plane worker thread (--workers N): builds the same data plane a single
// process runs (start-data-plane.ts) with its own metrics registry, applies the tables the control
// plane sends, listens with SO_REUSEPORT on the shared ports, answers the control plane's requests
// for metrics and /debug views, and drains when told to stop. The control plane restarts a worker
// that dies; this file never outlives an error it does not understand.

import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/config.ts';
import { createGatehouseMetrics } from '../observability/gatehouse-metrics.ts';
import { registerEventLoopLag } from '../observability/event-loop-lag.ts';
import { shareStdoutAcrossThreads, stdoutLineWriter } from '../observability/line-writer.ts';
import { createLogger } from '../observability/logger.ts';
import { startDataPlane } from './start-data-plane.ts';
import type { ApplyMessage, FromWorker, ToWorker, WorkerData } from './worker-messages.ts';

const port = parentPort;
if (port === null) throw new Error('data-plane-worker.ts runs as a worker thread');
const data = workerData as WorkerData;
const send = (message: FromWorker): void => port.postMessage(message);

shareStdoutAcrossThreads();
const config: Config = { ...data.config, sessionAffinityKey: Buffer.from(new Uint8Array(data.affinityKey)) };
const logger = createLogger({ level: config.logLevel, format: config.logFormat, base: { service: 'gatehouse', worker: data.id } });
process.on('uncaughtException', (err) => {
  // As in the single-process CLI: a thread in an unknown state stops serving; the control plane restarts it.
  logger.error('uncaught exception in a data-plane worker; it exits and is restarted', { err, code: 'ERR_UNCAUGHT' });
  stdoutLineWriter().flushSync();
  process.exit(1);
});

const metrics = createGatehouseMetrics();
const lag = registerEventLoopLag(metrics.registry);
const thread = await startDataPlane(config, logger, {
  metrics,
  version: data.version,
  limits: { tables: data.limits, owner: data.id },
  ...(data.maxConnections === undefined ? {} : { maxConnections: data.maxConnections }),
});

const apply = (m: ApplyMessage): void => {
  try {
    thread.apply(m.table, new Map(m.secrets));
    send({ type: 'applied', generation: m.generation });
  } catch (err) {
    // As in one process (reconciler.ts): the last good table keeps serving.
    logger.error('a data-plane worker could not apply the route table; it keeps serving the previous one', { err, generation: m.generation, code: 'ERR_WORKER_APPLY' });
  }
};

let stopping = false;
port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'apply':
      if (!stopping) apply(message);
      return;
    case 'ask':
      if (message.what === 'metrics') send({ type: 'answer', id: message.id, metrics: metrics.registry.render() });
      else send({ type: 'answer', id: message.id, views: thread.views() });
      return;
    case 'stop':
      if (stopping) return;
      stopping = true;
      void (async () => {
        await thread.stop(message.drainMs);
        lag.stop();
        await stdoutLineWriter().flush();
        send({ type: 'stopped', requestsTotal: thread.dataPlane.stats().requestsTotal });
        port.close();
      })();
      return;
  }
});

if (data.initial !== undefined) apply(data.initial);
try {
  const ports = await thread.listen(config.bind, data.ports, true);
  send({ type: 'listening', ports });
} catch (err) {
  const code = (err as { code?: unknown }).code;
  send({ type: 'failed', message: err instanceof Error ? err.message : String(err), code: typeof code === 'string' ? code : 'ERR_LISTEN' });
  await thread.stop(0);
  await stdoutLineWriter().flush();
  process.exit(1);
}
