// The nginx side of the benchmarks (bench/run.ts, bench/cases.ts): a static backend and the reverse
// proxy Gatehouse is compared with (upstream keep-alive, the same forwarding headers, a JSON access
// line per request), written once so both benches compare against the same nginx.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { track } from './bench-processes.ts';

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
export const BENCH_HOST = 'bench.example.com';

/** The backend on 127.0.0.2: one worker answering `body` (plus a newline) to everything. */
export function nginxBackendConfig(work: string, port: number, body: string): string {
  return `
worker_processes 1;
daemon off;
pid ${work}/backend.pid;
error_log ${work}/backend-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  ${tempPaths(work, 'backend')}
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  server {
    listen 127.0.0.2:${port} reuseport;
    location / { default_type text/plain; return 200 "${body}\\n"; }
  }
}`;
}

export interface NginxProxyOptions {
  /** Names the pid and access-log files (several proxies may share a work folder). */
  name: string;
  workers: number;
  accessLog: boolean;
  /** The listen directive(s), TLS settings included. */
  listen: string;
}

/** The reverse proxy to the backend, set up as Gatehouse forwards. */
export function nginxProxyConfig(work: string, backendPort: number, o: NginxProxyOptions): string {
  return `
worker_processes ${o.workers};
daemon off;
pid ${work}/${o.name}.pid;
error_log ${work}/proxy-error.log warn;
events { worker_connections 4096; }
http {
  ${tempPaths(work, 'proxy')}
  log_format json escape=json '{"time":"$time_iso8601","msg":"access","method":"$request_method","host":"$host","path":"$uri",'
    '"status":$status,"upstream":"$upstream_addr","duration":$request_time,"bytesIn":$request_length,"bytesOut":$bytes_sent,"requestId":"$request_id"}';
  access_log ${o.accessLog ? `${work}/nginx-access-${o.name}.log json` : 'off'};
  keepalive_requests 1000000;
  upstream backend {
    server 127.0.0.2:${backendPort};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    ${o.listen}
    server_name ${BENCH_HOST};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-Port $server_port;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Request-ID $request_id;
    }
  }
}`;
}

function tempPaths(work: string, name: string): string {
  const dir = join(work, `${name}-temp`);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o777);
  return ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${dir}/${t};`).join('\n  ');
}

/** Checks the configuration (nginx -t), then starts nginx with it in the foreground. */
export async function startNginx(work: string, name: string, config: string): Promise<ChildProcess> {
  const file = join(work, `${name}.conf`);
  writeFileSync(file, config);
  const test = spawnSync(NGINX!, ['-t', '-q', '-c', file, '-p', work], { encoding: 'utf8' });
  if (test.status !== 0) throw new Error(`nginx config for ${name} rejected:\n${test.stderr}`);
  return track(spawn(NGINX!, ['-c', file, '-p', work], { stdio: ['ignore', 'ignore', 'inherit'] }));
}
