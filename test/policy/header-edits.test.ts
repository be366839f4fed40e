// Header edits and snippet returns through a real DataPlane with curl, over HTTP/1.1 and cleartext
// HTTP/2: request headers set, replaced and removed before the backend sees them (variables filled
// from the request), response headers set, added (add_header's statuses, `always`) and removed,
// a snippet's `return` answered without reaching the backend (redirect, text, 444 closing), a
// refused snippet answering 503 while other hosts keep serving, and WebSocket upgrades getting the
// request headers too.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { collectPolicies } from '../../src/core/collect-policies.ts';
import type { RoutePolicy } from '../../src/core/policy.ts';
import { startEchoBackend, type EchoBackend, type EchoReply } from '../support/echo-backend.ts';
import { routeTable } from '../support/route-tables.ts';
import { connectWebSocket } from '../support/websocket.ts';
import { startPlane, TRANSPORTS, type Plane } from './redirects-cors-plane.ts';

const N = 'nginx.ingress.kubernetes.io/';

function policyOf(annotations: Record<string, string>): RoutePolicy {
  const { policies } = collectPolicies([{ kind: 'Ingress', metadata: { namespace: 'shop', name: 'web', labels: {}, annotations }, spec: {} }], new Map(), { allowCrossNamespaceSecrets: false });
  return policies.get('shop/web')!;
}

let echo: EchoBackend;
let plane: Plane;

before(async () => {
  echo = await startEchoBackend({ address: '127.0.0.2', name: 'echo' });
  const backend = 'shop/web:80';
  const policies = {
    'shop/edits': policyOf({
      [`${N}configuration-snippet`]: [
        'proxy_set_header X-Real-IP $remote_addr;',
        'proxy_set_header X-Original-Host $host;',
        'proxy_set_header X-Seen "$scheme $request_uri";',
        'proxy_set_header X-Client-Said "";',
        'more_set_headers "X-Frame-Options: DENY" "Server: edge";',
        'more_clear_headers "X-Secret-*";',
        'add_header X-Added yes;',
        'add_header X-Always yes always;',
        'proxy_hide_header X-Powered-By;',
      ].join('\n'),
      'gatehouse.dev/request-headers': 'X-Env: production\nX-Req: $req_id',
      'gatehouse.dev/response-headers': 'Cache-Control: no-store',
    }),
    'shop/moved': policyOf({ [`${N}server-snippet`]: 'return 301 https://new.example.com$request_uri;' }),
    'shop/text': policyOf({ [`${N}configuration-snippet`]: 'more_set_headers "X-Why: maintenance";\nreturn 503 "down for maintenance on $host";' }),
    'shop/drop': policyOf({ [`${N}configuration-snippet`]: 'return 444;' }),
    'shop/broken': policyOf({ [`${N}configuration-snippet`]: 'more_set_headers "X-A: 1";\nallow 10.0.0.0/8;\ndeny all;' }),
  };
  plane = await startPlane(
    routeTable({
      hosts: {
        ...Object.fromEntries(Object.keys(policies).map((p) => [`${p.slice(5)}.example.com`, { routes: [{ path: '/', backend, policy: p }] }])),
        'plain.example.com': { routes: [{ path: '/', backend }] },
      },
      backends: { [backend]: [`127.0.0.2:${echo.port}`] },
      policies,
    }),
  );
});

after(async () => {
  await plane.stop();
  await echo.close();
});

for (const tr of TRANSPORTS) {
  test(`${tr}: request headers are set, replaced and removed before the backend sees them`, async () => {
    const r = await plane.curl(tr, 'edits.example.com', '/a/b?x=1', ['-H', 'X-Real-IP: 6.6.6.6', '-H', 'X-Client-Said: hi', '-H', 'X-Env: dev', '-H', 'X-Request-ID: abc-123']);
    assert.equal(r.status, 200);
    const seen = (JSON.parse(r.body) as EchoReply).headers;
    assert.equal(seen['x-real-ip'], '127.0.0.1', 'the client address, not what the client claimed');
    assert.equal(seen['x-original-host'], 'edits.example.com');
    assert.equal(seen['x-seen'], 'http /a/b?x=1');
    assert.equal(seen['x-client-said'], undefined, 'an empty value removes the header');
    assert.equal(seen['x-env'], 'production', 'replaces the client value');
    assert.equal(seen['x-req'], seen['x-request-id'], '$req_id is the request id sent upstream');
    assert.equal(seen['x-request-id'], 'abc-123');
  });

  test(`${tr}: response headers are set, added on add_header's statuses (or always) and removed`, async () => {
    const q = '?echo-header=x-secret-token:1&echo-header=x-powered-by:php&echo-header=x-frame-options:ALLOWALL&echo-header=cache-control:public';
    let r = await plane.curl(tr, 'edits.example.com', `/${q}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-frame-options'], 'DENY', "replaces the backend's");
    assert.equal(r.headers.server, 'edge');
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal(r.headers['x-added'], 'yes');
    assert.equal(r.headers['x-always'], 'yes');
    assert.equal(r.headers['x-secret-token'], undefined);
    assert.equal(r.headers['x-powered-by'], undefined);
    r = await plane.curl(tr, 'edits.example.com', `/${q}&echo-status=404`);
    assert.equal(r.status, 404);
    assert.equal(r.headers['x-added'], undefined, 'add_header without always: not on a 404');
    assert.equal(r.headers['x-always'], 'yes');
    assert.equal(r.headers['x-frame-options'], 'DENY', 'more_set_headers: on every status');
  });

  test(`${tr}: a snippet's return answers without reaching the backend`, async () => {
    const before = echo.count();
    let r = await plane.curl(tr, 'moved.example.com', '/shop/cart?id=7');
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, 'https://new.example.com/shop/cart?id=7');
    r = await plane.curl(tr, 'text.example.com', '/x');
    assert.equal(r.status, 503);
    assert.equal(r.body, 'down for maintenance on text.example.com');
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['x-why'], 'maintenance', "the snippet's headers are on its own answer too");
    await assert.rejects(plane.curl(tr, 'drop.example.com', '/'), /curl/, 'return 444 closes without an answer');
    assert.equal(echo.count(), before);
  });

  test(`${tr}: a snippet outside the subset answers 503, and other hosts keep serving`, async () => {
    const before = echo.count();
    const r = await plane.curl(tr, 'broken.example.com', '/');
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-a'], undefined);
    assert.equal(echo.count(), before, 'never forwarded');
    assert.equal((await plane.curl(tr, 'plain.example.com', '/')).status, 200);
  });
}

test('a WebSocket upgrade gets the request header edits too; a return answers it', async () => {
  const ws = await connectWebSocket(plane.ports.http1, { host: 'edits.example.com', path: '/ws' });
  try {
    assert.equal(ws.status, 101);
    const seen = echo.requests.at(-1)!;
    assert.equal(seen.headers['x-env'], 'production');
    assert.equal(seen.headers['x-real-ip'], '127.0.0.1');
  } finally {
    ws.close();
  }
  const moved = await connectWebSocket(plane.ports.http1, { host: 'moved.example.com', path: '/ws' });
  assert.equal(moved.status, 301);
  assert.match(moved.responseHead, /\r\nlocation: https:\/\/new\.example\.com\/ws(\r\n|$)/i);
  moved.close();
});
