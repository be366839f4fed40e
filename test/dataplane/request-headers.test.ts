// The engine's raw header list read two ways: the whole record (requestHeaders, Node's rules for
// repeated fields) and one field at a time (requestHeader, what the flow reads per request). They
// must agree field by field, or a request would be routed, logged or forwarded by different values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestHeader, requestHeaders } from '../../src/dataplane/exchange/request-headers.ts';

const CASES: { name: string; raw: string[] }[] = [
  { name: 'wrk', raw: ['Host', 'bench.example.com', 'Connection', 'keep-alive'] },
  { name: 'repeated list field', raw: ['Host', 'a', 'Accept', 'text/html', 'accept', 'application/json', 'ACCEPT', '*/*'] },
  { name: 'repeated first-wins field', raw: ['Host', 'a', 'User-Agent', 'one', 'user-agent', 'two', 'Referer', 'r1', 'REFERER', 'r2'] },
  { name: 'cookies joined with "; "', raw: ['Cookie', 'a=1', 'cookie', 'b=2', 'Host', 'h'] },
  { name: 'set-cookie a list', raw: ['Set-Cookie', 'a=1', 'set-cookie', 'b=2'] },
  { name: 'trace and request id', raw: ['traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'TraceState', 'k=v', 'X-Request-ID', 'abc', 'x-request-id', 'def'] },
  { name: 'connection tokens', raw: ['Connection', 'keep-alive', 'connection', 'x-drop-me', 'Host', 'h'] },
  { name: 'same length, other name', raw: ['Hosx', 'no', 'Host', 'yes'] },
  { name: 'empty', raw: [] },
];

for (const c of CASES) {
  test(`requestHeader agrees with requestHeaders: ${c.name}`, () => {
    const all = requestHeaders(c.raw);
    const names = new Set([...Object.keys(all), 'host', 'origin', 'x-forwarded-proto', 'absent']);
    for (const name of names) assert.deepEqual(requestHeader(c.raw, name), all[name], name);
  });
}
