// Response heads held back from the client until the first body byte (so a body that fails before
// any byte was relayed can still be answered 502) are not held for ever: a backend that sends its
// head and then waits (server-sent events, long polls) must not keep the client waiting for it.
//
// One shared sweep instead of a timer per response: holding and releasing a head is a Set insert
// and delete, with no allocation on the hot path (most heads are released in the same read that
// brought them, together with their first body bytes). A head still held at two consecutive sweeps
// is flushed, so it waits between one and two intervals. The sweep runs in a later event-loop turn
// than the read that brought the head, so an error from that same read (a malformed first chunk:
// undici reports it when the socket closes, later in that turn) always comes first.

/** What the sweep needs from a response whose head is held. */
export interface HeldHead {
  /** Sweeps that have seen this head held; the owner sets it to 0 when it holds the head. */
  headSweeps: number;
  /** Sends the held head now (the owner releases it from here first). */
  flushHead(): void;
}

/** Sweep interval: a held head reaches the client after at most twice this. */
export const HEAD_SWEEP_MS = 50;

const held = new Set<HeldHead>();
let timer: NodeJS.Timeout | undefined;
let armed = false;

export function holdHead(head: HeldHead): void {
  head.headSweeps = 0;
  held.add(head);
  if (!armed) arm();
}

export function releaseHead(head: HeldHead): void {
  held.delete(head);
}

function arm(): void {
  armed = true;
  if (timer === undefined) {
    timer = setTimeout(sweep, HEAD_SWEEP_MS);
    // Only ever waits on responses that something else keeps alive.
    timer.unref();
  } else {
    timer.refresh();
  }
}

function sweep(): void {
  armed = false;
  for (const head of held) {
    if (head.headSweeps++ === 0) continue;
    held.delete(head);
    try {
      head.flushHead();
    } catch {
      // flushHead handles its own failures; a bug there must cost that response, not the others.
    }
  }
  if (held.size > 0) arm();
}
