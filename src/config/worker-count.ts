// The default of --workers: the CPUs this process may use. os.availableParallelism() counts the
// CPUs of the affinity mask, but not a container's CPU quota (a pod with `limits.cpu: 2` on a
// 64-core node sees 64), so the cgroup quota caps it when it can be read: cgroup v2's cpu.max
// ("200000 100000" = 2 CPUs, "max 100000" = no quota), else cgroup v1's cfs_quota_us/cfs_period_us
// (-1 = no quota). A fractional quota rounds up (1.5 CPUs → 2 workers): a worker that is throttled
// part of the time still serves, an idle core is lost. Never less than 1.

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export const MAX_WORKERS = 256;

export interface WorkerCountEnvironment {
  cpus: number;
  /** Reads a file, or undefined when it cannot be read (absent, not a container, no permission). */
  read(path: string): string | undefined;
}

const realEnvironment = (): WorkerCountEnvironment => ({
  cpus: availableParallelism(),
  read: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
});

export function defaultWorkerCount(env: WorkerCountEnvironment = realEnvironment()): number {
  const quota = cpuQuota(env);
  const cpus = Math.max(1, Math.floor(env.cpus));
  const n = quota === undefined ? cpus : Math.min(cpus, Math.max(1, Math.ceil(quota)));
  return Math.min(n, MAX_WORKERS);
}

/** CPUs allowed by the cgroup quota, or undefined when there is none (or it cannot be read). */
export function cpuQuota(env: Pick<WorkerCountEnvironment, 'read'>): number | undefined {
  const v2 = env.read('/sys/fs/cgroup/cpu.max');
  if (v2 !== undefined) return parseCpuMax(v2);
  const quota = env.read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us') ?? env.read('/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us');
  const period = env.read('/sys/fs/cgroup/cpu/cpu.cfs_period_us') ?? env.read('/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us');
  if (quota === undefined || period === undefined) return undefined;
  return ratio(quota.trim(), period.trim());
}

/** cgroup v2 cpu.max: "$MAX $PERIOD", MAX being "max" when there is no quota. */
export function parseCpuMax(text: string): number | undefined {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 2 || parts[0] === 'max') return undefined;
  return ratio(parts[0]!, parts[1]!);
}

function ratio(quota: string, period: string): number | undefined {
  if (!/^\d{1,15}$/.test(quota) || !/^\d{1,15}$/.test(period)) return undefined; // "-1" (v1: none) lands here
  const q = Number(quota);
  const p = Number(period);
  if (q <= 0 || p <= 0) return undefined;
  return q / p;
}
