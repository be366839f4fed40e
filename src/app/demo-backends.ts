// The demo's "pods": tiny HTTP servers that answer with their name, the path and the host they
// were asked for, like the tutorial's kubia app ("You've hit kubia-..."). Each listens on its own
// loopback address (127.0.0.x works on Linux without setup), falling back to 127.0.0.1 elsewhere.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoPod {
  name: string;
  app: string;
  address: string;
  port: number;
  server: Server;
}

export async function startDemoPod(name: string, app: string, preferredAddress: string): Promise<DemoPod> {
  const server = createServer((req, res) => {
    const body = `You've hit ${name}\nhost: ${safe(req.headers.host)}\npath: ${safe(req.url)}\n`;
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  let address = preferredAddress;
  try {
    await listen(server, address);
  } catch {
    address = '127.0.0.1';
    await listen(server, address);
  }
  return { name, app, address, port: (server.address() as AddressInfo).port, server };
}

export function stopDemoPod(pod: DemoPod): Promise<void> {
  return new Promise((resolve) => {
    pod.server.close(() => resolve());
    pod.server.closeAllConnections();
  });
}

function listen(server: Server, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Echoed text stays on its line and short. */
function safe(value: string | undefined): string {
  return (value ?? '').replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
}
