// The memory behind the per-client limits (limit-rps / limit-rpm buckets, limit-connections
// counts): two fixed-size tables made once and attached by every data-plane thread, so that a
// client's requests count together whichever worker accepted its connections. With --workers N
// the control plane (app/worker-group.ts) makes them in SharedArrayBuffers and hands them to each
// worker in its workerData (a restarted worker attaches the same ones: the counts survive it);
// with one thread the DataPlane makes its own. The tables' code is the same either way
// (steps/rate-limit-store.ts, steps/connection-slots.ts: Atomics on every word).

import { ConnectionSlots, connectionSlotsBytes, recoverConnectionSlots } from '../steps/connection-slots.ts';
import { bucketStoreBytes, createBucketStore, recoverBucketStore, type BucketStore } from '../steps/rate-limit-store.ts';

export interface LimitTables {
  /** Client buckets of limit-rps/limit-rpm (16 bytes each). */
  readonly bucketSlots: number;
  /** Client counters of limit-connections (8 bytes each, plus 4 per owner). */
  readonly connectionSlots: number;
  /** How many threads attach them (each as one owner, 1..owners). */
  readonly owners: number;
  readonly buckets: ArrayBuffer | SharedArrayBuffer;
  readonly connections: ArrayBuffer | SharedArrayBuffer;
}

export interface LimitTableSizes {
  bucketSlots: number;
  connectionSlots: number;
  owners: number;
  /** SharedArrayBuffers (for worker threads) rather than private ones. */
  shared: boolean;
}

/** New, empty tables (validated sizes): structured-cloned, shared ones stay one memory. */
export function createLimitTables(sizes: LimitTableSizes): LimitTables {
  const make = (bytes: number): ArrayBuffer | SharedArrayBuffer => (sizes.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const tables: LimitTables = {
    bucketSlots: sizes.bucketSlots,
    connectionSlots: sizes.connectionSlots,
    owners: sizes.owners,
    buckets: make(bucketStoreBytes(sizes.bucketSlots)),
    connections: make(connectionSlotsBytes(sizes.connectionSlots, sizes.owners)),
  };
  attachLimitTables(tables, 1); // checks the sizes once, where they are chosen
  return tables;
}

/** The tables as thread `owner` (1..owners) uses them. */
export function attachLimitTables(tables: LimitTables, owner: number): { buckets: BucketStore; connections: ConnectionSlots } {
  return {
    buckets: createBucketStore(tables.bucketSlots, tables.buckets, owner),
    connections: new ConnectionSlots(tables.connectionSlots, tables.connections, owner, tables.owners),
  };
}

/**
 * After thread `owner` died (its 'exit', before a replacement attaches as the same owner): frees
 * the bucket slots it was writing and takes its requests in progress off the connection counts.
 */
export function releaseLimitsOf(tables: LimitTables, owner: number): { buckets: number; requests: number } {
  return {
    buckets: recoverBucketStore(tables.bucketSlots, tables.buckets, owner),
    requests: recoverConnectionSlots(tables.connectionSlots, tables.connections, owner, tables.owners),
  };
}
