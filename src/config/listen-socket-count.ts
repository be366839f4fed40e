// How many listening sockets bind each traffic port (--listen-sockets); with --workers N each
// worker binds ⌈N-th⌉ of them.
// Node's libuv accepts one connection per listening socket and event-loop turn, so a busy thread
// accepts a burst of new connections slowly; several sockets sharing the port (SO_REUSEPORT) accept
// that many per turn (dataplane/front/listen-sockets.ts says why, docs/dataplane.md what it measured).
// Several only on Linux, where SO_REUSEPORT spreads new connections over the sockets of a port.

export const MAX_LISTEN_SOCKETS = 1024;

/**
 * The default on Linux: 500 connections opened at once (wrk -c500) no longer wait seconds to be
 * accepted even when the machine is overloaded (32 were enough on a quiet machine, not at a load
 * average of 7 on 2 CPUs; docs/dataplane.md#accepting-connections).
 */
export const LINUX_LISTEN_SOCKETS = 128;

export function defaultListenSockets(platform: NodeJS.Platform = process.platform): number {
  return platform === 'linux' ? LINUX_LISTEN_SOCKETS : 1;
}
