// How many sockets listen on a TCP port (any address, IPv4 and IPv6), as the kernel lists them
// (/proc/net/tcp and tcp6, state 0A): what --listen-sockets binds, seen from outside the process.
import { existsSync, readFileSync } from 'node:fs';

export function listeningSocketCount(port: number): number {
  const suffix = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let count = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[1]?.endsWith(suffix) === true && f[3] === '0A') count++;
    }
  }
  return count;
}
