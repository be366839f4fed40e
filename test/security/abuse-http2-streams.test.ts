// Issue 9's HTTP/2 outage and its neighbours, on the built CLI over real TLS with raw frames:
//   - a client advertises a 2^31-1 (or a Chrome-like 6/15 MiB) flow-control window, opens streams of
//     an endless response, reads nothing and closes its socket: every stream's upstream request is
//     aborted within seconds (it used to hang the Service for 10+ minutes);
//   - a stream whose window the client never opens is reset after --client-send-timeout, alone;
//   - a stream merely waiting for the backend (server-sent events) is not;
//   - an idle session is closed, not waited on.
// A bystander on another route is served throughout each attack.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { waitUntil } from '../support/raw-http.ts';
import {
  END_HEADERS,
  END_STREAM,
  GOAWAY,
  HEADERS,
  PREFACE,
  RST_STREAM,
  SETTINGS_INITIAL_WINDOW_SIZE,
  connectRawH2,
  frame,
  requestBlock,
  settingsFrame,
  windowUpdate,
} from '../support/raw-h2.ts';
import { assertBystanderServed, assertHealthy, dataplaneStats, endless, startBystander, startProcessFixture, type ProcessFixture } from './process-fixture.ts';
import { HOST } from './harness.ts';

const CLIENT_SEND_TIMEOUT_S = 3;
let f: ProcessFixture;

before(async () => {
  f = await startProcessFixture(['--client-send-timeout', `${CLIENT_SEND_TIMEOUT_S}s`, '--keepalive-timeout', '4s', '--read-timeout', '30s']);
  f.publicBackend.respondWith((req, res) => {
    if (req.url?.startsWith('/endless')) return endless(req, res);
    if (req.url?.startsWith('/sse')) {
      // A head, then silence longer than the client send timeout, then an event.
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      const t = setTimeout(() => res.end('data: late\n\n'), (CLIENT_SEND_TIMEOUT_S + 3) * 1000);
      res.on('close', () => clearTimeout(t));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 }).end('ok');
  });
}, { timeout: 60_000 });
after(() => f?.close());

/** Opens `streams` endless downloads with the given windows, reads nothing, then closes the socket. */
async function openAndAbandon(streams: number, streamWindow: number, connectionWindow: number, tag: string): Promise<number> {
  const before = (await dataplaneStats(f)).inFlightRequests;
  const c = await connectRawH2(f.gh.ports.https, HOST, { read: false });
  const headers = Array.from({ length: streams }, (_, i) => frame(HEADERS, END_HEADERS | END_STREAM, 2 * i + 1, requestBlock(HOST, `/endless-${tag}-${i}`)));
  c.write(Buffer.concat([PREFACE, settingsFrame([[SETTINGS_INITIAL_WINDOW_SIZE, streamWindow]]), windowUpdate(0, connectionWindow - 65_535), ...headers]));
  await waitUntil(async () => (await dataplaneStats(f)).inFlightRequests >= before + streams, `${streams} streams in flight`, 40_000, 100);
  // Let the responses fill every buffer on the way, so the server has a write stuck in progress.
  await new Promise((r) => setTimeout(r, 1000));
  const closedAt = Date.now();
  c.socket.destroy(); // unread data: the kernel sends a reset
  await waitUntil(async () => (await dataplaneStats(f)).inFlightRequests === 0, 'every stream of the closed connection to end', 40_000, 50);
  return Date.now() - closedAt;
}

test('three connections × 100 streams with a 2^31-1 window, closed unread: every upstream request ends within seconds', { timeout: 240_000 }, async () => {
  const bystander = startBystander(f);
  const recoveries: number[] = [];
  for (let round = 0; round < 3; round++) recoveries.push(await openAndAbandon(100, 2 ** 31 - 1, 2 ** 31 - 1, `huge${round}`));
  // The aborted upstream requests closed their connections: no pool is left holding them.
  await waitUntil(() => f.publicBackend.connections.filter((c) => !c.closed).length < 20, 'the backend connections of the aborted streams to close', 40_000, 100);
  await assertBystanderServed(bystander, 'huge windows');
  await assertHealthy(f, 'after abandoning 300 streams');
  console.log(`h2 streams of a closed connection ended ${recoveries.join(' / ')} ms after the close (3 × 100 streams, 2^31-1 windows)`);
});

test('one stream with Chrome-like windows (6 MiB stream, 15 MiB connection), closed unread: its upstream request ends', { timeout: 120_000 }, async () => {
  const bystander = startBystander(f);
  const ms = await openAndAbandon(1, 6 * 1024 * 1024, 15 * 1024 * 1024, 'chrome');
  await assertBystanderServed(bystander, 'chrome-like windows', 1);
  await assertHealthy(f, 'after abandoning a Chrome-like stream');
  console.log(`h2 stream with Chrome-like windows ended ${ms} ms after the close`);
});

test('a stream whose window the client never opens is reset (RST_STREAM CANCEL) after --client-send-timeout; the session lives on', { timeout: 120_000 }, async () => {
  const bystander = startBystander(f);
  const c = await connectRawH2(f.gh.ports.https, HOST, { read: true });
  // Default 65,535-byte windows, reads every frame, never sends WINDOW_UPDATE: the backend's bytes pile up.
  c.write(Buffer.concat([PREFACE, settingsFrame([]), frame(HEADERS, END_HEADERS | END_STREAM, 1, requestBlock(HOST, '/endless-stalled'))]));
  const started = Date.now();
  await waitUntil(() => c.frames.some((fr) => fr.type === RST_STREAM && fr.streamId === 1), 'RST_STREAM on the stalled stream', (CLIENT_SEND_TIMEOUT_S + 20) * 1000, 50);
  const resetAfter = Date.now() - started;
  const rst = c.frames.find((fr) => fr.type === RST_STREAM && fr.streamId === 1)!;
  assert.equal(rst.payload.readUInt32BE(0), http2.constants.NGHTTP2_CANCEL);
  assert.ok(resetAfter >= (CLIENT_SEND_TIMEOUT_S - 1) * 1000, `reset after ${resetAfter} ms, before the client send timeout`);
  await waitUntil(async () => (await dataplaneStats(f)).inFlightRequests === 0, 'the upstream request of the reset stream to end', 30_000, 50);
  // Only the stream was reset: the same session serves the next request.
  c.write(frame(HEADERS, END_HEADERS | END_STREAM, 3, requestBlock(HOST, '/after-reset')));
  await waitUntil(() => c.frames.some((fr) => fr.type === HEADERS && fr.streamId === 3), 'an answer on the same session', 30_000, 20);
  assert.ok(!c.closed(), 'the session was closed');
  c.socket.destroy();
  await assertBystanderServed(bystander, 'flow-control stall', 1);
  console.log(`stalled h2 stream reset ${resetAfter} ms after its request (--client-send-timeout ${CLIENT_SEND_TIMEOUT_S}s)`);
});

test('a stream waiting for the backend (server-sent events, silent longer than the client send timeout) is not reset', { timeout: 60_000 }, async () => {
  const session = http2.connect(`https://127.0.0.1:${f.gh.ports.https}`, { servername: HOST, rejectUnauthorized: false });
  session.on('error', () => {});
  try {
    const body = await new Promise<string>((resolve, reject) => {
      const req = session.request({ ':path': '/sse', ':authority': HOST });
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => (text += d));
      req.on('end', () => resolve(text));
      req.on('error', reject);
      req.on('close', () => {
        if (req.rstCode !== undefined && req.rstCode !== http2.constants.NGHTTP2_NO_ERROR) reject(new Error(`stream reset with ${req.rstCode}`));
      });
      req.end();
    });
    assert.equal(body, 'data: late\n\n');
  } finally {
    session.close();
  }
});

test('an idle session (no stream) is closed with GOAWAY after the keep-alive timeout, not waited on', { timeout: 60_000 }, async () => {
  const c = await connectRawH2(f.gh.ports.https, HOST, { read: true });
  c.write(Buffer.concat([PREFACE, settingsFrame([])]));
  await waitUntil(() => c.closed(), 'the idle session to be closed', 40_000, 50);
  assert.ok(c.frames.some((fr) => fr.type === GOAWAY), 'a GOAWAY before the close');
  await assertHealthy(f, 'after the idle session');
});
