// The last route-table builds, bounded: when, how long, what the table holds, what changed. Served
// at /debug/builds for the dashboard ("what did my last edit do?"). Builds that failed or whose
// table could not be applied are recorded too, since the last good table then keeps serving.

import { diffRouteTables, type RouteTableDiff } from '../core/diff-route-tables.ts';
import type { BuildResult, RouteTable } from '../core/route-table.ts';

export interface BuildRecord {
  /** Increases by one per build: the dashboard refetches the table when it changes. */
  seq: number;
  /** ISO time the build started. */
  at: string;
  durationMs: number;
  outcome: 'applied' | 'failed';
  /** Why the build or apply failed (the last good table keeps serving). */
  error?: string;
  counts?: { virtualHosts: number; routes: number; backends: number; endpoints: number; certificates: number; errors: number; warnings: number };
  changes?: RouteTableDiff & { truncated?: boolean };
}

export interface BuildHistory {
  /** Wraps a build function so that each call is timed and remembered until apply() says what became of it. */
  build<A extends unknown[]>(fn: (...args: A) => BuildResult): (...args: A) => BuildResult;
  /** The table of the latest build was applied to the data plane. */
  applied(table: RouteTable): void;
  /** The latest build's table could not be applied. */
  applyFailed(err: unknown): void;
  view(): { builds: BuildRecord[] };
}

/** Listed changes per kind per build; a bulk edit reports the first ones and says it was cut. */
const MAX_LISTED = 50;

export function createBuildHistory(options: { limit?: number; now?: () => number } = {}): BuildHistory {
  const limit = options.limit ?? 20;
  const now = options.now ?? Date.now;
  const records: BuildRecord[] = [];
  let seq = 0;
  let lastApplied: RouteTable | undefined;
  let pending: { record: BuildRecord; result: BuildResult } | undefined;

  const push = (record: BuildRecord): void => {
    records.push(record);
    if (records.length > limit) records.splice(0, records.length - limit);
  };

  return {
    build(fn) {
      return (...args) => {
        const started = now();
        const t0 = performance.now();
        const record: BuildRecord = { seq: ++seq, at: new Date(started).toISOString(), durationMs: 0, outcome: 'failed' };
        try {
          const result = fn(...args);
          record.durationMs = round(performance.now() - t0);
          pending = { record, result };
          return result;
        } catch (err) {
          record.durationMs = round(performance.now() - t0);
          record.error = message(err);
          push(record);
          throw err;
        }
      };
    },
    applied(table) {
      if (pending === undefined || pending.result.table !== table) return;
      const { record, result } = pending;
      pending = undefined;
      record.outcome = 'applied';
      let routes = 0;
      for (const vh of table.virtualHosts) routes += vh.routes.length;
      let endpoints = 0;
      for (const b of Object.values(table.backends)) endpoints += b.endpoints.length;
      record.counts = {
        virtualHosts: table.virtualHosts.length,
        routes,
        backends: Object.keys(table.backends).length,
        endpoints,
        certificates: Object.keys(table.certificates).length,
        errors: result.diagnostics.filter((d) => d.severity === 'error').length,
        warnings: result.diagnostics.filter((d) => d.severity === 'warning').length,
      };
      const diff = diffRouteTables(lastApplied, table);
      const cut = (xs: string[]): string[] => xs.slice(0, MAX_LISTED);
      const truncated = [diff.added, diff.removed, diff.changed, diff.endpointsChanged].some((xs) => xs.length > MAX_LISTED);
      record.changes = { added: cut(diff.added), removed: cut(diff.removed), changed: cut(diff.changed), endpointsChanged: cut(diff.endpointsChanged) };
      if (truncated) record.changes.truncated = true;
      lastApplied = table;
      push(record);
    },
    applyFailed(err) {
      if (pending === undefined) return;
      pending.record.error = `apply failed: ${message(err)}`;
      push(pending.record);
      pending = undefined;
    },
    view: () => ({ builds: records.map((r) => ({ ...r })).reverse() }),
  };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/[\r\n]+/g, ' ').slice(0, 300);
}
