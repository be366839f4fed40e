// Side-by-side benchmark: the same backend behind nginx (an equivalent reverse proxy with upstream
// keep-alive) and behind Gatehouse (the real CLI in manifest mode), each loaded with the same
// bounded wrk run. Prints requests/s, p50/p99 latency, RSS and the ratio Gatehouse/nginx.
//
//   npm run bench                      # builds, then one run of each (10 s, 2 threads, 64 connections)
//   npm run bench -- --profile         # also CPU-profiles Gatehouse and prints where the time goes
//   npm run bench -- --rounds 3        # alternate the two proxies three times; median ratio
//   npm run bench -- --baseline        # also a bare Node http + undici proxy: the architecture's ceiling
//   npm run bench -- --access-log-off  # also Gatehouse with --access-log off: what the access log costs
//   npm run bench -- --ref ../old      # also the Gatehouse built in another checkout (its dist/), as
//                                      # gh-ref: a change measured against the code before it, in one run
//   node bench/run.ts --duration 5 --connections 32 --backend node
//   npm run bench -- --cases [--case 1w-log-c50,...] [--rounds 3] [--duration 10]
//                                      # the cases of issue 10 against nginx (bench/cases.ts)
//   npm run bench -- --cases --gatehouse-args '--listen-sockets 1'
//                                      # ... with extra flags for Gatehouse (compare a setting)
//   npm run bench -- --cases --gatehouse-node-args=--heap-growing-percent=300   # ... node's own
//   npm run bench -- --metrics-cost --rounds 5 --duration 3 --warmup 1
//                                      # Gatehouse with per-request metrics on vs --no-metrics,
//                                      # both loaded at once each round: the throughput ratio (goal >= 0.95)
//
// Needs wrk and nginx (Debian: apt-get install wrk nginx). Everything listens on 127.0.0.x and is
// stopped at the end, whatever happens. Both proxies run one process (nginx: worker_processes 1),
// both log every request to a file, both set X-Forwarded-For/-Proto/-Host/-Port, X-Real-IP and
// X-Request-ID.
import { freePort, killAll, latency, median, processTreeKiB, stop, track } from './bench-processes.ts';
import { BENCH_HOST, NGINX, nginxBackendConfig, nginxProxyConfig, startNginx } from './bench-nginx.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { printProfileSummary, summarizeProfile } from './profile-summary.ts';

const ROOT = resolve(import.meta.dirname, '..');
const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => existsSync(p));
const HOST = BENCH_HOST;

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    connections: { type: 'string', default: '64' },
    backend: { type: 'string', default: 'nginx' },
    profile: { type: 'boolean', default: false },
    only: { type: 'string' },
    keep: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '1' },
    baseline: { type: 'boolean', default: false },
    'metrics-cost': { type: 'boolean', default: false },
    'access-log-off': { type: 'boolean', default: false },
    cases: { type: 'boolean', default: false },
    ref: { type: 'string' },
    case: { type: 'string' },
    'gatehouse-args': { type: 'string' },
    'gatehouse-node-args': { type: 'string' },
  },
});

interface Result {
  name: string;
  requestsPerSecond: number;
  /** CPU time of the proxy process per request in the measured run (robust to load from elsewhere). */
  cpuUsPerRequest: number;
  /** The part of it spent in the kernel (socket syscalls, loopback TCP): the rest is user space. */
  sysUsPerRequest: number;
  p50Ms: number;
  p99Ms: number;
  errors: string;
  rssMiB: number;
  peakRssMiB: number;
}

const work = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
chmodSync(work, 0o755); // nginx workers may run as another user

async function main(): Promise<void> {
  if (args.cases) {
    const { runCases } = await import('./cases.ts');
    const only = args.case?.split(',').map((c) => c.trim());
    return runCases({ duration: Number(args.duration), warmup: Number(args.warmup), rounds: Math.max(1, Number(args.rounds)), only, backend: args.backend === 'node' ? 'node' : 'nginx', keep: args.keep, gatehouseArgs: args['gatehouse-args']?.split(' ').filter((a) => a !== '') ?? [], gatehouseNodeArgs: args['gatehouse-node-args']?.split(' ').filter((a) => a !== '') ?? [] });
  }
  if (!NGINX || !WRK) {
    console.error('bench: needs wrk and nginx on PATH (Debian: apt-get install -y wrk nginx)');
    process.exit(1);
  }
  const cli = join(ROOT, 'dist/src/cli.js');
  if (!existsSync(cli)) {
    console.error('bench: dist/src/cli.js is missing: run `npm run build` first (npm run bench does)');
    process.exit(1);
  }
  const backendPort = await freePort('127.0.0.2');
  const backend = args.backend === 'node' ? await startNodeBackend(backendPort) : await startNginx(work, 'backend', nginxBackendConfig(work, backendPort, 'hello from the backend'));
  await waitForHttp('127.0.0.2', backendPort, undefined);

  // Both proxies stay up for the whole run; rounds alternate between them so that load from
  // elsewhere on the machine hits both alike. Each round: a warm-up, then the measured run.
  const targets: { name: string; port: number; child: ChildProcess }[] = [];
  if (args['metrics-cost']) {
    // Two Gatehouses side by side, the same but for the per-request observer; nothing else.
    for (const [name, extra] of [['metrics-on', []], ['metrics-off', ['--no-metrics']]] as const) {
      const port = await freePort('127.0.0.1');
      targets.push({ name, port, child: await startGatehouse(cli, port, backendPort, extra) });
    }
  } else if (args.only !== 'gatehouse') {
    const port = await freePort('127.0.0.1');
    targets.push({ name: 'nginx', port, child: await startNginx(work, 'proxy', nginxProxyConfig(work, backendPort, { name: 'proxy', workers: 1, accessLog: true, listen: `listen 127.0.0.1:${port};` })) });
  }
  if (args.only !== 'nginx' && !args['metrics-cost']) {
    const port = await freePort('127.0.0.1');
    targets.push({ name: 'gatehouse', port, child: await startGatehouse(cli, port, backendPort) });
  }
  if (args.ref !== undefined) {
    const refCli = resolve(args.ref, 'dist/src/cli.js');
    if (!existsSync(refCli)) throw new Error(`--ref: ${refCli} is missing (run npm run build there first)`);
    const port = await freePort('127.0.0.1');
    targets.push({ name: 'gh-ref', port, child: await startGatehouse(refCli, port, backendPort, [], 'gh-ref') });
  }
  if (args['access-log-off']) {
    const port = await freePort('127.0.0.1');
    targets.push({ name: 'gh-nolog', port, child: await startGatehouse(cli, port, backendPort, ['--access-log', 'off'], 'gh-nolog') });
  }
  if (args.baseline) {
    const port = await freePort('127.0.0.1');
    const child = track(spawn(process.execPath, [join(ROOT, 'bench/minimal-proxy.ts'), String(port), String(backendPort)], { stdio: 'inherit' }));
    targets.push({ name: 'node-bare', port, child });
  }
  for (const t of targets) await waitForHttp('127.0.0.1', t.port, HOST);
  const results: Result[] = [];
  const rounds = Math.max(1, Number(args.rounds));
  for (let round = 1; round <= rounds; round++) {
    const label = rounds > 1 ? ` (round ${round}/${rounds})` : '';
    // Metrics on and off are loaded at the same time, one wrk thread each: whatever else the
    // machine is doing then slows both alike, so their ratio holds where back-to-back runs swing.
    if (args['metrics-cost']) results.push(...(await Promise.all(targets.map((t) => load(t.name, t.port, t.child.pid!, label, '1')))));
    else for (const t of targets) results.push(await load(t.name, t.port, t.child.pid!, label));
  }
  for (const t of targets) await stop(t.child);
  await stop(backend);
  report(results);
  if (args.profile) {
    const profiles = readdirSync(join(work, 'profile')).filter((f) => f.endsWith('.cpuprofile'));
    if (profiles.length === 0) console.log('\n(no CPU profile was written)');
    for (const f of profiles) {
      const path = join(work, 'profile', f);
      printProfileSummary(summarizeProfile(path));
      console.log(`\nprofile: ${path}`);
    }
  }
}

async function startNodeBackend(port: number): Promise<ChildProcess> {
  const code = `require('node:http').createServer({ keepAliveTimeout: 75000 }, (q, s) => { s.writeHead(200, { 'content-type': 'text/plain', 'content-length': 23 }); s.end('hello from the backend\\n'); }).listen(${port}, '127.0.0.2');`;
  return track(spawn(process.execPath, ['-e', code], { stdio: 'inherit' }));
}

async function startGatehouse(cli: string, port: number, backendPort: number, extraArgs: readonly string[] = [], name = `gatehouse-${port}`): Promise<ChildProcess> {
  const manifests = join(work, 'manifests');
  mkdirSync(manifests, { recursive: true });
  // Multi-document YAML (each document written as JSON, which YAML reads as is).
  const docs = [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'bench', namespace: 'default' },
      spec: { rules: [{ host: HOST, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'bench', port: { number: 80 } } } }] } }] },
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
  ];
  writeFileSync(join(manifests, 'bench.yaml'), docs.map((d) => JSON.stringify(d)).join('\n---\n'));
  const log = openSync(join(work, `${name}.log`), 'w');
  const nodeArgs = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(work, 'profile')}`] : [];
  const [httpsPort, adminPort] = [await freePort('127.0.0.1'), await freePort('127.0.0.1')];
  // One data-plane thread, like nginx's worker_processes 1 (the default is one per CPU).
  const workers = extraArgs.includes('--workers') ? [] : ['--workers', '1'];
  return track(
    spawn(
      process.execPath,
      [...nodeArgs, cli, 'serve', '--manifests', manifests, '--bind', '127.0.0.1', '--http-port', String(port), '--https-port', String(httpsPort), '--admin-bind', '127.0.0.1', '--admin-port', String(adminPort), '--drain-seconds', '1', ...workers, ...extraArgs],
      { stdio: ['ignore', log, 'inherit'] },
    ),
  );
}

async function load(name: string, port: number, pid: number, label: string, threads = args.threads!): Promise<Result> {
  const url = `http://127.0.0.1:${port}/`;
  const common = ['-t', threads, '-c', args.connections!, '-H', `Host: ${HOST}`];
  console.log(`${name}${label}: warm-up ${args.warmup} s, then ${args.duration} s with ${threads} threads and ${args.connections} connections`);
  await runWrk([...common, '-d', `${args.warmup}s`, url], Number(args.warmup));
  const cpuBefore = processTreeCpuSeconds(pid);
  const out = await runWrk([...common, '-d', `${args.duration}s`, '--latency', url], Number(args.duration));
  if (args.keep) writeFileSync(join(work, `${name}-wrk.txt`), out);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const cpuAfter = processTreeCpuSeconds(pid);
  const cpuUsPerRequest = ((cpuAfter.user + cpuAfter.sys - cpuBefore.user - cpuBefore.sys) * 1e6) / requests;
  const sysUsPerRequest = ((cpuAfter.sys - cpuBefore.sys) * 1e6) / requests;
  const errors = [/Socket errors:[^\n]*/.exec(out)?.[0], /Non-2xx or 3xx responses:[^\n]*/.exec(out)?.[0]].filter(Boolean).join('; ') || 'none';
  const rss = processTreeKiB(pid, 'VmRSS') / 1024;
  const peak = processTreeKiB(pid, 'VmHWM') / 1024;
  return { name, requestsPerSecond: rps, cpuUsPerRequest, sysUsPerRequest, p50Ms: latency(out, '50%'), p99Ms: latency(out, '99%'), errors, rssMiB: rss, peakRssMiB: peak };
}

/** Runs wrk to completion (bounded: killed 30 s after its duration) and returns its output. */
function runWrk(wrkArgs: string[], seconds: number): Promise<string> {
  return new Promise((resolveRun) => {
    const child = spawn(WRK!, wrkArgs, { stdio: ['ignore', 'pipe', 'ignore'] });
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


/** User and system CPU seconds of a process and its children (/proc/PID/stat, clock ticks of 1/100 s). */
function processTreeCpuSeconds(pid: number): { user: number; sys: number } {
  let user = 0;
  let sys = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) in parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(entry) !== pid && Number(fields[1]) !== pid) continue;
      user += Number(fields[11]);
      sys += Number(fields[12]);
    } catch {
      // the process went away meanwhile
    }
  }
  return { user: user / 100, sys: sys / 100 };
}


function report(results: Result[]): void {
  console.log('');
  console.log('proxy         req/s   CPU us/req (kernel)   p50 ms   p99 ms   RSS MiB (peak)   errors');
  for (const r of results) {
    console.log(
      `${r.name.padEnd(11)} ${r.requestsPerSecond.toFixed(0).padStart(8)}   ${r.cpuUsPerRequest.toFixed(1).padStart(9)} (${r.sysUsPerRequest.toFixed(1).padStart(5)})  ${r.p50Ms.toFixed(2).padStart(7)}  ${r.p99Ms.toFixed(2).padStart(7)}   ${r.rssMiB.toFixed(1).padStart(6)} (${r.peakRssMiB.toFixed(1)})   ${r.errors}`,
    );
  }
  const rps = (name: string): number[] => results.filter((r) => r.name === name).map((r) => r.requestsPerSecond);
  const n = rps('nginx');
  const g = rps('gatehouse');
  if (n.length > 0 && g.length > 0) {
    const ratios = g.map((x, i) => x / (n[i] ?? NaN));
    const summary = ratios.length > 1 ? ` per round: ${ratios.map((r) => r.toFixed(2)).join(', ')}; median ${median(ratios).toFixed(2)}x` : '';
    console.log(`\nratio gatehouse/nginx: ${(median(g) / median(n)).toFixed(2)}x (goal >= 0.5x)${summary}`);
  }
  const on = rps('metrics-on');
  const off = rps('metrics-off');
  if (on.length > 0 && off.length > 0) {
    const ratios = on.map((x, i) => x / (off[i] ?? NaN));
    console.log(`\nthroughput metrics-on/metrics-off: median of rounds ${median(ratios).toFixed(3)}x (per round: ${ratios.map((r) => r.toFixed(3)).join(', ')}; goal >= 0.95)`);
    // On a shared machine throughput swings with other load; CPU time per request does not, and
    // for a CPU-bound single-threaded proxy throughput is its inverse.
    const cpu = (name: string): number[] => results.filter((r) => r.name === name).map((r) => r.cpuUsPerRequest);
    const cpuRatios = cpu('metrics-off').map((x, i) => x / (cpu('metrics-on')[i] ?? NaN));
    console.log(`CPU per request metrics-off/metrics-on (throughput-equivalent): median ${median(cpuRatios).toFixed(3)}x (per round: ${cpuRatios.map((r) => r.toFixed(3)).join(', ')}; goal >= 0.95)`);
  }
  const noLog = rps('gh-nolog');
  if (noLog.length > 0 && g.length > 0) {
    const ratios = g.map((x, i) => x / (noLog[i] ?? NaN));
    console.log(`ratio gatehouse (access log on, to a file)/gh-nolog (--access-log off): per round ${ratios.map((r) => r.toFixed(2)).join(', ')}; median ${median(ratios).toFixed(2)}x (goal >= 0.9x)`);
    const cpu = (name: string): number[] => results.filter((r) => r.name === name).map((r) => r.cpuUsPerRequest);
    console.log(`CPU per request, access log on/off: median ${median(cpu('gatehouse')).toFixed(1)} / ${median(cpu('gh-nolog')).toFixed(1)} µs = ${(median(cpu('gatehouse')) / median(cpu('gh-nolog'))).toFixed(2)}x (throughput ratio when CPU-bound: ${(median(cpu('gh-nolog')) / median(cpu('gatehouse'))).toFixed(2)}x)`);
  }
  const ref = rps('gh-ref');
  if (ref.length > 0 && g.length > 0) {
    const ratios = g.map((x, i) => x / (ref[i] ?? NaN));
    const cpu = (name: string): number[] => results.filter((r) => r.name === name).map((r) => r.cpuUsPerRequest);
    console.log(`ratio gatehouse/gh-ref (--ref ${args.ref}): per round ${ratios.map((r) => r.toFixed(2)).join(', ')}; median ${median(ratios).toFixed(2)}x; CPU per request ${median(cpu('gatehouse')).toFixed(1)} / ${median(cpu('gh-ref')).toFixed(1)} µs`);
    if (n.length > 0) console.log(`ratio gh-ref/nginx: median ${median(ref.map((x, i) => x / (n[i] ?? NaN))).toFixed(2)}x`);
  }
  const b = rps('node-bare');
  if (b.length > 0 && n.length > 0) console.log(`ratio node-bare/nginx: ${(median(b) / median(n)).toFixed(2)}x`);
  if (b.length > 0 && g.length > 0) console.log(`ratio gatehouse/node-bare: ${(median(g) / median(b)).toFixed(2)}x (the cost of every feature)`);
  console.log(`backend: ${args.backend}; machine: ${readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)?.length ?? '?'} CPUs; node ${process.version}`);
}





async function waitForHttp(address: string, port: number, host: string | undefined): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const status = await new Promise<number>((done) => {
      const req = httpRequest({ host: address, port, path: '/', headers: host ? { host } : {}, agent: false }, (res) => {
        res.resume();
        done(res.statusCode ?? 0);
      });
      req.on('error', () => done(0));
      req.end();
    });
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`nothing answered 200 on ${address}:${port} within 20 s (last status ${status})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

try {
  await main();
} finally {
  killAll();
  if (!args.keep && !args.profile) rmSync(work, { recursive: true, force: true });
}
