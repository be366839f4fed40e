// Request-framing attack cases, shared by the Node-parser pin test and the through-the-proxy suite.
// Facts carried from public corpora (llhttp's test vectors, Http11Probe, HTTP Garden's reported
// discrepancies, smuggler's Transfer-Encoding mutations, PortSwigger's CL.TE/TE.CL/TE.TE families);
// the cases themselves are written here.
//
// `by` says who refuses the request: 'node' = Node's strict parser (llhttp) before any handler runs
// (`nodeCode` is the error code it raises); 'gatehouse' = llhttp accepts it and checkRequestHead or
// canonicalizeTarget refuses it. Every case carries a MARKER so a smuggled remainder is visible.

import { HOST, MARKER } from './harness.ts';

export type Outcome = number | 'closed';

export interface FramingCase {
  cls: string;
  name: string;
  bytes: string;
  status: readonly Outcome[];
  by: 'node' | 'gatehouse';
  nodeCode?: string;
  /** Node accepts the head (the handler runs, the request starts upstream) and fails on the body. */
  bodyError?: true;
}

const H = `Host: ${HOST}\r\n`;
/** A smuggled request hidden in a body: if any parser reads the body as a request, the marker leaks. */
const SMUGGLED = `GET /${MARKER} HTTP/1.1\r\n${H}\r\n`;
const CHUNKED_SMUGGLE = `0\r\n\r\n${SMUGGLED}`;

function te(value: string, extra = ''): string {
  return `POST /te HTTP/1.1\r\n${H}${extra}Transfer-Encoding: ${value}\r\nContent-Length: ${CHUNKED_SMUGGLE.length}\r\n\r\n${CHUNKED_SMUGGLE}`;
}

export const FRAMING_CASES: readonly FramingCase[] = [
  // ---- CL.TE / TE.CL: both framing headers ----
  { cls: 'CL.TE', name: 'Content-Length then Transfer-Encoding: chunked', bytes: `POST / HTTP/1.1\r\n${H}Content-Length: ${CHUNKED_SMUGGLE.length}\r\nTransfer-Encoding: chunked\r\n\r\n${CHUNKED_SMUGGLE}`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_TRANSFER_ENCODING' },
  { cls: 'CL.TE', name: 'CL.TE with a short body (front end reads CL)', bytes: `POST / HTTP/1.1\r\n${H}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG${MARKER}`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_TRANSFER_ENCODING' },
  { cls: 'TE.CL', name: 'Transfer-Encoding then Content-Length: 4', bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\nGPOST /${MARKER} HTTP/1.1\r\nContent-Length: 15\r\n\r\nx=1\r\n0\r\n\r\n`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_CONTENT_LENGTH' },
  { cls: 'TE.CL', name: 'TE chunked and CL: 0', bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n${CHUNKED_SMUGGLE}`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_CONTENT_LENGTH' },

  // ---- TE.TE: obfuscated Transfer-Encoding (smuggler's mutations), each with a CL that disagrees ----
  { cls: 'TE.TE', name: 'space before the colon', bytes: te('chunked').replace('Transfer-Encoding:', 'Transfer-Encoding :'), status: [400], by: 'node', nodeCode: 'HPE_INVALID_HEADER_TOKEN' },
  { cls: 'TE.TE', name: 'tab before the colon', bytes: te('chunked').replace('Transfer-Encoding:', 'Transfer-Encoding\t:'), status: [400], by: 'node', nodeCode: 'HPE_INVALID_HEADER_TOKEN' },
  { cls: 'TE.TE', name: 'xchunked', bytes: te('xchunked'), status: [400], by: 'node', nodeCode: 'HPE_INVALID_CONTENT_LENGTH' },
  { cls: 'TE.TE', name: 'chunkedx', bytes: te('chunkedx'), status: [400], by: 'node', nodeCode: 'HPE_INVALID_CONTENT_LENGTH' },
  { cls: 'TE.TE', name: 'chunk', bytes: te('chunk'), status: [400], by: 'node', nodeCode: 'HPE_INVALID_CONTENT_LENGTH' },
  { cls: 'TE.TE', name: '"chunked" quoted', bytes: te('"chunked"'), status: [400], by: 'node', nodeCode: 'HPE_INVALID_CONTENT_LENGTH' },
  { cls: 'TE.TE', name: 'chunked, identity', bytes: te('chunked, identity'), status: [400], by: 'node', nodeCode: 'HPE_INVALID_TRANSFER_ENCODING' },
  { cls: 'TE.TE', name: 'identity, chunked (with CL)', bytes: te('identity, chunked'), status: [400], by: 'node', nodeCode: 'HPE_INVALID_CONTENT_LENGTH' },
  { cls: 'TE.TE', name: 'chunked;q=1 (parameter)', bytes: te('chunked;q=1'), status: [400], by: 'node', nodeCode: 'HPE_INVALID_CONTENT_LENGTH' },
  { cls: 'TE.TE', name: 'vertical tab before chunked', bytes: te('\x0bchunked').replace(': \x0b', ':\x0b'), status: [400], by: 'node', nodeCode: 'HPE_INVALID_HEADER_TOKEN' },
  { cls: 'TE.TE', name: 'form feed before chunked', bytes: te('\x0cchunked').replace(': \x0c', ':\x0c'), status: [400], by: 'node', nodeCode: 'HPE_INVALID_HEADER_TOKEN' },
  { cls: 'TE.TE', name: 'NUL after chunked', bytes: te('chunked\x00'), status: [400], by: 'node', nodeCode: 'HPE_INVALID_HEADER_TOKEN' },
  { cls: 'TE.TE', name: 'chunked then a tab (with CL)', bytes: te('chunked\t'), status: [400], by: 'node', nodeCode: 'HPE_INVALID_CONTENT_LENGTH' },
  { cls: 'TE.TE', name: 'leading space on the header line (obs-fold of the previous line)', bytes: te('chunked').replace('Transfer-Encoding:', ' Transfer-Encoding:'), status: [400], by: 'node', nodeCode: 'HPE_INVALID_HEADER_TOKEN' },
  { cls: 'TE.TE', name: 'folded value', bytes: te('\r\n chunked').replace(': \r\n', ':\r\n'), status: [400], by: 'node', nodeCode: 'HPE_INVALID_HEADER_TOKEN' },
  { cls: 'TE.TE', name: 'two TE headers: chunked, chunked', bytes: te('chunked', 'Transfer-Encoding: chunked\r\n'), status: [400], by: 'node', nodeCode: 'HPE_INVALID_TRANSFER_ENCODING' },
  { cls: 'TE.TE', name: 'two TE headers: identity then chunked', bytes: te('chunked', 'Transfer-Encoding: identity\r\n'), status: [400], by: 'node', nodeCode: 'HPE_INVALID_CONTENT_LENGTH' },
  { cls: 'TE.TE', name: 'TE without CL: final coding not chunked (identity)', bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: identity\r\n\r\n${CHUNKED_SMUGGLE}`, status: [400], by: 'node', bodyError: true, nodeCode: 'HPE_INVALID_TRANSFER_ENCODING' },
  { cls: 'TE.TE', name: 'TE without CL: empty value', bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: \r\n\r\n${CHUNKED_SMUGGLE}`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_TRANSFER_ENCODING' },
  { cls: 'TE.TE', name: 'TE without CL: chunked, (trailing comma)', bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked,\r\n\r\n${CHUNKED_SMUGGLE}`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_TRANSFER_ENCODING' },
  { cls: 'TE.TE', name: 'TE without CL: gzip, chunked (a coding we do not implement)', bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n${CHUNKED_SMUGGLE}`, status: [501], by: 'gatehouse' },
  { cls: 'TE.TE', name: 'TE on HTTP/1.0', bytes: `POST / HTTP/1.0\r\n${H}Transfer-Encoding: chunked\r\n\r\n${CHUNKED_SMUGGLE}`, status: [400], by: 'gatehouse' },

  // ---- CL.CL ----
  { cls: 'CL.CL', name: 'two equal Content-Length headers', bytes: `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello${SMUGGLED}`, status: [400], by: 'node', nodeCode: 'HPE_UNEXPECTED_CONTENT_LENGTH' },
  { cls: 'CL.CL', name: 'two different Content-Length headers', bytes: `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 40\r\n\r\nhello${SMUGGLED}`, status: [400], by: 'node', nodeCode: 'HPE_UNEXPECTED_CONTENT_LENGTH' },
  { cls: 'CL.CL', name: 'list-valued Content-Length: 5, 5', bytes: `POST / HTTP/1.1\r\n${H}Content-Length: 5, 5\r\n\r\nhello${SMUGGLED}`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_CONTENT_LENGTH' },
  { cls: 'CL.CL', name: 'Content-Length: +5', bytes: `POST / HTTP/1.1\r\n${H}Content-Length: +5\r\n\r\nhello${SMUGGLED}`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_CONTENT_LENGTH' },
  { cls: 'CL.CL', name: 'Content-Length: -1', bytes: `POST / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n${SMUGGLED}`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_CONTENT_LENGTH' },
  { cls: 'CL.CL', name: 'Content-Length: 0x5', bytes: `POST / HTTP/1.1\r\n${H}Content-Length: 0x5\r\n\r\nhello${SMUGGLED}`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_CONTENT_LENGTH' },
  { cls: 'CL.CL', name: 'Content-Length: 5 5', bytes: `POST / HTTP/1.1\r\n${H}Content-Length: 5 5\r\n\r\nhello${SMUGGLED}`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_CONTENT_LENGTH' },
  { cls: 'CL.CL', name: 'Content-Length: 1e1', bytes: `POST / HTTP/1.1\r\n${H}Content-Length: 1e1\r\n\r\nhelloworld${SMUGGLED}`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_CONTENT_LENGTH' },
  { cls: 'CL.CL', name: 'empty Content-Length', bytes: `POST / HTTP/1.1\r\n${H}Content-Length: \r\n\r\n${SMUGGLED}`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_CONTENT_LENGTH' },
  { cls: 'CL.CL', name: 'Content-Length overflowing 64 bits', bytes: `POST / HTTP/1.1\r\n${H}Content-Length: 99999999999999999999999\r\n\r\n${SMUGGLED}`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_CONTENT_LENGTH' },
  { cls: 'CL.CL', name: 'Content-Length: -0', bytes: `POST / HTTP/1.1\r\n${H}Content-Length: -0\r\n\r\n${SMUGGLED}`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_CONTENT_LENGTH' },
  { cls: 'CL.CL', name: 'Content-Length: 1_0', bytes: `POST / HTTP/1.1\r\n${H}Content-Length: 1_0\r\n\r\n0123456789${SMUGGLED}`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_CONTENT_LENGTH' },
  { cls: 'CL.CL', name: 'Content-Length: 5,5 (no space)', bytes: `POST / HTTP/1.1\r\n${H}Content-Length: 5,5\r\n\r\nhello${SMUGGLED}`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_CONTENT_LENGTH' },
  { cls: 'CL.CL', name: 'Content-Length with a space before the colon', bytes: `POST / HTTP/1.1\r\n${H}Content-Length : 5\r\n\r\nhello${SMUGGLED}`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_HEADER_TOKEN' },

  // ---- chunked body syntax ----
  { cls: 'chunked-body', name: 'invalid chunk size', bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\n${SMUGGLED}`, status: [400, 'closed'], by: 'node', bodyError: true, nodeCode: 'HPE_INVALID_CHUNK_SIZE' },
  { cls: 'chunked-body', name: 'negative chunk size', bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n-1\r\n${SMUGGLED}`, status: [400, 'closed'], by: 'node', bodyError: true, nodeCode: 'HPE_INVALID_CHUNK_SIZE' },
  { cls: 'chunked-body', name: 'chunk size overflowing 64 bits', bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n10000000000000001\r\nx\r\n0\r\n\r\n${SMUGGLED}`, status: [400, 'closed'], by: 'node', bodyError: true, nodeCode: 'HPE_INVALID_CHUNK_SIZE' },
  { cls: 'chunked-body', name: 'chunk size 0x prefix', bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n${SMUGGLED}`, status: [400, 'closed'], by: 'node', bodyError: true, nodeCode: 'HPE_INVALID_CHUNK_SIZE' },
  { cls: 'chunked-body', name: 'bare LF after the chunk size', bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n${SMUGGLED}`, status: [400, 'closed'], by: 'node', bodyError: true, nodeCode: 'HPE_CR_EXPECTED' },
  { cls: 'chunked-body', name: 'chunk data longer than its size', bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n${SMUGGLED}`, status: [400, 'closed'], by: 'node', bodyError: true, nodeCode: 'HPE_STRICT' },
  { cls: 'chunked-body', name: 'chunk extension with a bare LF', bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5;a=b\nhello\r\n0\r\n\r\n${SMUGGLED}`, status: [400, 'closed'], by: 'node', bodyError: true, nodeCode: 'HPE_CR_EXPECTED' },
  { cls: 'chunked-body', name: 'space inside the chunk size', bytes: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5 5\r\nhello\r\n0\r\n\r\n${SMUGGLED}`, status: [400, 'closed'], by: 'node', bodyError: true, nodeCode: 'HPE_INVALID_CHUNK_SIZE' },

  // Http11Probe's chunk-syntax family: each a body error after a valid head.
  ...(
    [
      ['chunk data ended by a bare CR', '5\r\nhello\r0\r\n\r\n', 'HPE_STRICT'],
      ['chunk size with a bare ";"', '5;\r\nhello\r\n0\r\n\r\n', 'HPE_STRICT'],
      ['control byte in a chunk extension', '5;a=\x01\r\nhello\r\n0\r\n\r\n', 'HPE_STRICT'],
      ['bare CR in a chunk extension', '5;a\rb\r\nhello\r\n0\r\n\r\n', 'HPE_STRICT'],
      ['invalid token in a chunk extension', '5;a(b\r\nhello\r\n0\r\n\r\n', 'HPE_STRICT'],
      ['space before the chunk size', ' 5\r\nhello\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'],
      ['chunk data ended by a bare LF', '5\r\nhello\n0\r\n\r\n', 'HPE_CR_EXPECTED'],
      ['last chunk followed by a bare LF', '5\r\nhello\r\n0\r\n\n', 'HPE_INVALID_HEADER_TOKEN'],
      ['chunk data without its CRLF', '5\r\nhello0\r\n\r\n', 'HPE_STRICT'],
      ['chunk size with a plus sign', '+5\r\nhello\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'],
      ['space after the chunk size', '5 \r\nhello\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'],
      ['underscore in the chunk size', '1_0\r\n0123456789abcdef\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'],
      ['Content-Length in the trailer section', '5\r\nhello\r\n0\r\nContent-Length: 100\r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH'],
      ['Transfer-Encoding in the trailer section', '5\r\nhello\r\n0\r\nTransfer-Encoding: gzip\r\n\r\n', 'HPE_INVALID_TRANSFER_ENCODING'],
    ] as const
  ).map(
    ([name, body, code]): FramingCase => ({ cls: 'chunked-body', name, bytes: `POST /c HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n${body}${SMUGGLED}`, status: [400, 'closed'], by: 'node', bodyError: true, nodeCode: code }),
  ),

  // ---- line endings ----
  { cls: 'line-endings', name: 'bare LF after the request line', bytes: `GET / HTTP/1.1\n${H}\r\n`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_VERSION' },
  { cls: 'line-endings', name: 'bare LF after a header', bytes: `GET / HTTP/1.1\r\n${H}X-A: 1\nX-B: 2\r\n\r\n`, status: [400], by: 'node', nodeCode: 'HPE_CR_EXPECTED' },
  { cls: 'line-endings', name: 'bare LF ending the head', bytes: `GET / HTTP/1.1\r\n${H}\n`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_HEADER_TOKEN' },
  { cls: 'line-endings', name: 'only LFs', bytes: `GET / HTTP/1.1\nHost: ${HOST}\n\n`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_VERSION' },
  { cls: 'line-endings', name: 'bare CR inside a header line', bytes: `GET / HTTP/1.1\r\n${H}X-A: 1\rX-B: 2\r\n\r\n`, status: [400], by: 'node', nodeCode: 'HPE_LF_EXPECTED' },
  { cls: 'line-endings', name: 'bare CR after the request line', bytes: `GET / HTTP/1.1\r${H}\r\n`, status: [400], by: 'node', nodeCode: 'HPE_STRICT' },
  { cls: 'line-endings', name: 'CR CR LF', bytes: `GET / HTTP/1.1\r\n${H}X-A: 1\r\r\n\r\n`, status: [400], by: 'node', nodeCode: 'HPE_LF_EXPECTED' },

  // ---- obs-fold ----
  { cls: 'obs-fold', name: 'folded header (space)', bytes: `GET / HTTP/1.1\r\n${H}X-A: 1\r\n 2\r\n\r\n`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_HEADER_TOKEN' },
  { cls: 'obs-fold', name: 'folded header (tab)', bytes: `GET / HTTP/1.1\r\n${H}X-A: 1\r\n\t2\r\n\r\n`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_HEADER_TOKEN' },
  { cls: 'obs-fold', name: 'folded Host', bytes: `GET / HTTP/1.1\r\nHost:\r\n ${HOST}\r\n\r\n`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_HEADER_TOKEN' },
  { cls: 'obs-fold', name: 'folded Content-Length', bytes: `POST / HTTP/1.1\r\n${H}Content-Length:\r\n 5\r\n\r\nhello`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_HEADER_TOKEN' },
  { cls: 'obs-fold', name: 'space before the first header', bytes: `GET / HTTP/1.1\r\n ${H}\r\n`, status: [400], by: 'node', nodeCode: 'HPE_UNEXPECTED_SPACE' },

  // ---- whitespace before the colon, odd names ----
  { cls: 'header-syntax', name: 'Host with a space before the colon', bytes: `GET / HTTP/1.1\r\nHost : ${HOST}\r\n\r\n`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_HEADER_TOKEN' },
  { cls: 'header-syntax', name: 'space inside a header name', bytes: `GET / HTTP/1.1\r\n${H}X A: 1\r\n\r\n`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_HEADER_TOKEN' },
  { cls: 'header-syntax', name: 'empty header name', bytes: `GET / HTTP/1.1\r\n${H}: 1\r\n\r\n`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_HEADER_TOKEN' },
  { cls: 'header-syntax', name: 'header line without a colon', bytes: `GET / HTTP/1.1\r\n${H}X-A\r\n\r\n`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_HEADER_TOKEN' },
  { cls: 'header-syntax', name: '"(" in a header name', bytes: `GET / HTTP/1.1\r\n${H}X(A: 1\r\n\r\n`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_HEADER_TOKEN' },
  { cls: 'header-syntax', name: 'non-ASCII byte in a header name', bytes: `GET / HTTP/1.1\r\n${H}X\xe9: 1\r\n\r\n`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_HEADER_TOKEN' },

  // ---- invalid bytes in names and values ----
  ...(
    [
      ['NUL', '\x00'],
      ['CR', '\r'],
      ['DEL', '\x7f'],
      ['SOH', '\x01'],
      ['VT', '\x0b'],
      ['FF', '\x0c'],
      ['ESC', '\x1b'],
    ] as const
  ).flatMap(([label, ch]) => [
    { cls: 'invalid-bytes', name: `${label} in a header name`, bytes: `GET / HTTP/1.1\r\n${H}X-A${ch}B: 1\r\n\r\n`, status: [400] as Outcome[], by: 'node' as const, nodeCode: ch === '\r' ? 'HPE_INVALID_HEADER_TOKEN' : 'HPE_INVALID_HEADER_TOKEN' },
    { cls: 'invalid-bytes', name: `${label} in a header value`, bytes: `GET / HTTP/1.1\r\n${H}X-A: 1${ch}2\r\n\r\n`, status: [400] as Outcome[], by: 'node' as const, nodeCode: ch === '\r' ? 'HPE_LF_EXPECTED' : 'HPE_INVALID_HEADER_TOKEN' },
  ]),
  { cls: 'invalid-bytes', name: 'NUL in the request target', bytes: `GET /a\x00b HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_URL' },
  { cls: 'invalid-bytes', name: 'tab in the request target', bytes: `GET /a\tb HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_URL' },
  { cls: 'invalid-bytes', name: 'non-ASCII in the request target', bytes: `GET /caf\xc3\xa9 HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_URL' },
  { cls: 'invalid-bytes', name: 'raw backslash in the request target', bytes: `GET /public\\..\\admin HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'gatehouse' },
  { cls: 'invalid-bytes', name: 'lower-case method', bytes: `get / HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_METHOD' },
  { cls: 'invalid-bytes', name: 'unknown method', bytes: `FOO / HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_METHOD' },

  // ---- Host ----
  { cls: 'host', name: 'two Host headers', bytes: `GET / HTTP/1.1\r\n${H}Host: evil.example\r\n\r\n`, status: [400], by: 'gatehouse' },
  { cls: 'host', name: 'two identical Host headers', bytes: `GET / HTTP/1.1\r\n${H}${H}\r\n`, status: [400], by: 'gatehouse' },
  { cls: 'host', name: 'empty Host', bytes: `GET / HTTP/1.1\r\nHost:\r\n\r\n`, status: [400], by: 'gatehouse' },
  { cls: 'host', name: 'Host of only spaces', bytes: `GET / HTTP/1.1\r\nHost:   \r\n\r\n`, status: [400], by: 'gatehouse' },
  { cls: 'host', name: 'no Host on HTTP/1.1', bytes: `GET / HTTP/1.1\r\nX-A: 1\r\n\r\n`, status: [400], by: 'gatehouse' },
  ...['a b', 'a@evil.example', `${HOST}:80:80`, `${HOST}:99999`, `${HOST}:`, `${HOST}:-1`, '[::1', '::1', `${HOST}/x`, 'a%2eb', `${HOST},evil.example`, 'a..b', `${HOST};x`, `${HOST}\\x`].map(
    (bad): FramingCase => ({ cls: 'host', name: `malformed Host ${JSON.stringify(bad)}`, bytes: `GET / HTTP/1.1\r\nHost: ${bad}\r\n\r\n`, status: [400], by: 'gatehouse' }),
  ),

  // ---- versions ----
  { cls: 'version', name: 'HTTP/0.9 simple request', bytes: `GET /\r\n\r\n`, status: [400, 'closed'], by: 'gatehouse' },
  { cls: 'version', name: 'HTTP/2.0 in HTTP/1 framing', bytes: `GET / HTTP/2.0\r\n${H}\r\n`, status: [505], by: 'gatehouse' },
  { cls: 'version', name: 'HTTP/1.2', bytes: `GET / HTTP/1.2\r\n${H}\r\n`, status: [505], by: 'node', nodeCode: 'HPE_INVALID_VERSION' },
  { cls: 'version', name: 'HTTP/1.9', bytes: `GET / HTTP/1.9\r\n${H}\r\n`, status: [505], by: 'node', nodeCode: 'HPE_INVALID_VERSION' },
  { cls: 'version', name: 'HTTP/3.0', bytes: `GET / HTTP/3.0\r\n${H}\r\n`, status: [505], by: 'node', nodeCode: 'HPE_INVALID_VERSION' },
  { cls: 'version', name: 'HTTP/10.0 (malformed)', bytes: `GET / HTTP/10.0\r\n${H}\r\n`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_VERSION' },
  { cls: 'version', name: 'HTTP/1.10 (malformed)', bytes: `GET / HTTP/1.10\r\n${H}\r\n`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_VERSION' },
  { cls: 'version', name: 'lower-case http/1.1', bytes: `GET / http/1.1\r\n${H}\r\n`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_CONSTANT' },
  { cls: 'version', name: 'HTTP/1.1 followed by junk', bytes: `GET / HTTP/1.1 x\r\n${H}\r\n`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_VERSION' },
  { cls: 'version', name: 'HTTP/2 prior-knowledge preface on the HTTP/1 port', bytes: `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`, status: [400, 505, 'closed'], by: 'node', nodeCode: 'HPE_PAUSED_H2_UPGRADE' },

  // ---- request target ----
  { cls: 'target', name: 'fragment in the target', bytes: `GET /admin#x HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'gatehouse' },
  { cls: 'target', name: 'fragment after the query', bytes: `GET /?a=1#x HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'gatehouse' },
  { cls: 'target', name: 'absolute-form with userinfo', bytes: `GET http://user:pw@${HOST}/ HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'gatehouse' },
  { cls: 'target', name: 'absolute-form with an https scheme on the http listener', bytes: `GET https://${HOST}/ HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'gatehouse' },
  { cls: 'target', name: 'absolute-form whose authority disagrees with Host', bytes: `GET http://evil.example/admin HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'gatehouse' },
  { cls: 'target', name: 'absolute-form with another scheme', bytes: `GET ftp://${HOST}/ HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'gatehouse' },
  { cls: 'target', name: 'authority-form outside CONNECT', bytes: `GET ${HOST}:80 HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'node', nodeCode: 'HPE_INVALID_URL' },
  { cls: 'target', name: 'asterisk-form outside OPTIONS', bytes: `GET * HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'gatehouse' },
  { cls: 'target', name: 'encoded slash', bytes: `GET /public%2f..%2fadmin HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'gatehouse' },
  { cls: 'target', name: 'encoded backslash', bytes: `GET /public%5c..%5cadmin HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'gatehouse' },
  { cls: 'target', name: 'encoded NUL', bytes: `GET /admin%00.png HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'gatehouse' },
  { cls: 'target', name: 'encoded percent (double encoding)', bytes: `GET /%252e%252e/admin HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'gatehouse' },
  { cls: 'target', name: 'encoded semicolon', bytes: `GET /admin%3b HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'gatehouse' },
  { cls: 'target', name: 'encoded question mark', bytes: `GET /admin%3f.css HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'gatehouse' },
  { cls: 'target', name: 'encoded hash', bytes: `GET /admin%23 HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'gatehouse' },
  { cls: 'target', name: 'encoded CR LF (response splitting)', bytes: `GET /a%0d%0aSet-Cookie:x HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'gatehouse' },
  { cls: 'target', name: 'malformed percent-encoding', bytes: `GET /%zz HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'gatehouse' },
  { cls: 'target', name: 'truncated percent-encoding', bytes: `GET /a% HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'gatehouse' },
  { cls: 'target', name: '..; segment (servlet path parameter)', bytes: `GET /public/..;/admin HTTP/1.1\r\n${H}\r\n`, status: [400], by: 'gatehouse' },
];
