// Keeps HTTP/2 sessions from outliving their connection, which Node's http2 server lets happen.
//
// What Node 24 does (pinned in test/security/node-http2.test.ts): while a session has a write in
// progress (a client that advertised a large flow-control window and stopped reading), the native
// session stops reading its socket (Http2Session::MaybeStopReading). When that client then closes
// its socket (the kernel answers the unread data with a reset), nothing reads or writes the socket
// again, so neither the socket's, the session's nor the streams' 'close' ever fires: every stream's
// upstream request stays open, holding pool connections, until the process ends.
//
// The workaround, in three parts:
//   - once a second, every live session's socket handle is asked to read again (readStart): a
//     closed or reset connection is then seen at once (EOF / ECONNRESET), and Node tears it down;
//     for a live one it is at most one read, after which the session stops reading again;
//   - the socket's 'close' or 'error' destroys the session (destroy(), not close(), which would wait
//     for streams that can no longer finish), which closes every stream and so aborts its exchange;
//   - an idle session (no frame either way for the idle timeout) gets GOAWAY; with no open stream
//     it is destroyed a second later at the latest, never waited on. Streams in flight may finish:
//     each is bounded by its own timeouts (the read timeout upstream, the client send timeout
//     downstream) and by the socket checks above.
import type { Http2Session, ServerHttp2Stream } from 'node:http2';

export interface Http2SessionGuardOptions {
  /** A session with no frame either way this long, and no open stream, is closed. */
  idleTimeoutMs: number;
  /** How often sockets are checked for a close Node has not noticed. Default 1 s. */
  sweepIntervalMs?: number;
  /** Between GOAWAY and destroy() for an idle session. Default 1 s. */
  goawayGraceMs?: number;
}

interface Guarded {
  openStreams: number;
}

type ReadableHandle = { readStart?: () => number };

export class Http2SessionGuard {
  readonly #options: Required<Http2SessionGuardOptions>;
  readonly #sessions = new Map<Http2Session, Guarded>();
  #sweep: NodeJS.Timeout | undefined;

  constructor(options: Http2SessionGuardOptions) {
    this.#options = { sweepIntervalMs: 1_000, goawayGraceMs: 1_000, ...options };
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Call from the server's 'session' event. */
  add(session: Http2Session): void {
    const state: Guarded = { openStreams: 0 };
    this.#sessions.set(session, state);
    const destroy = (): void => {
      if (!session.destroyed) session.destroy();
    };
    // session.socket is Node's proxy of the TLS socket: listeners are allowed on it.
    session.socket.once('close', destroy);
    session.socket.on('error', destroy);
    session.once('close', () => {
      this.#sessions.delete(session);
      if (this.#sessions.size === 0 && this.#sweep !== undefined) {
        clearInterval(this.#sweep);
        this.#sweep = undefined;
      }
    });
    session.on('stream', (stream: ServerHttp2Stream) => {
      state.openStreams++;
      stream.once('close', () => state.openStreams--);
    });
    session.setTimeout(this.#options.idleTimeoutMs, () => {
      if (session.destroyed) return;
      session.close();
      if (state.openStreams === 0) setTimeout(destroy, this.#options.goawayGraceMs).unref();
    });
    if (this.#sweep === undefined) {
      this.#sweep = setInterval(() => this.sweep(), this.#options.sweepIntervalMs);
      this.#sweep.unref();
    }
  }

  /** Asks every session's socket to read once more, so a connection closed under a stalled write is noticed. */
  sweep(): void {
    for (const session of this.#sessions.keys()) {
      if (session.destroyed) continue;
      try {
        // An internal of Node's stream handles (no public API re-arms a read the native session stopped).
        const handle = (session.socket as unknown as { _handle?: ReadableHandle | null })._handle;
        handle?.readStart?.();
      } catch {
        // The socket is already detached (the session is going away): nothing to check.
      }
    }
  }
}
