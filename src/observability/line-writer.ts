// Log lines written off the event loop: lines are appended to a buffer, and the buffer goes out in
// one asynchronous fs.write every 50 ms (or as soon as 64 KiB are waiting), like nginx's
// `access_log … buffer=64k flush=…`: a stream of access-log lines costs a few syscalls a second and
// never a synchronous write (process.stdout is synchronous for files and terminals). Flushing once
// per event-loop turn instead cost a write per handful of requests at moderate load. One write is
// in flight at a time, so lines reach the file whole and in order; partial writes (pipes) continue
// where they stopped, and EAGAIN (a non-blocking pipe or terminal that is full) is retried shortly
// after. A batch whose write fails (ENOSPC, EPIPE...) is dropped and counted; the next batch tries
// again, so a disk that fills up and is cleaned gets lines again.
//
// Bounded: when more than `maxPendingBytes` wait because the disk or the reader cannot keep up,
// droppable lines (access-log lines) are dropped and counted instead of growing memory without
// bound; other lines (the application log: rare, and the ones that explain an outage) always queue.

import { closeSync, openSync, write as fsWrite, writeSync } from 'node:fs';

export interface LineWriter {
  /** Queues text (one or more whole lines). Returns false when it was dropped (droppable only). */
  write(text: string, droppable?: boolean): boolean;
  /** Resolves once everything queued so far is written (or given up on after a write error). */
  flush(): Promise<void>;
  /** Writes what is queued synchronously (process exit); best effort. */
  flushSync(): void;
  /** Lines dropped so far: droppable ones under back-pressure, and any in a batch whose write failed. */
  readonly dropped: number;
  /** Characters (about bytes) waiting to be written. */
  readonly pendingBytes: number;
  /** Flushes, then closes the file (files opened by openLineWriter only). */
  close(): Promise<void>;
}

export interface LineWriterOptions {
  fd: number;
  /** Droppable text beyond this many waiting bytes is dropped. Default 8 MiB. */
  maxPendingBytes?: number;
  /** A batch this large is written at once instead of waiting for the interval. Default 64 KiB. */
  batchBytes?: number;
  /** The longest a line waits before its batch is written. Default 50 ms. */
  flushIntervalMs?: number;
  /** Told about a write error (EPIPE, ENOSPC, EBADF...): the first of each run of failing writes. */
  onError?: (err: NodeJS.ErrnoException) => void;
  /** Close the fd in close() (the writer opened it). */
  ownsFd?: boolean;
  /**
   * Each write(2) carries at most this many bytes, cut after a newline (a longer single line goes
   * alone): several threads sharing a pipe (stdout with --workers N) then never interleave
   * mid-line, as a pipe write of at most PIPE_BUF bytes is atomic. Read at every write. Default: none.
   */
  maxWriteBytes?: () => number | undefined;
}

/** Linux's PIPE_BUF: pipe writes up to this size are never interleaved with other writers'. */
export const PIPE_BUF = 4096;

const EAGAIN_RETRY_MS = 5;

export function createLineWriter(options: LineWriterOptions): LineWriter {
  const fd = options.fd;
  const maxPending = options.maxPendingBytes ?? 8 * 1024 * 1024;
  const batchBytes = options.batchBytes ?? 64 * 1024;
  const flushIntervalMs = options.flushIntervalMs ?? 50;
  let pending = '';
  let pendingLines = 0;
  let writing = false;
  let timer: NodeJS.Timeout | undefined;
  let failing = false;
  let dropped = 0;
  let closed = false;
  let waiters: (() => void)[] = [];

  const settleWaiters = (): void => {
    if (writing || pending.length > 0) return;
    const list = waiters;
    waiters = [];
    for (const resolve of list) resolve();
  };

  const startWrite = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (writing || pending.length === 0) return settleWaiters();
    const buffer = Buffer.from(pending, 'utf8');
    const lines = pendingLines;
    pending = '';
    pendingLines = 0;
    writing = true;
    writeFrom(buffer, 0, lines);
  };

  const writeFrom = (buffer: Buffer, offset: number, lines: number): void => {
    fsWrite(fd, buffer, offset, chunkLength(buffer, offset, options.maxWriteBytes?.()), null, (err, written) => {
      if (err) {
        if (err.code === 'EAGAIN') {
          setTimeout(() => writeFrom(buffer, offset, lines), EAGAIN_RETRY_MS);
          return;
        }
        dropped += lines;
        writing = false;
        if (!failing) options.onError?.(err);
        failing = true;
        if (pending.length === 0) return settleWaiters();
        return waiters.length > 0 ? startWrite() : schedule();
      }
      if (offset + written < buffer.length) return writeFrom(buffer, offset + written, lines);
      failing = false;
      writing = false;
      if (pending.length === 0) return settleWaiters();
      // What arrived meanwhile: now if someone waits on flush(), else as any batch (size or interval).
      if (waiters.length > 0) startWrite();
      else schedule();
    });
  };

  const schedule = (): void => {
    if (writing) return;
    if (pending.length >= batchBytes) return startWrite();
    if (timer !== undefined) return;
    // Unref'd: a pending batch never holds the process open (exit writes it synchronously).
    timer = setTimeout(startWrite, flushIntervalMs);
    timer.unref();
  };

  return {
    write(text, droppable = false) {
      if (closed) return false;
      if (droppable && pending.length + text.length > maxPending) {
        dropped++;
        return false;
      }
      pending += text;
      pendingLines++;
      schedule();
      return true;
    },
    flush() {
      if (!writing && pending.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        waiters.push(resolve);
        // Now, not at the end of the interval.
        if (!writing) startWrite();
      });
    },
    flushSync() {
      if (pending.length === 0) return;
      const buffer = Buffer.from(pending, 'utf8');
      pending = '';
      pendingLines = 0;
      let offset = 0;
      // A full non-blocking pipe answers EAGAIN: retry a bounded number of times, then give up.
      for (let attempts = 0; offset < buffer.length && attempts < 1000; attempts++) {
        try {
          offset += writeSync(fd, buffer, offset, chunkLength(buffer, offset, options.maxWriteBytes?.()));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return;
        }
      }
    },
    get dropped() {
      return dropped;
    },
    get pendingBytes() {
      return pending.length;
    },
    async close() {
      await this.flush();
      closed = true;
      if (options.ownsFd) closeSync(fd);
    },
  };
}

/** A writer appending to a file (created 0644 if absent); throws when it cannot be opened. */
export function openLineWriter(path: string, options: Omit<LineWriterOptions, 'fd' | 'ownsFd'> = {}): LineWriter {
  const fd = openSync(path, 'a', 0o644);
  return createLineWriter({ ...options, fd, ownsFd: true });
}

/** Bytes to write from `offset`: all of it, or whole lines up to `max` (one long line alone). */
function chunkLength(buffer: Buffer, offset: number, max: number | undefined): number {
  const left = buffer.length - offset;
  if (max === undefined || left <= max) return left;
  const cut = buffer.lastIndexOf(0x0a, offset + max - 1);
  if (cut >= offset) return cut + 1 - offset;
  const next = buffer.indexOf(0x0a, offset + max);
  return next < 0 ? left : next + 1 - offset;
}

let stdoutWriter: LineWriter | undefined;
let stdoutShared = false;

/**
 * Other threads of this process write fd 1 too (--workers N: every data-plane thread has its own
 * stdout writer): from now on stdout is written in whole lines of at most PIPE_BUF bytes per write.
 */
export function shareStdoutAcrossThreads(): void {
  stdoutShared = true;
}

/**
 * The one writer of fd 1, shared by the application log, the access log and the demo banner, so
 * that their lines never interleave mid-line and keep their order. What is still queued when the
 * process exits is written synchronously.
 */
export function stdoutLineWriter(): LineWriter {
  if (stdoutWriter === undefined) {
    const writer = createLineWriter({ fd: 1, onError: () => {}, maxWriteBytes: () => (stdoutShared ? PIPE_BUF : undefined) });
    process.once('exit', () => writer.flushSync());
    stdoutWriter = writer;
  }
  return stdoutWriter;
}
