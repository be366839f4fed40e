// A worker thread for shared-counter-table.test.ts: adds to the keys it is told, as fast as it can.
import { parentPort, workerData } from 'node:worker_threads';
import { SharedCounterTable } from '../../../src/dataplane/workers/shared-counter-table.ts';

const { buffer, keys, rounds, window } = workerData as { buffer: SharedArrayBuffer; keys: string[]; rounds: number; window: number };
const table = SharedCounterTable.attach(buffer);
let refused = 0;
for (let r = 0; r < rounds; r++) for (const k of keys) if (table.add(k, window, 1) === undefined) refused++;
parentPort!.postMessage({ refused });
