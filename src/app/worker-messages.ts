// What the control plane and its data-plane worker threads say to each other (--workers N).
// Everything is structured-cloned: plain data only. The affinity key and the per-client limit
// tables travel in SharedArrayBuffers made once by the primary before the first worker starts.

import type { Config } from '../config/config.ts';
import type { Secret } from '../core/model.ts';
import type { RouteTable } from '../core/route-table.ts';
import type { LimitTables } from '../dataplane/workers/limit-tables.ts';
import type { DataPlaneViews } from './start-data-plane.ts';

export interface WorkerData {
  /** 1-based, stable across restarts of the same slot. */
  id: number;
  /** The Config less its Buffers (sessionAffinityKey is in `affinityKey`). */
  config: Omit<Config, 'sessionAffinityKey'>;
  /** The affinity cookie HMAC key, shared by every worker (random per process, or --session-affinity-key-file). */
  affinityKey: SharedArrayBuffer;
  /** limit-rps/-rpm buckets and limit-connections counts, one memory for every worker (it attaches as owner `id`). */
  limits: LimitTables;
  version: string;
  /** Ports to bind (the first worker's bound ports once known, so that port 0 works). */
  ports: { http: number; https: number };
  /** This worker's share of --max-connections. */
  maxConnections?: number;
  /** The last table applied by the control plane, so a restarted worker serves it before it listens. */
  initial?: ApplyMessage;
}

export interface ApplyMessage {
  type: 'apply';
  generation: number;
  table: RouteTable;
  /** Only the --default-tls-secret, when it exists: the one Secret the listener looks up. */
  secrets: [string, Secret][];
}

export type ToWorker =
  | ApplyMessage
  | { type: 'ask'; id: number; what: 'metrics' | 'views' }
  | { type: 'stop'; drainMs: number };

export type FromWorker =
  | { type: 'listening'; ports: { http: number; https: number } }
  | { type: 'failed'; message: string; code: string }
  | { type: 'applied'; generation: number }
  | { type: 'answer'; id: number; metrics?: string; views?: DataPlaneViews }
  | { type: 'stopped'; requestsTotal: number };
