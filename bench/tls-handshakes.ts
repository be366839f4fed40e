// TLS benchmark, on demand (never part of the test suite):
//   1. full handshakes per second against the HTTPS listener with one certificate (ECDSA P-256,
//      then RSA 2048), and with 1,000 Secrets loaded (SNI spread over all 1,000 names);
//   2. what a rotation costs with 1,000 TLS Ingresses: the pure build, the data plane swap and the
//      HTTPS listener apply, cold (first load) and warm (one Secret changed).
//
//   node bench/tls-handshakes.ts [--seconds 5] [--concurrency 32] [--secrets 1000] [--alpn h2|http/1.1]
//
// The listener runs in a worker thread (its own event loop, as in production), the clients in the
// main thread; both share this machine's cores, so the handshake numbers include client cost.
// Certificates are generated in memory per run. Everything listens on 127.0.0.1 and stops itself.

import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { connect, createServer as createTlsServer } from 'node:tls';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { buildRouteTable } from '../src/core/build-route-table.ts';
import type { EndpointSlice, Ingress, Secret, Service } from '../src/core/model.ts';
import type { RouteTable } from '../src/core/route-table.ts';
import type { Snapshot } from '../src/core/snapshot.ts';
import { DataPlane } from '../src/dataplane/data-plane.ts';
import { createHttpsListener } from '../src/dataplane/tls/https-listener.ts';
import { inspectCertificate, inspectPemPair } from '../src/dataplane/tls/inspect-certificate.ts';
import { generateSelfSignedCertificate } from '../src/dataplane/tls/self-signed-certificate.ts';
import type { SelfSignedKeyType } from '../src/dataplane/tls/self-signed-certificate.ts';

interface Pair {
  host: string;
  certPem: string;
  keyPem: string;
}

interface WorkerInput {
  pairs: Pair[];
  /** A bare node:tls server with the first pair, as the floor Node itself sets. */
  bare?: boolean;
}

const meta = { namespace: 'bench', labels: {}, annotations: {} };

function snapshotFor(pairs: Pair[]): Snapshot {
  const ingresses = new Map<string, Ingress>();
  const secrets = new Map<string, Secret>();
  pairs.forEach((p, i) => {
    const name = `site-${i}`;
    ingresses.set(`bench/${name}`, {
      kind: 'Ingress',
      metadata: { ...meta, name, creationTimestamp: '2024-01-01T00:00:00Z' },
      spec: {
        tls: [{ hosts: [p.host], secretName: `${name}-tls` }],
        rules: [{ host: p.host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
      },
    });
    secrets.set(`bench/${name}-tls`, { kind: 'Secret', metadata: { ...meta, name: `${name}-tls` }, type: 'kubernetes.io/tls', data: { 'tls.crt': p.certPem, 'tls.key': p.keyPem } });
  });
  const service: Service = { kind: 'Service', metadata: { ...meta, name: 'web' }, spec: { ports: [{ name: 'http', port: 80 }] } };
  const slice: EndpointSlice = {
    kind: 'EndpointSlice',
    metadata: { ...meta, name: 'web-1', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
    ports: [{ name: 'http', port: 9 }],
  };
  return {
    ingresses,
    ingressClasses: new Map(),
    services: new Map([['bench/web', service]]),
    endpointSlices: new Map([['bench/web-1', slice]]),
    secrets,
  };
}

function build(snapshot: Snapshot): RouteTable {
  return buildRouteTable(snapshot, {
    controllerName: 'gatehouse.dev/ingress-controller',
    watchIngressWithoutClass: true,
    inspectCertificate,
    now: new Date().toISOString(),
  }).table;
}

function pairs(count: number, keyType: SelfSignedKeyType, prefix: string): Pair[] {
  return Array.from({ length: count }, (_, i) => {
    const host = count === 1 ? `${prefix}.bench.example` : `${prefix}-${i}.bench.example`;
    return { host, ...generateSelfSignedCertificate({ keyType, dnsName: host, commonName: host }) };
  });
}

// ---- worker: the listener ----

async function runWorker(): Promise<void> {
  const input = workerData as WorkerInput;
  if (input.bare === true) {
    const server = createTlsServer({ cert: input.pairs[0]!.certPem, key: input.pairs[0]!.keyPem, ALPNProtocols: ['h2', 'http/1.1'] });
    server.on('tlsClientError', () => {});
    server.on('secureConnection', (socket) => socket.on('error', () => {}));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    parentPort!.postMessage({ port: (server.address() as AddressInfo).port });
    parentPort!.on('message', (m: string) => {
      if (m === 'cpu') parentPort!.postMessage({ cpuMicros: process.threadCpuUsage().user + process.threadCpuUsage().system });
      else server.close(() => parentPort!.postMessage({ closed: true }));
    });
    return;
  }
  const https = createHttpsListener({ dataPlane: new DataPlane() });
  https.apply(build(snapshotFor(input.pairs)));
  const port = await https.listen('127.0.0.1', 0);
  parentPort!.postMessage({ port });
  parentPort!.on('message', (m: string) => {
    // The listener thread's own CPU time: what a handshake costs the server, without the clients.
    if (m === 'cpu') parentPort!.postMessage({ cpuMicros: process.threadCpuUsage().user + process.threadCpuUsage().system });
    else void https.close(0).then(() => parentPort!.postMessage({ closed: true }));
  });
}

// ---- main: clients and the rotation measurement ----

interface HandshakeStats {
  handshakesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

let alpn = 'h2';

async function loadHandshakes(port: number, names: string[], seconds: number, concurrency: number): Promise<HandshakeStats> {
  const latencies: number[] = [];
  let errors = 0;
  let i = 0;
  const deadline = performance.now() + seconds * 1000;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const servername = names[i++ % names.length]!;
      const start = performance.now();
      const socket = connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false, ALPNProtocols: [alpn], minVersion: 'TLSv1.3' }, () => {
        latencies.push(performance.now() - start);
        socket.destroy();
        resolve();
      });
      socket.on('error', () => {
        errors++;
        resolve();
      });
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) await one();
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  return { handshakesPerSecond: latencies.length / elapsed, p50Ms: pct(50), p99Ms: pct(99), errors };
}

async function scenario(label: string, input: Pair[], seconds: number, concurrency: number, bare = false): Promise<void> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { pairs: input, bare } satisfies WorkerInput });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      worker.once('message', (m: { port: number }) => resolve(m.port));
      worker.once('error', reject);
    });
    const names = input.map((p) => p.host);
    const cpu = (): Promise<number> =>
      new Promise((resolve) => {
        worker.once('message', (m: { cpuMicros: number }) => resolve(m.cpuMicros));
        worker.postMessage('cpu');
      });
    await loadHandshakes(port, names, 1, concurrency); // warm-up
    const cpuBefore = await cpu();
    const r = await loadHandshakes(port, names, seconds, concurrency);
    const serverMicros = ((await cpu()) - cpuBefore) / (r.handshakesPerSecond * seconds);
    console.log(
      `${label.padEnd(34)} ${r.handshakesPerSecond.toFixed(0).padStart(6)} handshakes/s   p50 ${r.p50Ms.toFixed(1)} ms   p99 ${r.p99Ms.toFixed(1)} ms   ` +
        `errors ${r.errors}   server CPU ${serverMicros.toFixed(0)} µs/handshake (≈ ${(1e6 / serverMicros).toFixed(0)}/s per core)`,
    );
  } finally {
    worker.postMessage('close');
    await new Promise<void>((resolve) => {
      worker.once('message', () => resolve());
      setTimeout(resolve, 2000).unref();
    });
    await worker.terminate();
  }
}

function time<T>(fn: () => T): [T, number] {
  const start = performance.now();
  const value = fn();
  return [value, performance.now() - start];
}

function measureRotation(many: Pair[]): void {
  const dataPlane = new DataPlane();
  const https = createHttpsListener({ dataPlane });
  try {
    const snapshot = snapshotFor(many);
    const [table, coldBuild] = time(() => build(snapshot));
    const [, coldData] = time(() => dataPlane.apply(table));
    const [cold, coldTls] = time(() => https.apply(table));

    // One Secret rotated: a new certificate for site-0.
    const fresh = generateSelfSignedCertificate({ keyType: 'ec', dnsName: many[0]!.host });
    const rotated = new Map(snapshot.secrets);
    rotated.set('bench/site-0-tls', { ...snapshot.secrets.get('bench/site-0-tls')!, data: { 'tls.crt': fresh.certPem, 'tls.key': fresh.keyPem } });
    const [table2, warmBuild] = time(() => build({ ...snapshot, secrets: rotated }));
    const [, warmData] = time(() => dataPlane.apply(table2));
    const [warm, warmTls] = time(() => https.apply(table2));
    const served = https.certificateFor(many[0]!.host);

    console.log(`\nrotation with ${many.length} TLS Ingresses and Secrets (ms):`);
    console.log(`  first load   build ${coldBuild.toFixed(1)}   data plane ${coldData.toFixed(1)}   https.apply ${coldTls.toFixed(1)} (${cold.contextsBuilt} contexts built)`);
    console.log(`  one rotated  build ${warmBuild.toFixed(1)}   data plane ${warmData.toFixed(1)}   https.apply ${warmTls.toFixed(1)} (${warm.contextsBuilt} context built)`);
    console.log(`  total for a rotation: ${(warmBuild + warmData + warmTls).toFixed(1)} ms (+ the store's debounce hold-off); served after: ${served}`);
    const [, inspectCold] = time(() => {
      for (const p of many) inspectPemPair(p.certPem, p.keyPem);
    });
    const [, inspectWarm] = time(() => {
      for (const p of many) inspectCertificate(p.certPem, p.keyPem);
    });
    console.log(`  inspecting every Secret: ${inspectCold.toFixed(1)} ms uncached, ${inspectWarm.toFixed(1)} ms remembered (what a rebuild pays)`);
  } finally {
    void https.close(0);
    void dataPlane.stop(0);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      concurrency: { type: 'string', default: '32' },
      secrets: { type: 'string', default: '1000' },
      alpn: { type: 'string', default: 'h2' },
    },
  });
  alpn = values.alpn;
  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);
  const count = Number(values.secrets);

  const [many, genMs] = time(() => pairs(count, 'ec', 'site'));
  console.log(`generated ${count} ECDSA certificates in ${genMs.toFixed(0)} ms\n`);
  console.log(`full TLS 1.3 handshakes, ${concurrency} concurrent clients, ${seconds} s each:`);
  const one = pairs(1, 'ec', 'one');
  await scenario('reference: bare node:tls, ECDSA', one, seconds, concurrency, true);
  await scenario('1 certificate, ECDSA P-256', one, seconds, concurrency);
  await scenario('1 certificate, RSA 2048', pairs(1, 'rsa', 'one'), seconds, concurrency);
  await scenario(`${count} Secrets (ECDSA), SNI spread`, many, seconds, concurrency);
  measureRotation(many);
}

if (isMainThread) await main();
else await runWorker();
