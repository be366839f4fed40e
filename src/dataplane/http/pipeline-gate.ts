// One request of an HTTP/1.1 connection upstream at a time, in order, as nginx and Envoy forward
// pipelined requests. Node's HTTP server parses a connection eagerly and emits 'request' for every
// pipelined request it has read, so without this gate one write of 150,000 GETs became 150,000
// concurrent upstream requests (and ~1 GB of request objects).
//
// The request being served runs; the ones behind it wait here (at most `maxQueued`) and each starts
// when the response before it has closed. One more than that, and the connection is closed after
// the responses already owed: the last queued request's response carries `Connection: close`, the
// socket stops being read, and every request parsed after that is dropped unanswered (a client
// that pipelines retries what was not answered on a new connection, RFC 9112 §9.3.2).
//
// Stopping the reads uses the flag Node's own server sets when it pauses a connection for
// back-pressure (`socket._paused`): a bare socket.pause() is undone by the next request object's
// read (pinned in test/security/node-workarounds.test.ts). Node's server also resumes a connection
// it paused each time a response write lowers its outgoing data (socketOnDrain), which let one more
// 64 KiB read (~2,000 requests) in per owed response, so an overflowed connection's resume() is
// made a no-op: it stays unread until it closes, and at most the read in progress when the limit
// was crossed is ever parsed after it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

type Start = (req: IncomingMessage, res: ServerResponse) => void;

interface Gate {
  /** The request being served (its response not closed yet). */
  busy: boolean;
  /** Requests waiting their turn, in order: [req, res] pairs. */
  queue: [IncomingMessage, ServerResponse][];
  /** Too many were queued: nothing more is read or served on this connection. */
  overflowed: boolean;
  start: Start;
}

const kGate = Symbol('gatehouse.pipelineGate');
type GatedSocket = Socket & { [kGate]?: Gate; _paused?: boolean };
type GatedResponse = ServerResponse & { [kGate]?: Gate };

/** Serves `req` now if its connection has nothing in flight, else queues it (or drops it past the limit). */
export function enterPipelineGate(req: IncomingMessage, res: ServerResponse, start: Start, maxQueued: number): void {
  const socket = req.socket as GatedSocket | null;
  if (socket === null) return start(req, res);
  let gate = socket[kGate];
  if (gate === undefined) {
    gate = { busy: false, queue: [], overflowed: false, start };
    socket[kGate] = gate;
  }
  if (gate.overflowed) return stopReading(socket);
  if (!gate.busy) return run(gate, req, res);
  if (gate.queue.length < maxQueued) {
    gate.queue.push([req, res]);
    return;
  }
  // Over the limit: answer what is owed, then close; keep nothing more.
  gate.overflowed = true;
  stopReading(socket);
  const last = gate.queue[gate.queue.length - 1];
  if (last !== undefined) last[1].shouldKeepAlive = false;
}

function run(gate: Gate, req: IncomingMessage, res: ServerResponse): void {
  gate.busy = true;
  (res as GatedResponse)[kGate] = gate;
  res.once('close', onResponseClose);
  gate.start(req, res);
}

// Shared listener (no closure per request): `this` is the response whose turn ended.
function onResponseClose(this: GatedResponse): void {
  const gate = this[kGate];
  if (gate === undefined) return;
  gate.busy = false;
  const next = gate.queue.shift();
  if (next === undefined) {
    // Everything owed is answered (the last one normally closed the connection already).
    if (gate.overflowed) this.socket?.destroy();
    return;
  }
  const socket = next[0].socket;
  // The connection is gone (it closed after that response, or the client left): drop the rest.
  if (socket === null || socket.destroyed) {
    gate.queue.length = 0;
    return;
  }
  run(gate, next[0], next[1]);
}

function stopReading(socket: GatedSocket): void {
  socket._paused = true;
  socket.pause();
  socket.resume = keepPaused;
}

function keepPaused<T>(this: T): T {
  return this;
}
