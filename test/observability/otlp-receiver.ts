// A small OTLP/HTTP traces receiver for the tests: POST /v1/traces with a protobuf
// ExportTraceServiceRequest (what the exporter sends), decoded with a minimal protobuf reader into
// the span fields the tests assert on; anything else is answered 400 and the test sees no span. Field numbers from opentelemetry-proto (trace/v1/trace.proto, common/v1).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  name: string;
  /** 1 internal, 2 server, 3 client… */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, string | number | boolean>;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  resource: Record<string, string | number | boolean>;
}

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  /** Content types of the requests received. */
  contentTypes: string[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const type = String(req.headers['content-type'] ?? '');
      contentTypes.push(type);
      try {
        if (type !== 'application/x-protobuf') throw new Error(`unexpected content type ${type}`);
        spans.push(...fromProtobuf(body));
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(err));
        return;
      }
      // An empty ExportTraceServiceResponse: everything accepted.
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end(Buffer.alloc(0));
    });
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---- protobuf ----

type Field = { no: number; wire: number; varint?: bigint; bytes?: Buffer; fixed?: Buffer };

function readVarint(buf: Buffer, pos: { i: number }): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos.i >= buf.length) throw new Error('truncated varint');
    const b = buf[pos.i++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
    shift += 7n;
  }
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  const pos = { i: 0 };
  while (pos.i < buf.length) {
    const key = Number(readVarint(buf, pos));
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, wire, varint: readVarint(buf, pos) });
    else if (wire === 1) {
      out.push({ no, wire, fixed: buf.subarray(pos.i, pos.i + 8) });
      pos.i += 8;
    } else if (wire === 2) {
      const len = Number(readVarint(buf, pos));
      out.push({ no, wire, bytes: buf.subarray(pos.i, pos.i + len) });
      pos.i += len;
    } else if (wire === 5) {
      out.push({ no, wire, fixed: buf.subarray(pos.i, pos.i + 4) });
      pos.i += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const all = (fs: Field[], no: number): Field[] => fs.filter((f) => f.no === no);
const one = (fs: Field[], no: number): Field | undefined => fs.find((f) => f.no === no);

function anyValue(buf: Buffer): string | number | boolean {
  const f = fields(buf)[0];
  if (f === undefined) return '';
  switch (f.no) {
    case 1:
      return f.bytes!.toString('utf8');
    case 2:
      return f.varint !== 0n;
    case 3:
      return Number(BigInt.asIntN(64, f.varint!));
    case 4:
      return f.fixed!.readDoubleLE(0);
    default:
      return `<field ${f.no}>`;
  }
}

function keyValues(fs: Field[], no: number): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const kv of all(fs, no)) {
    const k = fields(kv.bytes!);
    out[one(k, 1)?.bytes?.toString('utf8') ?? ''] = anyValue(one(k, 2)?.bytes ?? Buffer.alloc(0));
  }
  return out;
}

function fromProtobuf(body: Buffer): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of all(fields(body), 1)) {
    const rsf = fields(rs.bytes!);
    const resource = keyValues(fields(one(rsf, 1)?.bytes ?? Buffer.alloc(0)), 1);
    for (const ss of all(rsf, 2)) {
      for (const sp of all(fields(ss.bytes!), 2)) {
        const f = fields(sp.bytes!);
        const status = fields(one(f, 15)?.bytes ?? Buffer.alloc(0));
        out.push({
          traceId: one(f, 1)?.bytes?.toString('hex') ?? '',
          spanId: one(f, 2)?.bytes?.toString('hex') ?? '',
          traceState: one(f, 3)?.bytes?.toString('utf8') ?? '',
          parentSpanId: one(f, 4)?.bytes?.toString('hex') ?? '',
          name: one(f, 5)?.bytes?.toString('utf8') ?? '',
          kind: Number(one(f, 6)?.varint ?? 0n),
          startTimeUnixNano: one(f, 7)?.fixed?.readBigUInt64LE(0) ?? 0n,
          endTimeUnixNano: one(f, 8)?.fixed?.readBigUInt64LE(0) ?? 0n,
          attributes: keyValues(f, 9),
          statusCode: Number(one(status, 3)?.varint ?? 0n),
          resource,
        });
      }
    }
  }
  return out;
}
