// The security suite's fixture: a real DataPlane listening on 127.0.0.1 (port 0) in front of two
// recording backends, and the standard checks every attack case goes through:
//   - the client gets the expected status (or a closed connection), and the connection closes;
//   - a probe pipelined right behind the attack on the same connection is never parsed or forwarded;
//   - the backends saw nothing they should not (no request at all, or no marker bytes);
//   - a probe on another connection gets its own correct answer.

import assert from 'node:assert/strict';
import { DataPlane } from '../../src/dataplane/data-plane.ts';
import type { DataPlaneLimits, DataPlaneOptions } from '../../src/dataplane/data-plane-options.ts';
import { routeTable } from '../support/route-tables.ts';
import { startRecordingBackend, type RecordingBackend } from '../support/recording-backend.ts';
import { RawConnection, header, type RawResponse } from '../support/raw-http.ts';

export const HOST = 'app.example';
/** Bytes no legitimate test request contains: if a backend ever sees them, something was smuggled. */
export const MARKER = 'SMUGGLED';

export interface Fixture {
  port: number;
  dp: DataPlane;
  /** Serves Prefix '/' (127.0.0.2). */
  publicBackend: RecordingBackend;
  /** Serves Prefix '/admin' and Exact '/exact' (127.0.0.3). */
  adminBackend: RecordingBackend;
  reset(): void;
  close(): Promise<void>;
}

export interface FixtureOptions {
  limits?: Partial<DataPlaneLimits>;
  dataPlane?: Omit<DataPlaneOptions, 'limits'>;
}

export async function startFixture(o: FixtureOptions = {}): Promise<Fixture> {
  const publicBackend = await startRecordingBackend({ address: '127.0.0.2', name: 'public' });
  const adminBackend = await startRecordingBackend({ address: '127.0.0.3', name: 'admin' });
  const dp = new DataPlane({ accessLog: false, ...o.dataPlane, limits: o.limits ?? {} });
  const routes = [
    { path: '/', backend: 'ns/public:80' },
    { path: '/admin', backend: 'ns/admin:80' },
    { path: '/exact', match: 'Exact' as const, backend: 'ns/admin:80' },
  ];
  dp.apply(
    routeTable({
      hosts: { [HOST]: { routes }, '*': { routes } },
      backends: { 'ns/public:80': [publicBackend.endpoint], 'ns/admin:80': [adminBackend.endpoint] },
    }),
  );
  const address = await dp.listenHttp('127.0.0.1', 0);
  return {
    port: address.port,
    dp,
    publicBackend,
    adminBackend,
    reset(): void {
      publicBackend.reset();
      adminBackend.reset();
    },
    async close(): Promise<void> {
      await dp.stop(0);
      await publicBackend.close();
      await adminBackend.close();
    },
  };
}

let probeCounter = 0;

export function probeRequest(path = `/probe-${++probeCounter}`): { bytes: string; path: string } {
  return { bytes: `GET ${path} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`, path };
}

/** The body of a default recording-backend answer. */
export interface EchoBody {
  backend: string;
  method: string;
  url: string;
  httpVersion: string;
  rawHeaders: string[];
  bodyBytes: number;
}

export function echoBody(res: RawResponse): EchoBody {
  assert.equal(header(res, 'content-type'), 'application/json', `not a backend answer: ${res.status} ${res.body.toString('latin1')}`);
  return JSON.parse(res.body.toString('utf8')) as EchoBody;
}

/** A probe on a new connection is answered by the public backend, which sees exactly that request. */
export async function probeNewConnection(f: Fixture): Promise<void> {
  const probe = probeRequest();
  const conn = await RawConnection.connect({ port: f.port });
  try {
    await conn.send(probe.bytes);
    const r = await conn.readResponse();
    assert.ok(r !== 'closed', 'probe on a new connection: connection closed');
    assert.equal(r.status, 200, `probe on a new connection: ${r.status} ${r.body.toString('latin1')}`);
    const body = echoBody(r);
    assert.equal(body.backend, 'public');
    assert.equal(body.url, probe.path);
    assert.equal(body.method, 'GET');
  } finally {
    conn.destroy();
  }
}

export interface RejectExpectation {
  /** Acceptable statuses; 'closed' means the connection may close with no response at all. */
  status: readonly (number | 'closed')[];
}

/**
 * Sends `attack` followed (in the same write) by a probe on the same connection, and checks the
 * standard expectations for a rejected request. Returns the response, if any.
 */
export async function expectRejected(f: Fixture, attack: string | Buffer, expected: RejectExpectation, what: string): Promise<RawResponse | 'closed'> {
  f.reset();
  const probe = probeRequest(`/same-connection-${MARKER}`);
  const conn = await RawConnection.connect({ port: f.port });
  let response: RawResponse | 'closed';
  try {
    const bytes = Buffer.concat([typeof attack === 'string' ? Buffer.from(attack, 'latin1') : attack, Buffer.from(probe.bytes, 'latin1')]);
    await conn.send(bytes);
    response = await conn.readResponse();
    const got = response === 'closed' ? 'closed' : response.status;
    assert.ok(expected.status.includes(got), `${what}: expected ${expected.status.join(' or ')}, got ${got}${response === 'closed' ? '' : ` ${response.body.toString('latin1').slice(0, 200)}`}`);
    // The connection closes, and nothing else is answered on it (the probe is never parsed).
    const rest = await conn.waitClosed();
    assert.equal(rest.length, 0, `${what}: bytes after the rejection: ${JSON.stringify(rest.toString('latin1').slice(0, 200))}`);
  } finally {
    conn.destroy();
  }
  assertBackendsSawNothing(f, what);
  await probeNewConnection(f);
  return response;
}

export function assertBackendsSawNothing(f: Fixture, what: string): void {
  for (const b of [f.publicBackend, f.adminBackend]) {
    const bytes = b.allBytes();
    assert.equal(bytes.length, 0, `${what}: backend ${b.name} received ${JSON.stringify(bytes.toString('latin1').slice(0, 300))}`);
  }
}

export function assertNoMarkerReachedBackends(f: Fixture, what: string): void {
  for (const b of [f.publicBackend, f.adminBackend]) {
    const text = b.allBytes().toString('latin1');
    assert.ok(!text.includes(MARKER), `${what}: marker reached backend ${b.name}: ${JSON.stringify(text.slice(0, 400))}`);
  }
}
