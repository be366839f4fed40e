// The batched writer under a burst: every line arrives whole and in order; when the reader stalls
// (a FIFO nobody reads, as a stuck log shipper would be), memory stays bounded and the lines that
// do not fit are dropped and counted, and what was kept still arrives in order once it reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLineWriter, openLineWriter, PIPE_BUF } from '../../src/observability/line-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'gh-line-writer-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const line = (i: number): string => `${String(i).padStart(8, '0')} ${'x'.repeat(90)}\n`;

function assertInOrder(text: string, expectedCount?: number): number[] {
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', 'ends with a newline');
  const seq = lines.map((l) => {
    assert.equal(l.length, 99, `a whole line: ${JSON.stringify(l.slice(0, 40))}`);
    return Number(l.slice(0, 8));
  });
  for (let i = 1; i < seq.length; i++) assert.ok(seq[i]! > seq[i - 1]!, `in order at ${i}`);
  if (expectedCount !== undefined) assert.equal(seq.length, expectedCount);
  return seq;
}

test('a burst of 50,000 lines to a file: all arrive, whole and in order, in far fewer writes than lines', async () => {
  const path = join(dir, 'burst.log');
  const writer = openLineWriter(path);
  for (let i = 0; i < 50_000; i++) assert.equal(writer.write(line(i), true), true);
  // Nothing was written synchronously: the burst is queued (and a first batch may be in flight).
  assert.ok(writer.pendingBytes > 0);
  await writer.close();
  const seq = assertInOrder(readFileSync(path, 'utf8'), 50_000);
  assert.equal(seq[49_999], 49_999);
  assert.equal(writer.dropped, 0);
});

test('lines written across event-loop turns keep their order and are written in batches', async () => {
  const path = join(dir, 'turns.log');
  const writer = openLineWriter(path);
  let n = 0;
  for (let turn = 0; turn < 200; turn++) {
    for (let i = 0; i < 50; i++) writer.write(line(n++));
    await new Promise((r) => setImmediate(r));
  }
  await writer.close();
  assertInOrder(readFileSync(path, 'utf8'), 10_000);
});

test('a reader that stalls: waiting bytes stay under the bound, the rest is dropped and counted, the kept lines arrive in order', async (t) => {
  const fifo = join(dir, 'stalled.fifo');
  execFileSync('mkfifo', [fifo]);
  // O_RDWR: opening does not wait for a reader; writes block once the pipe buffer (64 KiB) is full.
  const fd = openSync(fifo, 'r+');
  const bound = 256 * 1024;
  const writer = createLineWriter({ fd, maxPendingBytes: bound, ownsFd: true });
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    if (writer.write(line(i), true)) accepted++;
    assert.ok(writer.pendingBytes <= bound, `bounded at line ${i}: ${writer.pendingBytes}`);
    if (i % 1000 === 999) await new Promise((r) => setTimeout(r, 1));
  }
  assert.ok(writer.dropped > 0, 'lines were dropped');
  assert.equal(accepted + writer.dropped, 20_000);
  // An application-log line (not droppable) is never dropped.
  assert.equal(writer.write(line(20_000)), true);
  // Now a reader comes: everything kept arrives, in order.
  const chunks: Buffer[] = [];
  const reader = createReadStream(fifo);
  t.after(() => reader.destroy());
  reader.on('data', (c) => chunks.push(c as Buffer));
  const ended = new Promise<void>((resolve, reject) => {
    reader.once('end', () => resolve());
    reader.once('error', reject);
  });
  // close() flushes, then closes the only writing fd: the reader sees the end of the stream.
  await writer.close();
  await ended;
  const seq = assertInOrder(Buffer.concat(chunks).toString('utf8'), accepted + 1);
  assert.equal(seq.at(-1), 20_000);
});

test('a destination that refuses writes: each failed batch is dropped and counted, the error reported once per run of failures', async () => {
  const path = join(dir, 'read-only-fd.log');
  writeFileSync(path, '');
  const errors: string[] = [];
  // An fd opened for reading: every write fails with EBADF.
  const writer = createLineWriter({ fd: openSync(path, 'r'), ownsFd: true, onError: (err) => void errors.push(err.code ?? '') });
  for (let i = 0; i < 3; i++) writer.write(line(i), true);
  await writer.flush();
  assert.equal(writer.dropped, 3);
  writer.write(line(3));
  await writer.flush();
  assert.equal(writer.dropped, 4);
  assert.deepEqual(errors, ['EBADF']);
  await writer.close();
  assert.equal(readFileSync(path, 'utf8'), '');
});

test('two writers sharing one pipe with maxWriteBytes = PIPE_BUF (stdout with --workers N): no line is ever cut by the other', async () => {
  const fifo = join(dir, 'shared.fifo');
  execFileSync('mkfifo', [fifo]);
  const reader = createReadStream(fifo);
  let text = '';
  reader.setEncoding('utf8');
  reader.on('data', (c) => (text += String(c)));
  // O_RDWR: opening does not wait for the reader.
  const writers = ['a', 'b'].map(() => createLineWriter({ fd: openSync(fifo, 'r+'), ownsFd: true, batchBytes: 256 * 1024, maxWriteBytes: () => PIPE_BUF }));
  const long = `${'L'.repeat(9000)}\n`; // longer than PIPE_BUF: written alone
  for (let i = 0; i < 20_000; i++) {
    writers[0]!.write(`A${line(i).slice(1)}`);
    writers[1]!.write(`B${line(i).slice(1)}`);
    if (i === 5000) writers[0]!.write(long);
  }
  await Promise.all(writers.map((w) => w.close()));
  await new Promise<void>((r) => reader.once('close', () => r()));
  const lines = text.split('\n');
  assert.equal(lines.pop(), '');
  assert.equal(lines.length, 40_001);
  for (const l of lines) assert.ok(l.length === 99 ? /^[AB]\d{7} x{90}$/.test(l) : l === 'L'.repeat(9000), `a whole line: ${JSON.stringify(l.slice(0, 30))}`);
  for (const who of ['A', 'B']) assertInOrder(lines.filter((l) => l.startsWith(who)).map((l) => `0${l.slice(1)}\n`).join(''), 20_000);
});
