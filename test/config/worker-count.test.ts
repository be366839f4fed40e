// --workers: its default follows the CPUs available and a container's CPU quota (cgroup v2 and v1);
// bad values are usage errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { ConfigError } from '../../src/config/config-error.ts';
import { parseCommandLine } from '../../src/config/parse-command-line.ts';
import { cpuQuota, defaultWorkerCount, parseCpuMax } from '../../src/config/worker-count.ts';

const files = (map: Record<string, string>) => (path: string): string | undefined => map[path];

test('cgroup v2 cpu.max: a quota caps the CPUs, rounded up; "max" is no quota', () => {
  assert.equal(parseCpuMax('200000 100000\n'), 2);
  assert.equal(parseCpuMax('150000 100000'), 1.5);
  assert.equal(parseCpuMax('max 100000\n'), undefined);
  assert.equal(parseCpuMax('garbage'), undefined);
  assert.equal(parseCpuMax('-1 100000'), undefined);
  assert.equal(defaultWorkerCount({ cpus: 64, read: files({ '/sys/fs/cgroup/cpu.max': '200000 100000\n' }) }), 2);
  assert.equal(defaultWorkerCount({ cpus: 64, read: files({ '/sys/fs/cgroup/cpu.max': '150000 100000\n' }) }), 2);
  assert.equal(defaultWorkerCount({ cpus: 64, read: files({ '/sys/fs/cgroup/cpu.max': '50000 100000\n' }) }), 1);
  assert.equal(defaultWorkerCount({ cpus: 4, read: files({ '/sys/fs/cgroup/cpu.max': 'max 100000\n' }) }), 4);
  // A quota above the CPUs of the affinity mask does not add threads.
  assert.equal(defaultWorkerCount({ cpus: 2, read: files({ '/sys/fs/cgroup/cpu.max': '800000 100000\n' }) }), 2);
});

test('cgroup v1 cfs quota and period; -1 is no quota; nothing readable means the CPU count', () => {
  const v1 = (quota: string) => files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': quota, '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n' });
  assert.equal(cpuQuota({ read: v1('300000\n') }), 3);
  assert.equal(cpuQuota({ read: v1('-1\n') }), undefined);
  assert.equal(defaultWorkerCount({ cpus: 8, read: v1('300000\n') }), 3);
  assert.equal(defaultWorkerCount({ cpus: 8, read: v1('-1\n') }), 8);
  assert.equal(defaultWorkerCount({ cpus: 3, read: files({}) }), 3);
  assert.equal(defaultWorkerCount({ cpus: 0, read: files({}) }), 1);
});

test('the default on this machine is at most availableParallelism(); --workers N overrides it; bad values are refused', () => {
  const run = (args: string[]) => {
    const r = parseCommandLine(['serve', '--manifests', '.', ...args]);
    assert.equal(r.kind, 'run');
    return r.kind === 'run' ? r.config : undefined;
  };
  const def = run([])!.workers;
  assert.ok(def >= 1 && def <= availableParallelism(), `default ${def}`);
  assert.equal(run(['--workers', '1'])!.workers, 1);
  assert.equal(run(['--workers', '6'])!.workers, 6);
  for (const bad of ['0', '-1', 'two', '1.5', '257', '']) {
    assert.throws(() => run([`--workers=${bad}`]), (err: unknown) => err instanceof ConfigError && /--workers/.test(err.message), bad);
  }
});
