// Reads the first bytes of an accepted connection until a parser decides, bounded in bytes and time,
// then gives the socket back paused with every byte the parser did not consume put back (unshift),
// so whoever gets it next reads the stream from exactly where the prefix ended.
import type { Socket } from 'node:net';

export type PrefixVerdict<T> = { kind: 'incomplete' } | { kind: 'invalid'; reason: string } | { kind: 'done'; consumed: number; value: T };

export type PrefixResult<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface ReadPrefixOptions {
  /** The whole prefix must arrive within this (slow or silent clients are closed). */
  timeoutMs: number;
  /** More bytes than this without a verdict is invalid. */
  maxBytes: number;
}

export function readPrefix<T>(socket: Socket, parse: (received: Buffer) => PrefixVerdict<T>, options: ReadPrefixOptions): Promise<PrefixResult<T>> {
  return new Promise((resolve) => {
    let received: Buffer = Buffer.alloc(0);
    let settled = false;
    const finish = (result: PrefixResult<T>, rest?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.pause();
      if (rest !== undefined && rest.length > 0) socket.unshift(rest);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      const verdict = parse(received);
      if (verdict.kind === 'done') finish({ ok: true, value: verdict.value }, received.subarray(verdict.consumed));
      else if (verdict.kind === 'invalid') finish({ ok: false, reason: verdict.reason });
      else if (received.length >= options.maxBytes) finish({ ok: false, reason: `no verdict within ${options.maxBytes} bytes` });
    };
    const onEnd = (): void => finish({ ok: false, reason: 'closed by the client before the end of the prefix' });
    const timer = setTimeout(() => finish({ ok: false, reason: `not complete within ${options.timeoutMs} ms` }), options.timeoutMs);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.resume(); // the socket may arrive paused (handed on by an earlier reader)
  });
}
