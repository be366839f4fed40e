// How many listening sockets each data-plane thread binds per traffic port (--listen-sockets).
// Node's libuv accepts one connection per listening socket and event-loop turn, so a busy thread
// accepts a burst of new connections slowly; several sockets sharing the port (SO_REUSEPORT) accept
// that many per turn (dataplane/front/listen-sockets.ts says why, docs/dataplane.md what it measured).
// Several only on Linux, where SO_REUSEPORT spreads new connections over the sockets of a port.

export const MAX_LISTEN_SOCKETS = 256;

/** The default on Linux: 500 connections opened at once are accepted within about half a second. */
export const LINUX_LISTEN_SOCKETS = 32;

export function defaultListenSockets(platform: NodeJS.Platform = process.platform): number {
  return platform === 'linux' ? LINUX_LISTEN_SOCKETS : 1;
}
