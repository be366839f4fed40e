// backend-protocol HTTPS / AUTO_HTTP and the proxy-ssl-* annotations through one real DataPlane to
// real node:https backends, with certificates made by openssl (test/support/certs.ts) and the
// policies made by the real core from Ingress annotations and Secrets (collectPolicies). Each
// backend answers what it saw of the TLS connection: the SNI, the TLS version, the client
// certificate. Verification off accepts a self-signed backend; on, the right CA passes and a wrong
// CA, a wrong name or a too-long chain answer 502; a client certificate is presented when the
// Secret has one; SNI is sent only when asked; proxy-ssl-protocols is honoured; broken
// configurations answer 503; a WebSocket upgrade to an HTTPS backend goes over TLS.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createHttpsServer, request as httpsRequest, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import { collectPolicies } from '../../src/core/collect-policies.ts';
import type { Diagnostic } from '../../src/core/diagnostics.ts';
import type { Ingress, Secret } from '../../src/core/model.ts';
import { DataPlane } from '../../src/dataplane/data-plane.ts';
import { inspectCertificate } from '../../src/dataplane/tls/inspect-certificate.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { makeCa, makeLeaf, makeSelfSigned, type TestCa } from '../support/certs.ts';
import { listenOnEveryTransport, type TransportListeners } from '../support/data-plane-fixture.ts';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend.ts';
import { httpRequest, type HttpResult } from '../support/http-client.ts';
import { routeTable } from '../support/route-tables.ts';
import { connectWebSocket, encodeFrame, OPCODE_TEXT, websocketAccept } from '../support/websocket.ts';

const NGINX = 'nginx.ingress.kubernetes.io/';
const BACKEND_NAME = 'backend.internal';

interface Seen {
  sni: string | false;
  protocol: string | null;
  client: string | undefined;
  host: string | undefined;
}

let caRight: TestCa;
let caWrong: TestCa;
let caClients: TestCa;
const servers: HttpsServer[] = [];
let echo: EchoBackend;
let listeners: TransportListeners;
let diagnostics: Diagnostic[];
const lines: Record<string, unknown>[] = [];

/** An HTTPS backend answering, as JSON, what it saw of the connection; it also accepts WebSocket upgrades. */
async function backend(options: { certPem: string; keyPem: string; requireClientCa?: string; maxVersion?: 'TLSv1.2' }): Promise<number> {
  const server = createHttpsServer(
    {
      cert: options.certPem,
      key: options.keyPem,
      ...(options.requireClientCa !== undefined ? { requestCert: true, rejectUnauthorized: true, ca: options.requireClientCa } : {}),
      ...(options.maxVersion !== undefined ? { maxVersion: options.maxVersion } : {}),
    },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      const seen: Seen = { sni: (socket as TLSSocket & { servername: string | false }).servername, protocol: socket.getProtocol(), client: peer?.subject?.CN as string | undefined, host: req.headers.host };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(seen));
    },
  );
  server.on('upgrade', (req, socket) => {
    const key = req.headers['sec-websocket-key'] as string;
    const accept = websocketAccept(key);
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\nx-tls: ${(socket as TLSSocket).encrypted === true ? 'yes' : 'no'}\r\n\r\n`);
    socket.once('data', () => socket.write(encodeFrame(OPCODE_TEXT, Buffer.from('over tls'), false)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

/** A leaf for BACKEND_NAME under an intermediate CA (CA:TRUE) signed by `root`, made with openssl x509 -req. */
function chainUnderIntermediate(root: TestCa): { certPem: string; keyPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-intermediate-'));
  const run = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    writeFileSync(join(dir, 'int.ext'), 'basicConstraints = critical, CA:TRUE\nkeyUsage = keyCertSign, cRLSign\n');
    writeFileSync(join(dir, 'leaf.ext'), `basicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\nsubjectAltName = DNS:${BACKEND_NAME}\n`);
    run('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'int.key');
    run('req', '-new', '-key', 'int.key', '-subj', '/CN=Intermediate CA', '-out', 'int.csr');
    run('x509', '-req', '-in', 'int.csr', '-CA', root.certPath, '-CAkey', root.keyPath, '-CAcreateserial', '-CAserial', 'root.srl', '-days', '2', '-extfile', 'int.ext', '-out', 'int.pem');
    run('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'leaf.key');
    run('req', '-new', '-key', 'leaf.key', '-subj', `/CN=${BACKEND_NAME}`, '-out', 'leaf.csr');
    run('x509', '-req', '-in', 'leaf.csr', '-CA', 'int.pem', '-CAkey', 'int.key', '-CAcreateserial', '-CAserial', 'int.srl', '-days', '2', '-extfile', 'leaf.ext', '-out', 'leaf.pem');
    const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
    return { certPem: read('leaf.pem') + read('int.pem'), keyPem: read('leaf.key') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function secret(name: string, data: Record<string, string>, namespace = 'shop'): Secret {
  return { kind: 'Secret', metadata: { namespace, name, labels: {}, annotations: {} }, type: 'Opaque', data };
}

function ingress(name: string, annotations: Record<string, string>): Ingress {
  return { kind: 'Ingress', metadata: { namespace: 'shop', name, labels: {}, annotations }, spec: {} };
}

const https = (extra: Record<string, string> = {}): Record<string, string> => ({ [`${NGINX}backend-protocol`]: 'HTTPS', ...extra });
const verifyWith = (secretName: string, extra: Record<string, string> = {}): Record<string, string> =>
  https({ [`${NGINX}proxy-ssl-verify`]: 'on', [`${NGINX}proxy-ssl-secret`]: `shop/${secretName}`, [`${NGINX}proxy-ssl-name`]: BACKEND_NAME, ...extra });

before(async () => {
  caRight = makeCa({ name: 'Right CA', keyType: 'ec' });
  caWrong = makeCa({ name: 'Wrong CA', keyType: 'ec' });
  caClients = makeCa({ name: 'Client CA', keyType: 'ec' });
  const selfSigned = makeSelfSigned(caRight, 'self-signed.internal');
  const leaf = makeLeaf(caRight, { names: [BACKEND_NAME, 'sni.example.com'], keyType: 'ec' });
  const client = makeLeaf(caClients, { names: ['gatehouse-client'], keyType: 'ec', usage: 'clientAuth' });
  const ports = {
    selfSigned: await backend(selfSigned),
    leaf: await backend(leaf),
    mtls: await backend({ ...leaf, requireClientCa: caClients.certPem }),
    tls12: await backend({ ...leaf, maxVersion: 'TLSv1.2' }),
    intermediate: await backend(chainUnderIntermediate(caRight)),
  };
  echo = await startEchoBackend({ address: '127.0.0.1', name: 'plain' });

  const secrets = new Map<string, Secret>(
    [
      secret('right-ca', { 'ca.crt': caRight.certPem }),
      secret('wrong-ca', { 'ca.crt': caWrong.certPem }),
      secret('client', { 'ca.crt': caRight.certPem, 'tls.crt': client.certPem, 'tls.key': client.keyPem }),
      secret('client-only', { 'tls.crt': client.certPem, 'tls.key': client.keyPem }),
      secret('no-ca', { 'tls.crt': client.certPem, 'tls.key': client.keyPem }),
      secret('half', { 'ca.crt': caRight.certPem, 'tls.crt': client.certPem }),
      secret('not-pem', { 'ca.crt': 'this is no certificate' }),
      secret('right-ca', { 'ca.crt': caRight.certPem }, 'other'),
    ].map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]),
  );
  const ingresses: [Ingress, number][] = [
    [ingress('self-signed', https()), ports.selfSigned],
    [ingress('sni', https({ [`${NGINX}proxy-ssl-server-name`]: 'on' })), ports.leaf],
    [ingress('sni-name', https({ [`${NGINX}proxy-ssl-server-name`]: 'on', [`${NGINX}proxy-ssl-name`]: BACKEND_NAME })), ports.leaf],
    [ingress('verify-right', verifyWith('right-ca')), ports.leaf],
    [ingress('verify-wrong-ca', verifyWith('wrong-ca')), ports.leaf],
    [ingress('verify-wrong-name', verifyWith('right-ca', { [`${NGINX}proxy-ssl-name`]: 'other.internal' })), ports.leaf],
    [ingress('verify-self-signed', verifyWith('right-ca')), ports.selfSigned],
    [ingress('verify-host', https({ [`${NGINX}proxy-ssl-verify`]: 'on', [`${NGINX}proxy-ssl-secret`]: 'right-ca' })), ports.leaf],
    [ingress('mtls', verifyWith('client')), ports.mtls],
    [ingress('mtls-unverified', https({ [`${NGINX}proxy-ssl-secret`]: 'client-only' })), ports.mtls],
    [ingress('mtls-no-cert', verifyWith('right-ca')), ports.mtls],
    [ingress('tls13', https({ [`${NGINX}proxy-ssl-protocols`]: 'TLSv1.3' })), ports.leaf],
    [ingress('tls12', https({ [`${NGINX}proxy-ssl-protocols`]: 'TLSv1.2' })), ports.leaf],
    [ingress('tls13-to-12', https({ [`${NGINX}proxy-ssl-protocols`]: 'TLSv1.3' })), ports.tls12],
    [ingress('depth-default', verifyWith('right-ca')), ports.intermediate],
    [ingress('depth-2', verifyWith('right-ca', { [`${NGINX}proxy-ssl-verify-depth`]: '2' })), ports.intermediate],
    [ingress('bad-ciphers', https({ [`${NGINX}proxy-ssl-ciphers`]: 'NO-SUCH-CIPHER' })), ports.leaf],
    [ingress('legacy', { [`${NGINX}secure-backends`]: 'true' }), ports.selfSigned],
    [ingress('auto-tls', { [`${NGINX}backend-protocol`]: 'AUTO_HTTP' }), ports.selfSigned],
    [ingress('auto-plain', { [`${NGINX}backend-protocol`]: 'auto_http' }), echo.port],
    [ingress('plain', {}), echo.port],
    // Refused (503): each cannot be honoured as written.
    [ingress('fcgi', { [`${NGINX}backend-protocol`]: 'FCGI' }), ports.leaf],
    [ingress('verify-no-secret', https({ [`${NGINX}proxy-ssl-verify`]: 'on' })), ports.leaf],
    [ingress('verify-no-ca', verifyWith('no-ca')), ports.leaf],
    [ingress('secret-missing', verifyWith('nothing-here')), ports.leaf],
    [ingress('secret-cross', https({ [`${NGINX}proxy-ssl-secret`]: 'other/right-ca', [`${NGINX}proxy-ssl-verify`]: 'on' })), ports.leaf],
    [ingress('secret-half', verifyWith('half')), ports.leaf],
    [ingress('ca-not-pem', verifyWith('not-pem')), ports.leaf],
    [ingress('protocols-unknown', https({ [`${NGINX}proxy-ssl-protocols`]: 'TLSv1.4' })), ports.leaf],
    [ingress('verify-on-cleartext', { [`${NGINX}proxy-ssl-verify`]: 'on', [`${NGINX}proxy-ssl-secret`]: 'right-ca' }), ports.leaf],
  ];
  let policies;
  ({ policies, diagnostics } = collectPolicies(ingresses.map(([i]) => i), secrets, { allowCrossNamespaceSecrets: false, inspectCertificate }));
  const table = routeTable({
    hosts: Object.fromEntries(ingresses.map(([i]) => [`${i.metadata.name}.example.com`, { routes: [{ path: '/', backend: `shop/${i.metadata.name}:443`, policy: `shop/${i.metadata.name}` }] }])),
    backends: Object.fromEntries(ingresses.map(([i, port]) => [`shop/${i.metadata.name}:443`, [`127.0.0.1:${port}`]])),
    policies: Object.fromEntries(policies),
  });
  const logger = createLogger({ level: 'debug', write: (line) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const dp = new DataPlane({ logger, timeouts: { connectTimeoutMs: 10_000, readTimeoutMs: 20_000 } });
  dp.apply(table);
  listeners = await listenOnEveryTransport(dp, table, logger);
});

after(async () => {
  await listeners.close();
  await echo.close();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
  for (const ca of [caRight, caWrong, caClients]) ca.dispose();
});

function get(name: string): Promise<HttpResult> {
  return httpRequest(listeners.http, { host: `${name}.example.com`, timeoutMs: 30_000 });
}

function getOverTls(name: string): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: listeners.https, servername: `${name}.example.com`, headers: { host: `${name}.example.com` }, rejectUnauthorized: false, agent: false });
    req.setTimeout(30_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
    });
    req.end();
  });
}

function seen(r: HttpResult): Seen {
  assert.equal(r.status, 200, r.body.toString());
  return JSON.parse(r.body.toString()) as Seen;
}

function lastError(name: string): unknown {
  return lines.filter((l) => l.msg === 'access' && l.host === `${name}.example.com`).at(-1)?.error;
}

test('HTTPS to a self-signed backend: verification is off by default, as ingress-nginx; no SNI is sent', async () => {
  const s = seen(await get('self-signed'));
  assert.equal(s.sni, false);
  assert.equal(s.host, 'self-signed.example.com', 'the Host is the client\'s');
  assert.match(s.protocol ?? '', /^TLSv1\.[23]$/);
});

test('SNI only with proxy-ssl-server-name: on — the Host, or proxy-ssl-name when set', async () => {
  assert.equal(seen(await get('sni')).sni, 'sni.example.com');
  assert.equal(seen(await get('sni-name')).sni, BACKEND_NAME);
  assert.equal(seen(await get('verify-right')).sni, false, 'verification alone sends no SNI');
});

test('proxy-ssl-verify: on with the right CA and name passes; a wrong CA, a wrong name or a self-signed backend answer 502', async () => {
  assert.equal(seen(await get('verify-right')).host, 'verify-right.example.com');
  for (const name of ['verify-wrong-ca', 'verify-wrong-name', 'verify-self-signed']) {
    const r = await get(name);
    assert.equal(r.status, 502, name);
  }
  assert.equal(lastError('verify-wrong-ca'), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  assert.equal(lastError('verify-wrong-name'), 'ERR_TLS_CERT_ALTNAME_INVALID');
  // Without proxy-ssl-name the request's Host is the name checked: not in the certificate here.
  assert.equal((await get('verify-host')).status, 502);
  assert.equal(lastError('verify-host'), 'ERR_TLS_CERT_ALTNAME_INVALID');
});

test('proxy-ssl-verify-depth: a chain through an intermediate CA needs depth 2 (nginx\'s default 1 refuses it: 502)', async () => {
  assert.equal((await get('depth-default')).status, 502);
  assert.equal(lastError('depth-default'), 'ERR_BACKEND_CERT_CHAIN_TOO_LONG');
  assert.equal(seen(await get('depth-2')).host, 'depth-2.example.com');
});

test('the client certificate of proxy-ssl-secret is presented to a backend that requires one', async () => {
  assert.equal(seen(await get('mtls')).client, 'gatehouse-client');
  assert.equal(seen(await get('mtls-unverified')).client, 'gatehouse-client', 'presented with verification off too, as ingress-nginx');
  assert.equal((await get('mtls-no-cert')).status, 502, 'no client certificate: the backend refuses the handshake');
});

test('proxy-ssl-protocols is honoured: TLSv1.3 only, TLSv1.2 only, and TLSv1.3 to a TLS 1.2 backend fails', async () => {
  assert.equal(seen(await get('tls13')).protocol, 'TLSv1.3');
  assert.equal(seen(await get('tls12')).protocol, 'TLSv1.2');
  assert.equal((await get('tls13-to-12')).status, 502);
});

test('secure-backends: "true" is HTTPS, with a warning', async () => {
  assert.equal(seen(await get('legacy')).sni, false);
  assert.ok(diagnostics.some((d) => d.code === 'BackendProtocolLegacy' && d.severity === 'warning' && d.object.name === 'legacy'));
});

test('AUTO_HTTP: TLS to the backend for clients that came over TLS, plain HTTP for the others', async () => {
  // A TLS backend: reached from the HTTPS listener, not (502) from the HTTP one.
  assert.equal(seen(await getOverTls('auto-tls')).sni, false);
  assert.equal((await get('auto-tls')).status, 502);
  // A plain backend: the opposite.
  assert.equal((await get('auto-plain')).status, 200);
  assert.equal((await getOverTls('auto-plain')).status, 502);
  // HTTPS from either listener.
  assert.equal(seen(await getOverTls('self-signed')).sni, false);
});

test('configurations that cannot be honoured refuse the Ingress: 503 and an error diagnostic naming the annotation', async () => {
  const refused: Record<string, string> = {
    fcgi: 'BackendProtocolUnsupported',
    'verify-no-secret': 'AnnotationProtectionInvalid',
    'verify-no-ca': 'ProxySslSecretInvalid',
    'secret-missing': 'ProxySslSecretNotFound',
    'secret-cross': 'ProxySslSecretCrossNamespace',
    'secret-half': 'ProxySslSecretInvalid',
    'ca-not-pem': 'ProxySslSecretInvalid',
    'protocols-unknown': 'AnnotationProtectionInvalid',
    'verify-on-cleartext': 'BackendTlsWithoutTls',
  };
  // A cipher list the TLS library refuses: found when the data plane builds the settings.
  assert.equal((await get('bad-ciphers')).status, 503);
  assert.equal(lastError('bad-ciphers'), 'ProxySslSecretInvalid');
  for (const [name, code] of Object.entries(refused)) {
    const r = await get(name);
    assert.equal(r.status, 503, name);
    assert.equal(lastError(name), code, name);
    const d = diagnostics.find((x) => x.object.name === name && x.code === code);
    assert.ok(d !== undefined && d.severity === 'error' && d.message.includes('503'), `${name}: ${JSON.stringify(diagnostics.filter((x) => x.object.name === name))}`);
    assert.equal((await getOverTls(name)).status, 503, `${name} over TLS`);
  }
  // The cleartext default next to them is served.
  assert.equal((await get('plain')).status, 200);
});

test('a WebSocket upgrade to an HTTPS backend goes over TLS', async () => {
  const ws = await connectWebSocket(listeners.http, { host: 'self-signed.example.com', path: '/chat' });
  try {
    assert.equal(ws.status, 101);
    assert.match(ws.responseHead, /\r\nx-tls: yes(\r\n|$)/i);
    ws.send('hello');
    const frame = await ws.next(10_000);
    assert.equal(frame.payload.toString(), 'over tls');
  } finally {
    ws.close();
  }
});
