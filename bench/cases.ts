// The bench cases of issue 10: Gatehouse against nginx, configured alike and loaded alike, each
// case printed with its ratios to nginx measured in the same invocation, rounds interleaved
// (nginx, Gatehouse, nginx, Gatehouse...) so that load from elsewhere hits both alike.
//
//   npm run bench -- --cases                          # every case, 1 round
//   npm run bench -- --cases --rounds 3 --duration 10 # what the targets are judged on
//   npm run bench -- --cases --case 1w-log-c50,https-h2
//
// Cases (both proxies log every request to a file unless the case says "nolog"; keep-alive clients
// unless "close"; one wrk thread, -t1):
//   1w-log-c50, 1w-log-c500      --workers 1 vs nginx worker_processes 1: goal >= 0.75x req/s, p99 <= 1.5x
//   1w-nolog-c50, 1w-nolog-c500  the same with access logs off: goal >= 0.8x
//   1w-close-c50                 a new connection per request (Connection: close): goal >= 0.6x
//   2w-log-c50                   --workers 2 vs worker_processes 2: the 1w ratio within 10% (on 2
//                                cores shared with wrk and the backend, a correctness check)
//   https-h1                     TLS 1.3, keep-alive, HTTP/1.1 (wrk): ratio reported, no goal
//   https-h2                     TLS 1.3, h2 (h2load, Debian nghttp2-client; skipped with a note when absent)
// Also printed: RSS of the Gatehouse process after the run and its peak (goal <= 100 MiB per
// data-plane worker), and failed requests (socket errors, timeouts, non-2xx) for both.
//
// Needs wrk, nginx and openssl (and h2load for https-h2). Everything listens on 127.0.0.x and is
// stopped at the end, whatever happens.
import { freePort, killAll, latency, median, processTreeKiB, stop, track } from './bench-processes.ts';
import { BENCH_HOST, NGINX, nginxBackendConfig, nginxProxyConfig, startNginx } from './bench-nginx.ts';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => existsSync(p));
const H2LOAD = ['/usr/bin/h2load', '/usr/local/bin/h2load'].find((p) => existsSync(p));
const HOST = BENCH_HOST;

export interface CasesOptions {
  duration: number;
  warmup: number;
  rounds: number;
  only: string[] | undefined;
  backend: 'nginx' | 'node';
  keep: boolean;
  /** Appended to every Gatehouse command line (--gatehouse-args), to compare a setting. */
  gatehouseArgs: string[];
  /** Node's own arguments for Gatehouse (--gatehouse-node-args), e.g. a V8 flag. */
  gatehouseNodeArgs: string[];
}

interface BenchCase {
  name: string;
  workers: number;
  log: boolean;
  connections: number;
  close?: boolean;
  tls?: 'h1' | 'h2';
  goal: string;
}

const CASES: BenchCase[] = [
  { name: '1w-log-c50', workers: 1, log: true, connections: 50, goal: '>= 0.75x req/s, p99 <= 1.5x, RSS <= 100 MiB, no failed request' },
  { name: '1w-log-c500', workers: 1, log: true, connections: 500, goal: '>= 0.75x req/s, p99 <= 1.5x, RSS <= 100 MiB, no failed request' },
  { name: '1w-nolog-c50', workers: 1, log: false, connections: 50, goal: '>= 0.8x req/s' },
  { name: '1w-nolog-c500', workers: 1, log: false, connections: 500, goal: '>= 0.8x req/s' },
  { name: '1w-close-c50', workers: 1, log: true, connections: 50, close: true, goal: '>= 0.6x req/s' },
  { name: '2w-log-c50', workers: 2, log: true, connections: 50, goal: 'the 1w-log-c50 ratio within 10%' },
  { name: 'https-h1', workers: 1, log: true, connections: 50, tls: 'h1', goal: 'reported (no goal yet)' },
  { name: 'https-h2', workers: 1, log: true, connections: 50, tls: 'h2', goal: 'reported (no goal yet)' },
];

interface Run {
  rps: number;
  p99Ms: number;
  failed: number;
  rssMiB: number;
  peakRssMiB: number;
}

interface Target {
  child: ChildProcess;
  port: number;
}


export async function runCases(options: CasesOptions): Promise<void> {
  if (!NGINX || !WRK) throw new Error('bench: needs wrk and nginx on PATH (Debian: apt-get install -y wrk nginx)');
  const cli = join(ROOT, 'dist/src/cli.js');
  if (!existsSync(cli)) throw new Error('bench: dist/src/cli.js is missing: run `npm run build` first (npm run bench does)');
  const work = mkdtempSync(join(tmpdir(), 'gatehouse-bench-cases-'));
  chmodSync(work, 0o755); // nginx workers may run as another user
  try {
    const cert = makeCertificate(work);
    const backendPort = await freePort('127.0.0.2');
    const backend =
      options.backend === 'node'
        ? track(spawn(process.execPath, ['-e', `require('node:http').createServer({ keepAliveTimeout: 75000 }, (q, s) => { s.writeHead(200, { 'content-type': 'text/plain', 'content-length': 100 }); s.end('x'.repeat(99) + '\\n'); }).listen(${backendPort}, '127.0.0.2');`], { stdio: 'inherit' }))
        : await startNginx(work, 'backend', nginxBackendConfig(work, backendPort, 'x'.repeat(99)));
    await waitForHttp('127.0.0.2', backendPort, undefined, false);
    const lines: string[] = [];
    const ratio1w: number[] = [];
    for (const c of CASES) {
      if (options.only !== undefined && !options.only.includes(c.name)) continue;
      if (c.tls === 'h2' && H2LOAD === undefined) {
        lines.push(`${c.name.padEnd(14)} skipped: h2load is not installed (Debian: apt-get install nghttp2-client)`);
        continue;
      }
      const nginx = await startNginxProxy(work, c, backendPort, cert);
      const gatehouse = await startGatehouse(work, cli, c, backendPort, cert, options.gatehouseArgs, options.gatehouseNodeArgs);
      const n: Run[] = [];
      const g: Run[] = [];
      try {
        for (const t of [nginx, gatehouse]) await waitForHttp('127.0.0.1', t.port, HOST, c.tls !== undefined);
        for (let round = 1; round <= options.rounds; round++) {
          console.log(`${c.name} round ${round}/${options.rounds}: nginx, then gatehouse (${options.warmup} s warm-up + ${options.duration} s each)`);
          n.push(await load(c, nginx, options));
          g.push(await load(c, gatehouse, options));
        }
      } finally {
        await stop(nginx.child);
        await stop(gatehouse.child);
      }
      const rpsRatio = median(g.map((x, i) => x.rps / n[i]!.rps));
      const p99Ratio = median(g.map((x, i) => x.p99Ms / n[i]!.p99Ms));
      if (c.name === '1w-log-c50' || c.name === '2w-log-c50') ratio1w.push(rpsRatio);
      const gRss = Math.max(...g.map((x) => x.rssMiB));
      const gPeak = Math.max(...g.map((x) => x.peakRssMiB));
      const line =
        `${c.name.padEnd(14)} nginx ${median(n.map((x) => x.rps)).toFixed(0).padStart(7)} req/s p99 ${fmt(median(n.map((x) => x.p99Ms)))} failed ${sum(n.map((x) => x.failed))} | ` +
          `gatehouse ${median(g.map((x) => x.rps)).toFixed(0).padStart(7)} req/s p99 ${fmt(median(g.map((x) => x.p99Ms)))} failed ${sum(g.map((x) => x.failed))} ` +
          `RSS ${gRss.toFixed(0)} MiB (peak ${gPeak.toFixed(0)}; ${(gPeak / c.workers).toFixed(0)} per worker) | ` +
          `ratio ${rpsRatio.toFixed(2)}x req/s, ${Number.isFinite(p99Ratio) ? p99Ratio.toFixed(2) + 'x' : 'n/a'} p99${options.rounds > 1 ? ` (per round ${g.map((x, i) => (x.rps / n[i]!.rps).toFixed(2)).join(', ')})` : ''}   goal: ${c.goal}   (load average ${loadavg()[0]!.toFixed(1)})`;
      console.log(line);
      lines.push(line);
    }
    await stop(backend);
    console.log('');
    for (const l of lines) console.log(l);
    if (ratio1w.length === 2) console.log(`\n2 workers vs 1: ratio ${ratio1w[1]!.toFixed(2)}x against ${ratio1w[0]!.toFixed(2)}x (goal: within 10%)`);
    console.log(`\nwrk -t1 (h2load -t1 -m10 for h2); p99 from wrk --latency (h2load reports no p99: its mean is shown); backend: ${options.backend}; ${readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)?.length ?? '?'} CPUs; node ${process.version}`);
  } finally {
    killAll();
    if (!options.keep) rmSync(work, { recursive: true, force: true });
  }
}

function fmt(ms: number): string {
  return Number.isFinite(ms) ? `${ms.toFixed(2)} ms` : 'n/a';
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}


function makeCertificate(work: string): { cert: string; key: string } {
  const cert = join(work, 'bench.crt');
  const key = join(work, 'bench.key');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${HOST}`, '-addext', `subjectAltName=DNS:${HOST}`, '-keyout', key, '-out', cert], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  chmodSync(key, 0o644); // nginx workers may run as another user
  return { cert, key };
}

function proxyConfig(work: string, c: BenchCase, port: number, backendPort: number, cert: { cert: string; key: string }): string {
  // \`listen ... http2\` rather than \`http2 on\`: Debian 12's nginx (1.22) predates the directive.
  const listen = c.tls === undefined ? `listen 127.0.0.1:${port} reuseport;` : `listen 127.0.0.1:${port} ssl${c.tls === 'h2' ? ' http2' : ''} reuseport;\n    ssl_certificate ${cert.cert};\n    ssl_certificate_key ${cert.key};\n    ssl_protocols TLSv1.3;`;
  return nginxProxyConfig(work, backendPort, { name: `proxy-${c.name}`, workers: c.workers, accessLog: c.log, listen });
}

async function startNginxProxy(work: string, c: BenchCase, backendPort: number, cert: { cert: string; key: string }): Promise<Target> {
  const port = await freePort('127.0.0.1');
  return { port, child: await startNginx(work, `proxy-${c.name}`, proxyConfig(work, c, port, backendPort, cert)) };
}

async function startGatehouse(work: string, cli: string, c: BenchCase, backendPort: number, cert: { cert: string; key: string }, extraArgs: readonly string[], nodeArgs: readonly string[]): Promise<Target> {
  const manifests = join(work, `manifests-${c.name}`);
  mkdirSync(manifests, { recursive: true });
  const docs: unknown[] = [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'bench', namespace: 'default' },
      spec: {
        ...(c.tls === undefined ? {} : { tls: [{ hosts: [HOST], secretName: 'bench-tls' }] }),
        rules: [{ host: HOST, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'bench', port: { number: 80 } } } }] } }],
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'bench', namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80, targetPort: backendPort }] } },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'bench-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'bench' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: backendPort, protocol: 'TCP' }],
      endpoints: [{ addresses: ['127.0.0.2'], conditions: { ready: true } }],
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'bench-tls', namespace: 'default' },
      type: 'kubernetes.io/tls',
      stringData: { 'tls.crt': readFileSync(cert.cert, 'utf8'), 'tls.key': readFileSync(cert.key, 'utf8') },
    },
  ];
  writeFileSync(join(manifests, 'bench.yaml'), docs.map((d) => JSON.stringify(d)).join('\n---\n'));
  const [httpPort, httpsPort, adminPort] = [await freePort('127.0.0.1'), await freePort('127.0.0.1'), await freePort('127.0.0.1')];
  const log = openSync(join(work, `gatehouse-${c.name}.log`), 'w');
  const child = track(
    spawn(
      process.execPath,
      [
        ...nodeArgs,
        cli, 'serve', '--manifests', manifests, '--bind', '127.0.0.1', '--http-port', String(httpPort), '--https-port', String(httpsPort),
        '--admin-bind', '127.0.0.1', '--admin-port', String(adminPort), '--drain-seconds', '1', '--workers', String(c.workers),
        ...(c.log ? ['--access-log-file', join(work, `gatehouse-access-${c.name}.log`)] : ['--access-log', 'off']),
        ...extraArgs,
      ],
      { stdio: ['ignore', log, 'inherit'] },
    ),
  );
  return { child, port: c.tls === undefined ? httpPort : httpsPort };
}

async function load(c: BenchCase, t: Target, o: CasesOptions): Promise<Run> {
  const pid = t.child.pid!;
  if (c.tls === 'h2') {
    const h2 = (seconds: number) => ['-t1', '-m10', `-c${c.connections}`, '-D', String(seconds), '-H', `:authority: ${HOST}`, `https://127.0.0.1:${t.port}/`];
    await runTool(H2LOAD!, h2(o.warmup), o.warmup);
    const out = await runTool(H2LOAD!, h2(o.duration), o.duration);
    const rps = Number(/finished in [^,]+, ([\d.]+) req\/s/.exec(out)?.[1] ?? NaN);
    const m = /time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)/.exec(out);
    const mean = m === null ? NaN : Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
    const status = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
    const failedReq = Number(/requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed, (\d+) errored/.exec(out)?.[1] ?? 0);
    const failed = failedReq + (status === null ? 0 : Number(status[3]) + Number(status[4]));
    return { rps, p99Ms: mean, failed, rssMiB: processTreeKiB(pid, 'VmRSS') / 1024, peakRssMiB: processTreeKiB(pid, 'VmHWM') / 1024 };
  }
  const scheme = c.tls === undefined ? 'http' : 'https';
  const common = ['-t1', `-c${c.connections}`, '-H', `Host: ${HOST}`, ...(c.close ? ['-H', 'Connection: close'] : [])];
  const url = `${scheme}://127.0.0.1:${t.port}/`;
  await runTool(WRK!, [...common, '-d', `${o.warmup}s`, url], o.warmup);
  const out = await runTool(WRK!, [...common, '-d', `${o.duration}s`, '--latency', url], o.duration);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  // With Connection: close a read error is each connection's orderly close as wrk counts it: not a failure.
  const socketFailed = socket === null ? 0 : Number(socket[1]) + (c.close ? 0 : Number(socket[2])) + Number(socket[3]) + Number(socket[4]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return { rps, p99Ms: latency(out, '99%'), failed: socketFailed + non2xx, rssMiB: processTreeKiB(pid, 'VmRSS') / 1024, peakRssMiB: processTreeKiB(pid, 'VmHWM') / 1024 };
}

/** Runs a load tool to completion (bounded: killed 30 s after its duration) and returns its output. */
function runTool(tool: string, toolArgs: string[], seconds: number): Promise<string> {
  return new Promise((resolveRun) => {
    const child = spawn(tool, toolArgs, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (c: string) => (out += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
    child.once('close', () => {
      clearTimeout(timer);
      resolveRun(out);
    });
  });
}






async function waitForHttp(address: string, port: number, host: string | undefined, tls: boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = tls ? await tlsStatus(address, port) : await new Promise<number>((done) => {
      const req = httpRequest({ host: address, port, path: '/', headers: host ? { host } : {}, agent: false }, (res) => {
        res.resume();
        done(res.statusCode ?? 0);
      });
      req.on('error', () => done(0));
      req.end();
    });
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`nothing answered 200 on ${address}:${port} within 30 s (last status ${status})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function tlsStatus(address: string, port: number): Promise<number> {
  const { request } = await import('node:https');
  return new Promise<number>((done) => {
    const req = request({ host: address, port, path: '/', headers: { host: HOST }, servername: HOST, rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.on('error', () => done(0));
    req.end();
  });
}
