// The HTTP/1 engine as a bare proxy, side by side (issue 10): nginx (worker_processes 1, upstream
// keep-alive, no access log), bench/minimal-proxy.ts (Node's http server + undici Pool.dispatch)
// and bench/engine-minimal-proxy.ts (the engine + the same undici dispatch), all in front of the
// same nginx backend answering 100-byte bodies. Rounds alternate the four (the machine is shared:
// read the ratios within a round). Prints req/s, p99, RSS and the ratios.
//
//   node bench/engine-proxy.ts [--duration 3] [--rounds 3] [--connections 50]
//
// Needs wrk and nginx (Debian: apt-get install -y wrk nginx-light). Everything listens on 127.0.0.x.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => existsSync(p));
const { values: args } = parseArgs({ options: { duration: { type: 'string', default: '3' }, rounds: { type: 'string', default: '3' }, connections: { type: 'string', default: '50' } } });
const work = mkdtempSync(join(tmpdir(), 'gatehouse-engine-bench-'));
chmodSync(work, 0o755);
const children: ChildProcess[] = [];

function freePort(host: string): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen({ host, port: 0 }, () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => done(p));
    });
  });
}

function nginx(name: string, body: string): ChildProcess {
  const temp = join(work, `${name}-temp`);
  mkdirSync(temp, { recursive: true });
  chmodSync(temp, 0o777);
  const file = join(work, `${name}.conf`);
  const paths = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${temp}/${t};`).join(' ');
  writeFileSync(file, `worker_processes 1; daemon off; pid ${work}/${name}.pid; error_log ${work}/${name}-error.log warn;
events { worker_connections 4096; }
http { access_log off; ${paths} keepalive_requests 1000000; ${body} }`);
  const child = spawn(NGINX!, ['-c', file, '-p', work], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
}

async function waitFor(port: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ok = await new Promise<boolean>((done) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/', headers: { host: 'bench.example.com' }, agent: false }, (res) => {
        res.resume();
        done(res.statusCode === 200);
      });
      req.on('error', () => done(false));
      req.end();
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing answered 200 on port ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function rssMiB(pid: number): number {
  let kib = 0;
  for (const entry of ['self', ...readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)]) {
    const p = entry === 'self' ? pid : Number(entry);
    try {
      kib += Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kib / 1024;
}

interface Run {
  name: string;
  rps: number;
  p99: number;
  errors: string;
  rss: number;
}

function load(name: string, port: number, pid: number): Run {
  const common = ['-t', '1', '-c', args.connections!, '-H', 'Host: bench.example.com', `http://127.0.0.1:${port}/`];
  spawnSync(WRK!, ['-d', '1s', ...common]);
  const out = spawnSync(WRK!, ['-d', `${args.duration}s`, '--latency', ...common], { encoding: 'utf8' }).stdout;
  const m = /^\s+99%\s+([\d.]+)(us|ms|s)/m.exec(out);
  const p99 = m ? Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1) : NaN;
  const errors = [/Socket errors:[^\n]*/.exec(out)?.[0], /Non-2xx or 3xx responses:[^\n]*/.exec(out)?.[0]].filter(Boolean).join('; ') || 'none';
  return { name, rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN), p99, errors, rss: rssMiB(pid) };
}

async function main(): Promise<void> {
  if (!NGINX || !WRK) throw new Error('needs wrk and nginx (apt-get install -y wrk nginx-light)');
  const backendPort = await freePort('127.0.0.2');
  nginx('backend', `server { listen 127.0.0.2:${backendPort}; location / { default_type text/plain; return 200 "${'x'.repeat(99)}\\n"; } }`);
  const targets: { name: string; port: number; child: ChildProcess }[] = [];
  const nginxPort = await freePort('127.0.0.1');
  targets.push({ name: 'nginx', port: nginxPort, child: nginx('proxy', `upstream backend { server 127.0.0.2:${backendPort}; keepalive 64; keepalive_requests 1000000; } server { listen 127.0.0.1:${nginxPort}; location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; } }`) });
  for (const [name, script, client] of [['node-http', 'bench/minimal-proxy.ts', ''], ['engine', 'bench/engine-minimal-proxy.ts', 'undici'], ['engine-own', 'bench/engine-minimal-proxy.ts', 'own']] as const) {
    const port = await freePort('127.0.0.1');
    const child = spawn(process.execPath, [join(ROOT, script), String(port), String(backendPort), client], { stdio: 'inherit' });
    children.push(child);
    targets.push({ name, port, child });
  }
  await waitFor(backendPort === 0 ? 0 : nginxPort);
  for (const t of targets) await waitFor(t.port);
  const runs: Run[] = [];
  for (let round = 1; round <= Number(args.rounds); round++) {
    for (const t of targets) {
      const r = load(t.name, t.port, t.child.pid!);
      runs.push(r);
      console.log(`round ${round} ${r.name.padEnd(10)} ${r.rps.toFixed(0).padStart(7)} req/s  p99 ${r.p99.toFixed(2)} ms  RSS ${r.rss.toFixed(0)} MiB  errors: ${r.errors}`);
    }
  }
  const rounds = Number(args.rounds);
  const of = (name: string, i: number): Run => runs.filter((r) => r.name === name)[i]!;
  const ratios = (a: string, b: string): number[] => Array.from({ length: rounds }, (_, i) => of(a, i).rps / of(b, i).rps);
  const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  for (const [a, b] of [['engine', 'nginx'], ['engine-own', 'nginx'], ['node-http', 'nginx'], ['engine', 'node-http'], ['engine-own', 'engine']] as const) {
    const rs = ratios(a, b);
    console.log(`${a}/${b}: per round ${rs.map((x) => x.toFixed(2)).join(', ')}; median ${median(rs).toFixed(2)}x`);
  }
  console.log(`wrk -t1 -c${args.connections} -d${args.duration}s after a 1 s warm-up; 100-byte bodies; node ${process.version}; ${readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)?.length} CPUs`);
}

try {
  await main();
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
