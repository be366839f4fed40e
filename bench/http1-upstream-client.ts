// The engine's upstream client (src/dataplane/upstream/) against undici's Pool.dispatch, each
// driving the same nginx backend (100-byte bodies) with N requests in flight for a few seconds;
// rounds alternate the two. Prints requests/s and the ratio.
//
//   node bench/http1-upstream-client.ts [--seconds 3] [--rounds 3] [--inflight 50]
// Needs nginx (Debian: apt-get install -y nginx-light).
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool, type Dispatcher } from 'undici';
import { UpstreamPool } from '../src/dataplane/upstream/upstream-pool.ts';
import type { UpstreamCall, UpstreamHandler } from '../src/dataplane/upstream/upstream-connection.ts';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, rounds: { type: 'string', default: '3' }, inflight: { type: 'string', default: '50' } } });
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
if (!NGINX) throw new Error('needs nginx');
const work = mkdtempSync(join(tmpdir(), 'gatehouse-client-bench-'));
chmodSync(work, 0o755);
const port = await new Promise<number>((done) => {
  const s = createServer().listen(0, '127.0.0.2', () => {
    const p = (s.address() as AddressInfo).port;
    s.close(() => done(p));
  });
});
const temp = join(work, 'temp');
mkdirSync(temp);
chmodSync(temp, 0o777);
writeFileSync(join(work, 'b.conf'), `worker_processes 1; daemon off; pid ${work}/b.pid; error_log ${work}/e.log warn; events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${temp}/${t};`).join(' ')}
server { listen 127.0.0.2:${port}; location / { default_type text/plain; return 200 "${'x'.repeat(99)}\\n"; } } }`);
const nginx = spawn(NGINX, ['-c', join(work, 'b.conf'), '-p', work], { stdio: 'inherit' });
await new Promise((r) => setTimeout(r, 500));

const inflight = Number(args.inflight);
const seconds = Number(args.seconds);

function runUndici(): Promise<number> {
  const pool = new Pool(`http://127.0.0.2:${port}`, { connections: inflight, pipelining: 1 });
  let done = 0;
  let stop = false;
  return new Promise((resolve) => {
    // One stateless handler object for every request, as for the engine client below.
    const handler: Dispatcher.DispatchHandler = {
        onRequestStart() {},
        onResponseStart() {},
        onResponseData() {},
        onResponseEnd() {
          done++;
          if (!stop) one();
        },
        onResponseError(_c, err) {
          throw err;
        },
      };
    const one = (): void => {
      pool.dispatch({ method: 'GET', path: '/', headers: ['host', 'backend.example'] }, handler);
    };
    for (let i = 0; i < inflight; i++) one();
    setTimeout(() => {
      stop = true;
      void pool.close();
      resolve(done / seconds);
    }, seconds * 1000);
  });
}

function runOwn(): Promise<number> {
  const pool = new UpstreamPool('127.0.0.2', port, { maxConnections: inflight });
  let done = 0;
  let stop = false;
  const handler: UpstreamHandler = {
    onResponseStart() {},
    onResponseData() {},
    onResponseEnd() {
      done++;
      if (!stop) one();
    },
    onResponseError(_c: UpstreamCall, err) {
      throw err;
    },
  };
  const one = (): void => void pool.request({ method: 'GET', path: '/', headers: ['host', 'backend.example'] }, handler);
  return new Promise((resolve) => {
    for (let i = 0; i < inflight; i++) one();
    setTimeout(() => {
      stop = true;
      pool.close();
      resolve(done / seconds);
    }, seconds * 1000);
  });
}

try {
  const u: number[] = [];
  const o: number[] = [];
  // Warm-up (JIT, connections) of both, not counted.
  await runUndici();
  await runOwn();
  for (let r = 0; r < Number(args.rounds); r++) {
    u.push(await runUndici());
    o.push(await runOwn());
    console.log(`round ${r + 1}: undici Pool.dispatch ${u[r]!.toFixed(0)} req/s, engine client ${o[r]!.toFixed(0)} req/s, ratio ${(o[r]! / u[r]!).toFixed(2)}x`);
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`median ratio engine client / undici: ${median(o.map((x, i) => x / u[i]!)).toFixed(2)}x (${inflight} in flight, ${seconds} s per run, node ${process.version})`);
} finally {
  nginx.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
