// 150,000 pipelined requests in one write cost the engine bounded memory: it reads ahead at most
// `maxReadAheadBytes` beyond the request in flight and starts the next request only when the
// previous response has drained, so neither parsed requests nor responses pile up. The engine runs
// in its own process (test/http1/engine-process-main.ts) and its peak RSS is read from /proc.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

const COUNT = 150_000;

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? NaN);
}

/** Sends all requests in one write and checks every response, in order, as it streams in. */
function pipeline(port: number, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = (i: number): string => `/p${String(i).padStart(6, '0')}`;
    const response = (i: number): string => `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 8\r\n\r\n${target(i)}`;
    const size = response(0).length;
    const socket = connect({ host: '127.0.0.1', port });
    let got = 0;
    let carry = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`timed out after ${got} responses`));
    }, 120_000);
    socket.on('error', reject);
    socket.on('data', (d: Buffer) => {
      carry += d.toString('latin1');
      let at = 0;
      while (carry.length - at >= size) {
        const one = carry.slice(at, at + size);
        if (one !== response(got)) {
          socket.destroy();
          clearTimeout(timer);
          return reject(new Error(`response ${got} out of order or malformed: ${JSON.stringify(one)}`));
        }
        got++;
        at += size;
      }
      carry = carry.slice(at);
      if (got === count) {
        clearTimeout(timer);
        socket.destroy();
        resolve(got);
      }
    });
    socket.on('connect', () => {
      const parts: string[] = [];
      for (let i = 0; i < count; i++) parts.push(`GET ${target(i)} HTTP/1.1\r\nHost: app.example\r\n\r\n`);
      socket.write(parts.join(''));
    });
  });
}

test('150,000 pipelined requests in one write: all answered in order, engine peak RSS bounded', { timeout: 180_000 }, async () => {
  const child = fork(new URL('./engine-process-main.ts', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.on('message', (m: unknown) => {
        const p = (m as { port?: number }).port;
        if (p !== undefined) resolve(p);
      });
    });
    // Warm up (JIT, buffers), then take the baseline.
    await pipeline(port, 5_000);
    const baseline = statusKiB(child.pid!, 'VmRSS');
    const got = await pipeline(port, COUNT);
    assert.equal(got, COUNT);
    const peak = statusKiB(child.pid!, 'VmHWM');
    const growthMiB = (peak - baseline) / 1024;
    console.log(`engine process: baseline ${(baseline / 1024).toFixed(1)} MiB, peak ${(peak / 1024).toFixed(1)} MiB, growth ${growthMiB.toFixed(1)} MiB for ${COUNT} pipelined requests`);
    // The requests alone are 6 MiB and their responses 9.6 MiB: a server that queued either would
    // grow by far more than this bound (V8's young generation accounts for most of what remains).
    assert.ok(growthMiB < 40, `peak RSS grew by ${growthMiB.toFixed(1)} MiB`);
  } finally {
    child.kill('SIGKILL');
  }
});
