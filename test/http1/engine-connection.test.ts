// The engine's connection behaviour through real sockets: pipelining order and the one-request-
// in-flight rule, close semantics, limits (431, 414, 417), Expect left to the handler, keep-alive
// on HTTP/1.0, streamed responses (chunked, read-to-close), short responses cut, invalid response
// headers refused before any byte, body back-pressure, client cancel, upgrade hand-off, TLS, drain.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tlsConnect } from 'node:tls';
import { DEFAULT_LIMITS } from '../../src/dataplane/data-plane-options.ts';
import { InvalidResponseHeaderError } from '../../src/dataplane/http1/response-head.ts';
import type { ExchangeListener, Http1Exchange } from '../../src/dataplane/http1/http1-exchange.ts';
import { HOST, MARKER } from '../security/harness.ts';
import { makeCa, makeLeaf } from '../support/certs.ts';
import { RawConnection, header, parseNextResponse, waitUntil, type RawResponse } from '../support/raw-http.ts';
import { echo, startEngineFixture, type EngineFixture } from './engine-fixture.ts';

let f: EngineFixture;
before(async () => {
  f = await startEngineFixture();
});
after(() => f.close());

const get = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: ${HOST}\r\n${extra}\r\n`;

function urlOf(r: RawResponse | 'closed'): string | number | 'closed' {
  if (r === 'closed') return 'closed';
  if (r.status !== 200) return r.status;
  return (JSON.parse(r.body.toString('latin1')) as { url: string }).url;
}

async function withConnection<T>(fn: (conn: RawConnection) => Promise<T>): Promise<T> {
  const conn = await RawConnection.connect({ port: f.port });
  try {
    return await fn(conn);
  } finally {
    conn.destroy();
  }
}

test('pipelined requests are answered in order, one at a time: the next head reaches the handler only after the previous response', async () => {
  f.reset();
  let inFlight = 0;
  let maxInFlight = 0;
  const order: string[] = [];
  f.handle = (ex, rec) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    order.push(`start ${rec.target}`);
    // A backend-like handler: slow for /slow, immediate otherwise.
    setTimeout(() => {
      order.push(`end ${rec.target}`);
      inFlight--;
      echo(ex, rec);
    }, rec.target === '/slow' ? 200 : 5);
  };
  await withConnection(async (conn) => {
    await conn.send(get('/slow') + get('/b') + `POST /c HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 3\r\n\r\nabc` + get('/d'));
    const got = [];
    for (let i = 0; i < 4; i++) got.push(urlOf(await conn.readResponse()));
    assert.deepEqual(got, ['/slow', '/b', '/c', '/d']);
  });
  assert.equal(maxInFlight, 1, 'never two requests of one connection in the handler');
  assert.deepEqual(order, ['start /slow', 'end /slow', 'start /b', 'end /b', 'start /c', 'end /c', 'start /d', 'end /d']);
});

test('more than maxPipelinedRequests queued behind: the 17th response closes the connection, nothing after is parsed', async () => {
  f.reset();
  await withConnection(async (conn) => {
    let flood = '';
    for (let i = 1; i <= 30; i++) flood += get(`/p${i}`);
    await conn.send(flood);
    for (let i = 1; i <= 17; i++) {
      const r = await conn.readResponse();
      assert.ok(r !== 'closed', `response ${i}`);
      assert.equal(urlOf(r), `/p${i}`);
      const connection = r.headers.find(([k]) => k.toLowerCase() === 'connection')?.[1];
      assert.equal(connection, i === 17 ? 'close' : undefined, `Connection header of response ${i}`);
    }
    assert.equal((await conn.waitClosed()).length, 0, 'nothing after the 17th response');
  });
  assert.equal(f.seen.length, 17);
  // A few pipelined requests (fewer than the cap) keep the connection open: the first test above.
});

test('while a request is in flight the socket is read only up to the read-ahead cap', async () => {
  f.reset();
  const held: Http1Exchange[] = [];
  f.intercept = (ex) => {
    held.push(ex);
    return true;
  };
  await withConnection(async (conn) => {
    // 32 MiB of pipelined requests behind one that is held (more than loopback's socket buffers).
    const many = get('/x').repeat(Math.ceil((32 * 1024 * 1024) / get('/x').length));
    void conn.send(get('/held') + many);
    await waitUntil(() => held.length === 1, 'the first request');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(held.length, 1, 'nothing else reached the handler');
    // What the server took off the socket is bounded: most of the 32 MiB still sits in the client's
    // send buffer (the kernel's loopback buffers take a few MiB at most).
    assert.ok(conn.socket.writableLength > 16 * 1024 * 1024, `client still holds ${conn.socket.writableLength} bytes`);
    held[0]!.respond(200, [], 'done');
    const r = await conn.readResponse();
    assert.ok(r !== 'closed');
    assert.equal(r.body.toString(), 'done');
    // Answer the rest at once, so the connection ends when the client goes.
    f.intercept = (ex) => {
      ex.respond(200, [], 'x');
      return true;
    };
    for (const ex of held) ex.respond(200, [], 'x');
  });
  await waitUntil(() => f.engine.connectionCount === 0, 'the connection to end');
});

test('a parse error after a good request: the good one is answered, then 400, then close; nothing after is parsed', async () => {
  f.reset();
  await withConnection(async (conn) => {
    await conn.send(get('/good') + `GET /bad HTTP/1.1\r\nHost: ${HOST}\r\nX: a\x00b\r\n\r\n` + get(`/${MARKER}`));
    assert.equal(urlOf(await conn.readResponse()), '/good');
    assert.equal(urlOf(await conn.readResponse()), 400);
    assert.equal((await conn.waitClosed()).length, 0);
  });
  assert.deepEqual(f.seen.map((s) => s.target), ['/good']);
});

test('a request refused by the checks after a good one: 200, 400, close', async () => {
  f.reset();
  await withConnection(async (conn) => {
    await conn.send(get('/good') + `GET /bad HTTP/1.1\r\nHost: ${HOST}\r\nHost: other.example\r\n\r\n` + get(`/${MARKER}`));
    assert.equal(urlOf(await conn.readResponse()), '/good');
    assert.equal(urlOf(await conn.readResponse()), 400);
    assert.equal(urlOf(await conn.readResponse()), 'closed');
  });
  assert.deepEqual(f.seen.map((s) => s.target), ['/good']);
});

test('after Connection: close, or an HTTP/1.0 request without keep-alive, nothing more is processed', async () => {
  for (const first of [get('/last', 'Connection: close\r\n'), `GET /last HTTP/1.0\r\nHost: ${HOST}\r\n\r\n`]) {
    f.reset();
    await withConnection(async (conn) => {
      await conn.send(first + get(`/${MARKER}`));
      const r = await conn.readResponse();
      assert.equal(urlOf(r), '/last');
      assert.equal(header(r as RawResponse, 'connection'), 'close');
      assert.equal((await conn.waitClosed()).length, 0);
    });
    assert.deepEqual(f.seen.map((s) => s.target), ['/last']);
  }
});

test('HTTP/1.0 with Connection: keep-alive stays open and is answered with keep-alive', async () => {
  f.reset();
  await withConnection(async (conn) => {
    for (const path of ['/a', '/b']) {
      await conn.send(`GET ${path} HTTP/1.0\r\nHost: ${HOST}\r\nConnection: keep-alive\r\n\r\n`);
      const r = await conn.readResponse();
      assert.equal(urlOf(r), path);
      assert.equal(header(r as RawResponse, 'connection'), 'keep-alive');
    }
  });
});

test('431 for a head over the size limit and for one field over the count limit; exactly at the limit is fine; 414 and 431 for long targets', async () => {
  for (const [bytes, status] of [
    [get('/big', `X-Big: ${'a'.repeat(DEFAULT_LIMITS.maxHeaderSize)}\r\n`), 431],
    [get('/many', Array.from({ length: DEFAULT_LIMITS.maxHeadersCount }, (_, i) => `X-H${i}: 1\r\n`).join('')), 431],
    [get('/' + 'a'.repeat(8192)), 414],
    [get('/' + 'a'.repeat(DEFAULT_LIMITS.maxHeaderSize + 10)), 431],
  ] as const) {
    f.reset();
    await withConnection(async (conn) => {
      await conn.send(bytes);
      assert.equal(urlOf(await conn.readResponse()), status);
      await conn.waitClosed();
    });
    assert.deepEqual(f.seen, []);
  }
  f.reset();
  await withConnection(async (conn) => {
    await conn.send(get('/at-limit', Array.from({ length: DEFAULT_LIMITS.maxHeadersCount - 1 }, (_, i) => `X-H${i}: 1\r\n`).join('')));
    assert.equal(urlOf(await conn.readResponse()), '/at-limit');
  });
});

test('a head that will not fit is refused as soon as it passes the limit, without waiting for its end', async () => {
  f.reset();
  await withConnection(async (conn) => {
    await conn.send(`GET / HTTP/1.1\r\nHost: ${HOST}\r\nX: ${'a'.repeat(DEFAULT_LIMITS.maxHeaderSize + 100)}`);
    assert.equal(urlOf(await conn.readResponse()), 431);
  });
});

test('Expect: 100-continue is left to the handler: 100 when it reads the body, none when it answers from the head', async () => {
  f.reset();
  await withConnection(async (conn) => {
    await conn.send(`POST /upload HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n`);
    const cont = await conn.readResponse();
    assert.ok(cont !== 'closed');
    assert.equal(cont.status, 100);
    await conn.send('hello');
    const r = await conn.readResponse();
    assert.equal(urlOf(r), '/upload');
  });
  f.reset();
  f.intercept = (ex) => {
    ex.respond(413, ['content-type', 'text/plain'], '413 Content Too Large\n');
    return true;
  };
  await withConnection(async (conn) => {
    await conn.send(`POST /upload HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n`);
    const r = await conn.readResponse();
    assert.ok(r !== 'closed');
    assert.equal(r.status, 413, 'no 100 Continue for a body the handler refuses');
    assert.equal(header(r, 'connection'), 'close', 'an unread body ends the connection');
    await conn.waitClosed();
  });
});

test('an unread Content-Length body already received whole is skipped and the connection kept', async () => {
  f.reset();
  f.intercept = (ex, rec) => {
    if (rec.target !== '/ignore') return false;
    ex.respond(200, [], 'ignored');
    return true;
  };
  await withConnection(async (conn) => {
    await conn.send(`POST /ignore HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\n\r\nhello` + get('/next'));
    const r = await conn.readResponse();
    assert.ok(r !== 'closed');
    assert.equal(r.body.toString(), 'ignored');
    assert.equal(header(r, 'connection'), undefined);
    assert.equal(urlOf(await conn.readResponse()), '/next');
  });
});

test('unknown expectations get 417', async () => {
  for (const value of ['200-ok', '100-continue-x', 'foo', '100-continue, foo']) {
    f.reset();
    await withConnection(async (conn) => {
      await conn.send(`POST /upload HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\nExpect: ${value}\r\n\r\nhello`);
      assert.equal(urlOf(await conn.readResponse()), 417, value);
    });
    assert.deepEqual(f.seen, []);
  }
});

test('streamed responses: chunked on HTTP/1.1, read to close on HTTP/1.0, head and first bytes in one write', async () => {
  f.reset();
  f.intercept = (ex) => {
    ex.writeHead(200, ['content-type', 'text/plain'], -1);
    ex.write(Buffer.from('hello '));
    setTimeout(() => ex.end(Buffer.from('world')), 10);
    return true;
  };
  await withConnection(async (conn) => {
    await conn.send(get('/s'));
    const r = await conn.readResponse();
    assert.ok(r !== 'closed');
    assert.equal(header(r, 'transfer-encoding'), 'chunked');
    assert.equal(r.body.toString(), 'hello world');
    await conn.send(get('/s'));
    assert.equal((await conn.readResponse() as RawResponse).body.toString(), 'hello world', 'the connection was reused');
  });
  await withConnection(async (conn) => {
    await conn.send(`GET /s HTTP/1.0\r\nHost: ${HOST}\r\nConnection: keep-alive\r\n\r\n`);
    await conn.waitClosed();
    const parsed = parseNextResponse(conn.received, false, true);
    assert.ok(parsed !== 'incomplete' && !('error' in parsed));
    assert.equal(parsed.res.closeDelimited, true);
    assert.equal(parsed.res.body.toString(), 'hello world');
  });
});

test('a response shorter than its Content-Length is cut (the client sees it aborted, never complete)', async () => {
  f.reset();
  f.intercept = (ex) => {
    ex.writeHead(200, [], 100);
    ex.write(Buffer.from('only ten b'));
    ex.end();
    return true;
  };
  await withConnection(async (conn) => {
    await conn.send(get('/short'));
    const r = await conn.readResponseOrTruncation();
    assert.ok(r !== 'closed' && 'truncated' in r, 'truncated');
  });
});

test('a response header that cannot be sent is refused before any byte; the handler can still answer', async () => {
  f.reset();
  let thrown: unknown;
  f.intercept = (ex) => {
    try {
      ex.writeHead(200, ['x-bad', 'a\r\nSet-Cookie: x=1'], 0);
    } catch (err) {
      thrown = err;
    }
    try {
      ex.respond(200, ['content-length', '5'], 'hello');
    } catch (err) {
      assert.ok(err instanceof InvalidResponseHeaderError, 'framing headers belong to the engine');
    }
    ex.respond(502, [], 'bad gateway\n');
    return true;
  };
  await withConnection(async (conn) => {
    await conn.send(get('/bad-header'));
    const r = await conn.readResponse();
    assert.ok(r !== 'closed');
    assert.equal(r.status, 502);
    assert.ok(!r.raw.toString('latin1').includes('Set-Cookie'));
  });
  assert.ok(thrown instanceof InvalidResponseHeaderError);
});

test('request body back-pressure: a listener that pauses stops delivery until it resumes; every byte arrives once', async () => {
  f.reset();
  const total = 8 * 1024 * 1024;
  let received = 0;
  let pauses = 0;
  class Slow implements ExchangeListener {
    onBodyData(ex: Http1Exchange, chunk: Buffer): boolean {
      received += chunk.length;
      if (received % 3 === 0) return true;
      pauses++;
      setTimeout(() => ex.resumeBody(), 1);
      return false;
    }
    onBodyEnd(ex: Http1Exchange): void {
      ex.respond(200, [], String(received));
    }
  }
  f.intercept = (ex) => {
    ex.readBody(new Slow());
    return true;
  };
  await withConnection(async (conn) => {
    await conn.send(`POST /up HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: ${total}\r\n\r\n`);
    await conn.send(Buffer.alloc(total, 0x61));
    const r = await conn.readResponse();
    assert.ok(r !== 'closed');
    assert.equal(r.body.toString(), String(total));
  });
  assert.ok(pauses > 0);
});

test('a client that closes while its request is in flight aborts the exchange (onAbort), and the late answer is dropped', async () => {
  f.reset();
  let held: Http1Exchange | undefined;
  f.intercept = (ex) => {
    held = ex;
    return true;
  };
  await withConnection(async (conn) => {
    await conn.send(get('/hold'));
    await waitUntil(() => held !== undefined, 'the request');
  });
  await waitUntil(() => held!.aborted, 'the abort');
  assert.equal(held!.abortReason, 'client-closed');
  held!.respond(200, [], 'late'); // a no-op now
  await waitUntil(() => f.engine.connectionCount === 0, 'the connection to be forgotten');
});

test('upgrade hand-off: the handler gets the socket and the bytes sent after the head; the engine lets go', async () => {
  f.reset();
  f.intercept = (ex) => {
    if (ex.head.upgrade === undefined) return false;
    const { socket, head } = ex.detach();
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n');
    socket.write(Buffer.concat([Buffer.from('early:'), head]));
    socket.on('data', (d: Buffer) => socket.write(d));
    socket.resume();
    return true;
  };
  await withConnection(async (conn) => {
    await conn.send(`GET /ws HTTP/1.1\r\nHost: ${HOST}\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nfirst-bytes`);
    const r = await conn.readResponse();
    assert.ok(r !== 'closed');
    assert.equal(r.status, 101);
    assert.equal((await conn.readBytes('early:first-bytes'.length)).toString(), 'early:first-bytes');
    await conn.send('ping');
    assert.equal((await conn.readBytes(4)).toString(), 'ping');
    // Connections of earlier tests may still be lingering; the upgraded one is open, but not counted.
    await waitUntil(() => f.engine.connectionCount === 0, 'the engine to track no connection');
  });
});

test('an Upgrade the handler does not take is a plain request; the connection stays HTTP/1.1', async () => {
  f.reset();
  await withConnection(async (conn) => {
    await conn.send(`GET /h2c HTTP/1.1\r\nHost: ${HOST}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n` + get('/after'));
    assert.equal(urlOf(await conn.readResponse()), '/h2c');
    assert.equal(urlOf(await conn.readResponse()), '/after');
  });
});

test('TLS: the engine serves a TLS socket; absolute-form targets must say https', async () => {
  const ca = makeCa();
  const leaf = makeLeaf(ca, { names: [HOST] });
  const tf = await startEngineFixture({}, { key: leaf.keyPem, cert: leaf.certPem });
  try {
    const exchange = (bytes: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const s = tlsConnect({ host: '127.0.0.1', port: tf.port, servername: HOST, ca: ca.certPem, ALPNProtocols: ['http/1.1'] }, () => s.write(bytes));
        let out = '';
        s.on('data', (d: Buffer) => (out += d.toString('latin1')));
        s.on('error', reject);
        s.on('close', () => resolve(out));
      });
    assert.match(await exchange(`GET https://${HOST}/x HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`), /^HTTP\/1\.1 200 OK[\s\S]*"path":"\/x"/);
    assert.match(await exchange(`GET http://${HOST}/x HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`), /^HTTP\/1\.1 400 /);
  } finally {
    await tf.close();
    ca.dispose();
  }
});

test('drain: idle connections close at once; a request in flight finishes with Connection: close', async () => {
  const df = await startEngineFixture();
  try {
    let held: Http1Exchange | undefined;
    df.intercept = (ex) => {
      held = ex;
      return true;
    };
    const idle = await RawConnection.connect({ port: df.port });
    const busy = await RawConnection.connect({ port: df.port });
    await busy.send(get('/busy'));
    await waitUntil(() => held !== undefined, 'the busy request');
    df.engine.drain();
    await idle.waitClosed();
    held!.respond(200, [], 'bye');
    const r = await busy.readResponse();
    assert.ok(r !== 'closed');
    assert.equal(header(r, 'connection'), 'close');
    await busy.waitClosed();
    idle.destroy();
    busy.destroy();
  } finally {
    await df.close();
  }
});

test('a handler that throws: 500 (or a cut once the response started); the engine keeps serving', async () => {
  f.reset();
  f.intercept = (ex, rec) => {
    if (rec.target === '/throw-before') throw new Error('handler bug');
    if (rec.target === '/throw-after') {
      ex.writeHead(200, [], 10);
      ex.write(Buffer.from('12345'));
      throw new Error('handler bug mid-response');
    }
    return false;
  };
  await withConnection(async (conn) => {
    await conn.send(get('/throw-before'));
    assert.equal(urlOf(await conn.readResponse()), 500);
    await conn.send(get('/after'));
    assert.equal(urlOf(await conn.readResponse()), '/after', 'the connection survives a 500');
  });
  await withConnection(async (conn) => {
    await conn.send(get('/throw-after'));
    const r = await conn.readResponseOrTruncation();
    assert.ok(r !== 'closed' && 'truncated' in r, 'a started response is cut, never completed');
  });
});
