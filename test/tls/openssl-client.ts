// `openssl s_client` as a test client: runs one connection and returns everything it printed.
// stdin is held open until the session file appears (TLS 1.3 tickets arrive after the handshake)
// or the handshake has visibly ended, and the process is always killed after a bounded time.

import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

export interface SClientOptions {
  port: number;
  args: string[];
  /** Wait for -sess_out to be written before closing. */
  sessOut?: string;
  timeoutMs?: number;
}

export function sClient(o: SClientOptions): Promise<string> {
  return new Promise((resolve) => {
    const args = ['s_client', '-connect', `127.0.0.1:${o.port}`, ...o.args];
    if (o.sessOut !== undefined) args.push('-sess_out', o.sessOut);
    const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.stdin.on('error', () => {});
    const deadline = Date.now() + (o.timeoutMs ?? 8000);
    const poll = setInterval(() => {
      const handshakeOver = out.includes('Verify return code') || out.includes('Cipher is (NONE)') || out.includes('error:');
      const sessionWritten = o.sessOut === undefined || (existsSync(o.sessOut) && statSync(o.sessOut).size > 0);
      if ((handshakeOver && sessionWritten) || Date.now() > deadline) {
        clearInterval(poll);
        child.stdin.end();
        setTimeout(() => child.kill('SIGKILL'), 2000).unref();
      }
    }, 20);
    child.on('close', () => {
      clearInterval(poll);
      resolve(out);
    });
  });
}
