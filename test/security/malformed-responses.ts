// Backend responses that break HTTP/1.1 framing or syntax (smuggling shapes, bad lengths and chunks,
// unsolicited interim answers): one table, read by the data-plane test (each answered 502) and by
// the upstream client's own test (each refused), so both hold the same list.
import type { Socket } from 'node:net';

/** Path → exact response bytes (or a function that writes them). */
export const MALFORMED_RESPONSES: Readonly<Record<string, string | ((socket: Socket) => void)>> = {
  '/cl-te': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  '/te-cl': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n',
  '/cl-cl-different': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
  '/cl-cl-same': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello',
  '/cl-list': 'HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello',
  '/cl-negative': 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nhello',
  '/te-not-chunked': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello',
  '/bad-chunk-size': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
  '/chunk-overflow': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\nhello\r\n0\r\n\r\n',
  '/unsolicited-101': 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
  '/unsolicited-100-then-junk': 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
  '/bad-status-line': 'HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n',
  '/no-status-line': 'Content-Length: 0\r\n\r\n',
  '/http09-response': 'hello world',
  '/nul-in-header': 'HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n',
  '/bare-lf-header': 'HTTP/1.1 200 OK\nContent-Length: 0\n\n',
  '/obs-fold': 'HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n',
  '/space-before-colon': 'HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n',
  '/header-too-big': `HTTP/1.1 200 OK\r\nX-A: ${'a'.repeat(70_000)}\r\nContent-Length: 0\r\n\r\n`,
  '/body-on-204': 'HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello',
  '/body-on-304': 'HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\nhello',
  '/body-on-head': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello',
  '/extra-after-body': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nSMUGGLED',
};
