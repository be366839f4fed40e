// Several listening sockets on one port (front/listen-sockets.ts): they all bind it, every
// connection reaches the one handler, --max-connections counts over all of them, and a burst of
// connections is accepted several per event-loop turn (libuv accepts one per socket and turn).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { listenSockets } from '../../src/dataplane/front/listen-sockets.ts';
import { listeningSocketCount } from '../support/listening-sockets.ts';
import { waitFor } from '../support/spawn-gatehouse.ts';

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

test('N sockets bind one port and every connection reaches the handler', async () => {
  const accepted: Socket[] = [];
  const group = await listenSockets({ host: '127.0.0.1', port: 0, count: 4, onConnection: (s) => accepted.push(s) });
  try {
    assert.equal(group.servers.length, 4);
    assert.equal(listeningSocketCount(group.port), 4);
    const clients = await Promise.all(Array.from({ length: 20 }, () => open(group.port)));
    await waitFor('20 connections accepted', () => accepted.length === 20);
    assert.equal(group.connections, 20);
    for (const c of clients) c.destroy();
    await waitFor('the connections closed', () => group.connections === 0);
  } finally {
    for (const s of accepted) s.destroy();
    await group.close();
  }
  assert.equal(listeningSocketCount(group.port), 0);
});

test('one socket without reusePort is a plain listener', async () => {
  const group = await listenSockets({ host: '127.0.0.1', port: 0, count: 1, onConnection: (s) => s.destroy() });
  try {
    assert.equal(listeningSocketCount(group.port), 1);
    // Without SO_REUSEPORT nobody else can bind the port, even with reusePort.
    const other = createServer();
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
      other.once('error', resolve);
      other.listen({ host: '127.0.0.1', port: group.port, reusePort: true });
    });
    assert.equal(err.code, 'EADDRINUSE');
  } finally {
    await group.close();
  }
});

test('maxConnections counts the connections of every socket together', async () => {
  const accepted: Socket[] = [];
  const group = await listenSockets({ host: '127.0.0.1', port: 0, count: 4, maxConnections: 3, onConnection: (s) => accepted.push(s) });
  try {
    const clients = await Promise.all(Array.from({ length: 8 }, () => open(group.port)));
    for (const c of clients) c.on('error', () => {}); // a refused one may see a reset
    await waitFor('3 accepted and 5 dropped', () => accepted.length === 3 && group.dropped === 5);
    // The five refused are closed by the server; the three accepted stay open.
    await waitFor('5 clients see their connection closed', () => clients.filter((c) => c.closed).length === 5);
    assert.equal(group.connections, 3);
    // Room again once one closes.
    accepted[0]!.destroy();
    await waitFor('a slot freed', () => group.connections === 2);
    const again = await open(group.port);
    await waitFor('the new connection accepted', () => accepted.length === 4);
    again.destroy();
  } finally {
    for (const s of accepted) s.destroy();
    await group.close();
  }
});

test('a socket that cannot bind closes the ones already bound', async () => {
  // A plain listener (no SO_REUSEPORT) holds the port: the group's first socket cannot join it.
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
  const port = (blocker.address() as { port: number }).port;
  try {
    await assert.rejects(listenSockets({ host: '127.0.0.1', port, count: 4, onConnection: (s) => s.destroy() }), { code: 'EADDRINUSE' });
    assert.equal(listeningSocketCount(port), 1);
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }
});

test('a burst of connections is accepted several per event-loop turn', async () => {
  // Each connection costs the thread 30 ms (a busy data plane), so the burst piles up in the
  // kernel's accept queues; libuv takes one connection per listening socket and turn, and turns
  // are counted with setImmediate (the check phase runs once per turn).
  let turn = 0;
  let ticking = true;
  const tick = (): void => {
    turn++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  const perTurn = new Map<number, number>();
  const accepted: Socket[] = [];
  const group = await listenSockets({
    host: '127.0.0.1',
    port: 0,
    count: 8,
    onConnection: (s) => {
      accepted.push(s);
      perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
      const until = Date.now() + 30;
      while (Date.now() < until); // busy on purpose
    },
  });
  // The clients run in another process, so they connect while this thread is busy.
  const clients = spawn(process.execPath, ['-e', `
    const net = require('node:net');
    const all = [];
    for (let i = 0; i < 64; i++) all.push(net.connect(${group.port}, '127.0.0.1'));
    setTimeout(() => process.exit(0), 30000);
  `], { stdio: 'ignore' });
  try {
    await waitFor('64 connections accepted', () => accepted.length === 64, 30_000);
    const most = Math.max(...perTurn.values());
    assert.ok(most > 1, `every connection took a turn of its own (${perTurn.size} turns for 64)`);
    assert.ok(perTurn.size < 64, `${perTurn.size} turns for 64 connections`);
  } finally {
    ticking = false;
    clients.kill('SIGKILL');
    for (const s of accepted) s.destroy();
    await group.close();
  }
});
