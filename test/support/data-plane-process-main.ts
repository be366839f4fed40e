// Child-process entry for startDataPlaneProcess: runs a DataPlane alone so its memory can be
// measured apart from the test's clients and backends. Config comes as JSON in GATEHOUSE_TEST_CONFIG.
import { DataPlane } from '../../src/dataplane/data-plane.ts';
import type { RouteTable } from '../../src/core/route-table.ts';
import type { DataPlaneOptions } from '../../src/dataplane/data-plane-options.ts';

const config = JSON.parse(process.env['GATEHOUSE_TEST_CONFIG'] ?? '{}') as { table: RouteTable; options?: DataPlaneOptions };
const dataPlane = new DataPlane({ ...config.options, accessLog: false });
dataPlane.apply(config.table);
const address = await dataPlane.listenHttp('127.0.0.1', 0);
process.on('message', (m: unknown) => {
  if (m === 'stop') void dataPlane.stop(2000).then(() => process.exit(0));
  if (m === 'stats') process.send?.({ stats: dataPlane.stats(), memory: process.memoryUsage() });
});
process.send?.({ port: address.port });
