// An external authentication service for tests, answering as the two most common ones do behind
// ingress-nginx's auth-url:
//   /oauth2/auth  (oauth2-proxy): a valid `_oauth2_proxy` session cookie or `Authorization: Bearer`
//                 token → 202 with X-Auth-Request-User / -Email (and a refreshed session cookie for
//                 the session "refresh"); anything else → 401, clearing a stale session cookie.
//   /api/verify   (Authelia): a valid `authelia_session` cookie → 200 with Remote-User,
//                 Remote-Groups, Remote-Email, Remote-Name, unless X-Original-URL's path starts with
//                 /admin and the user is not in the admins group → 403; no session → 401.
//   /status/N     answers N; /hang never answers (timeouts); /slow/MS answers 200 after MS ms.
// Every request is recorded (method, URL, headers, body bytes) so tests can assert what Gatehouse
// sent. Optionally HTTPS with a given certificate.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export interface AuthRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  bodyBytes: number;
}

export interface AuthServer {
  port: number;
  address: string;
  requests: AuthRequest[];
  /** Requests that arrived on this path (without query). */
  count(path: string): number;
  /** Requests waiting on /hang or /slow whose client went away. */
  aborted(): number;
  close(): Promise<void>;
}

export interface AuthServerOptions {
  address?: string;
  /** Default 0: any free port. */
  port?: number;
  tls?: { cert: string; key: string };
}

/** oauth2-proxy sessions: cookie value → user. */
export const OAUTH2_SESSIONS: Record<string, { user: string; email: string }> = {
  'alice-session': { user: 'alice', email: 'alice@example.com' },
  refresh: { user: 'rita', email: 'rita@example.com' },
};
export const OAUTH2_TOKENS: Record<string, { user: string; email: string }> = { 'good-token': { user: 'bot', email: 'bot@example.com' } };
/** Authelia sessions: cookie value → user and groups. */
export const AUTHELIA_SESSIONS: Record<string, { user: string; groups: string[] }> = {
  'admin-session': { user: 'john', groups: ['admins', 'dev'] },
  'dev-session': { user: 'harry', groups: ['dev'] },
};

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function answer(res: ServerResponse, status: number, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain', ...headers });
  res.end(status >= 400 ? 'denied\n' : 'ok\n');
}

export async function startAuthServer(options: AuthServerOptions = {}): Promise<AuthServer> {
  const requests: AuthRequest[] = [];
  const counts = new Map<string, number>();
  const sockets = new Set<Socket>();
  let aborted = 0;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    let bodyBytes = 0;
    req.on('data', (c: Buffer) => (bodyBytes += c.length));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyBytes });
      const path = (req.url ?? '/').split('?')[0]!;
      counts.set(path, (counts.get(path) ?? 0) + 1);
      if (path === '/oauth2/auth') {
        const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        const sessionId = cookie(req, '_oauth2_proxy');
        const who = (bearer !== undefined ? OAUTH2_TOKENS[bearer] : undefined) ?? (sessionId !== undefined ? OAUTH2_SESSIONS[sessionId] : undefined);
        if (who === undefined) {
          // A stale session cookie is cleared, as oauth2-proxy does.
          return answer(res, 401, sessionId === undefined ? {} : { 'set-cookie': '_oauth2_proxy=; Path=/; Max-Age=0; HttpOnly' });
        }
        const headers: Record<string, string | string[]> = { 'x-auth-request-user': who.user, 'x-auth-request-email': who.email };
        if (sessionId === 'refresh') headers['set-cookie'] = ['_oauth2_proxy=refreshed; Path=/; HttpOnly; Secure', 'oauth2_seen=1; Path=/'];
        return answer(res, 202, headers);
      }
      if (path === '/api/verify') {
        const session = AUTHELIA_SESSIONS[cookie(req, 'authelia_session') ?? ''];
        if (session === undefined) return answer(res, 401);
        const original = String(req.headers['x-original-url'] ?? '');
        let target: URL | undefined;
        try {
          target = new URL(original);
        } catch {
          return answer(res, 401);
        }
        if (target.pathname.startsWith('/admin') && !session.groups.includes('admins')) return answer(res, 403);
        return answer(res, 200, { 'remote-user': session.user, 'remote-groups': session.groups.join(','), 'remote-email': `${session.user}@example.com`, 'remote-name': session.user.toUpperCase() });
      }
      const status = /^\/status\/([1-5][0-9][0-9])$/.exec(path);
      if (status !== null) return answer(res, Number(status[1]), Number(status[1]) === 401 ? { 'www-authenticate': 'Bearer realm="test"' } : {});
      const slow = /^\/slow\/([0-9]+)$/.exec(path);
      if (path === '/hang' || slow !== null) {
        const timer = slow === null ? undefined : setTimeout(() => answer(res, 200, { 'x-auth-request-user': 'slow' }), Number(slow[1]));
        res.on('close', () => {
          if (!res.writableFinished) {
            aborted++;
            clearTimeout(timer);
          }
        });
        return;
      }
      answer(res, 404);
    });
  };
  const server: Server = options.tls === undefined ? createHttpServer(handler) : createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const address = options.address ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, address, () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    address,
    requests,
    count: (path) => counts.get(path) ?? 0,
    aborted: () => aborted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
