// The HTTPS listener always accepts through its front door now (it reads ClientHellos while a host
// asks for client certificates), so --max-connections must be held there: with a cap of 2, a third
// TCP connection is closed at once while the first two are served.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { DataPlane } from '../../src/dataplane/data-plane.ts';
import { createHttpsListener } from '../../src/dataplane/tls/https-listener.ts';
import { emptyRouteTable } from '../../src/core/route-table.ts';

test('--max-connections holds on the HTTPS listener without --proxy-protocol or passthrough', async () => {
  const dataPlane = new DataPlane({ limits: { maxConnections: 2 } });
  const https = createHttpsListener({ dataPlane });
  dataPlane.apply(emptyRouteTable());
  https.apply(emptyRouteTable());
  const port = await https.listen('127.0.0.1', 0);
  const open = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
      s.on('error', () => {});
      setTimeout(() => reject(new Error('connect timed out')), 10_000).unref();
    });
  const closed = (s: Socket): Promise<boolean> =>
    new Promise((resolve) => {
      if (s.destroyed) return resolve(true);
      s.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 2_000).unref();
    });
  try {
    const a = await open();
    const b = await open();
    const c = await open();
    assert.equal(await closed(c), true, 'the third connection is closed');
    assert.equal(a.destroyed || b.destroyed, false, 'the first two stay open');
    a.destroy();
    b.destroy();
  } finally {
    await dataPlane.stop(0);
    await https.close();
  }
});
