// The manifest source against real files and real file-system events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createManifestSource, type ManifestSource } from '../../src/sources/manifests/create-manifest-source.ts';
import type { ObjectChange } from '../../src/sources/object-change.ts';
import type { Diagnostic } from '../../src/core/diagnostics.ts';
import type { KubeObject } from '../../src/core/model.ts';

function service(name: string, port = 80, namespace?: string): string {
  return `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n${namespace ? `  namespace: ${namespace}\n` : ''}spec:\n  ports:\n  - port: ${port}\n`;
}

interface Harness {
  dir: string;
  source: ManifestSource;
  changes: ObjectChange[];
  /** The object set of the last replaceAll, as 'Kind ns/name'. */
  current(): string[];
  objects(): KubeObject[];
  diagnostics(): Diagnostic[];
  /** Bounded polling for a condition on what the source emitted. */
  until(what: string, check: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

async function harness(t: { after(fn: () => Promise<void> | void): void }, setup: (dir: string) => void, opts: { paths?: (dir: string) => string[]; pollIntervalMs?: number; watch?: boolean } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-manifests-'));
  setup(dir);
  const changes: ObjectChange[] = [];
  const source = createManifestSource({ paths: opts.paths ? opts.paths(dir) : [dir], settleMs: 30, pollIntervalMs: opts.pollIntervalMs ?? 200, displayBase: dir, watch: opts.watch ?? true });
  await source.start((c) => changes.push(c));
  const lastOf = <T extends ObjectChange['type']>(type: T) => changes.filter((c) => c.type === type).at(-1) as Extract<ObjectChange, { type: T }> | undefined;
  const h: Harness = {
    dir,
    source,
    changes,
    objects: () => lastOf('replaceAll')?.objects ?? [],
    current: () => h.objects().map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`).sort(),
    diagnostics: () => lastOf('sourceDiagnostics')?.diagnostics ?? [],
    async until(what, check, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!check()) {
        if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; objects: ${JSON.stringify(h.current())}; diagnostics: ${JSON.stringify(h.diagnostics().map((d) => d.message))}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      await source.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  t.after(() => h.close());
  return h;
}

test('first load: multi-document YAML, JSON, recursive folders, hidden and foreign files skipped, then synced', async (t) => {
  const h = await harness(t, (dir) => {
    writeFileSync(join(dir, 'a.yaml'), `${service('a')}---\n${service('b', 81, 'shop')}---\n# an empty document\n`);
    mkdirSync(join(dir, 'nested', 'deeper'), { recursive: true });
    writeFileSync(join(dir, 'nested', 'c.yml'), service('c'));
    writeFileSync(join(dir, 'nested', 'deeper', 'd.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'd' }, spec: {} }] }));
    writeFileSync(join(dir, 'nested', 'notes.txt'), service('ignored-txt'));
    writeFileSync(join(dir, '.hidden.yaml'), service('ignored-hidden'));
    mkdirSync(join(dir, '..data'));
    writeFileSync(join(dir, '..data', 'x.yaml'), service('ignored-data'));
  });
  assert.deepEqual(h.changes.map((c) => c.type), ['replaceAll', 'sourceDiagnostics', 'synced']);
  assert.deepEqual(h.current(), ['Service default/a', 'Service default/c', 'Service default/d', 'Service shop/b']);
  const first = h.changes[0] as Extract<ObjectChange, { type: 'replaceAll' }>;
  assert.deepEqual([...first.kinds].sort(), ['EndpointSlice', 'Ingress', 'IngressClass', 'Secret', 'Service']);
  assert.deepEqual(h.diagnostics(), []);
});

test('an empty folder still syncs, with an empty set', async (t) => {
  const h = await harness(t, () => {});
  assert.deepEqual(h.changes.map((c) => c.type), ['replaceAll', 'sourceDiagnostics', 'synced']);
  assert.deepEqual(h.current(), []);
});

test('a change is re-emitted as the whole set; unknown kinds and invalid objects are diagnostics with file and line', async (t) => {
  const h = await harness(t, (dir) => writeFileSync(join(dir, 'a.yaml'), service('a')));
  writeFileSync(join(h.dir, 'a.yaml'), `${service('a')}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\n${service('b')}`);
  await h.until('b to appear', () => h.current().includes('Service default/b'));
  assert.deepEqual(h.current(), ['Service default/a', 'Service default/b']);
  const unknown = h.diagnostics().find((d) => d.code === 'UnknownKind');
  assert.ok(unknown);
  assert.match(unknown.message, /^a\.yaml:9: /);
});

test('a file that stops parsing keeps its last good objects and says where; fixing it resumes', async (t) => {
  const h = await harness(t, (dir) => {
    writeFileSync(join(dir, 'a.yaml'), service('a'));
    writeFileSync(join(dir, 'other.yaml'), service('other'));
  });
  writeFileSync(join(h.dir, 'a.yaml'), `${service('a', 8080)}---\nkind: Service\nmetadata:\n  name: [broken\n`);
  await h.until('a parse error', () => h.diagnostics().some((d) => d.code === 'ManifestParseError'));
  const d = h.diagnostics().find((x) => x.code === 'ManifestParseError')!;
  assert.equal(d.severity, 'error');
  assert.deepEqual(d.object, { kind: 'Manifest', namespace: '', name: 'a.yaml' });
  assert.match(d.message, /^a\.yaml:\d+:\d+: .*last good objects \(1\) keep serving/);
  assert.equal(d.field, `line ${/^a\.yaml:(\d+)/.exec(d.message)![1]}`);
  // Still the old port 80: nothing from the broken version leaked in.
  assert.deepEqual(h.current(), ['Service default/a', 'Service default/other']);
  const a = h.objects().find((o) => o.metadata.name === 'a');
  assert.equal(a?.kind === 'Service' && a.spec.ports[0]?.port, 80);
  writeFileSync(join(h.dir, 'a.yaml'), service('a', 8080));
  await h.until('the fix', () => h.diagnostics().length === 0);
  const fixed = h.objects().find((o) => o.metadata.name === 'a');
  assert.equal(fixed?.kind === 'Service' && fixed.spec.ports[0]?.port, 8080);
});

test('a broken JSON file is reported with its line; a new broken file loads nothing', async (t) => {
  const h = await harness(t, () => {});
  writeFileSync(join(h.dir, 'x.json'), '{\n  "kind": "Service",\n  oops\n}');
  await h.until('a parse error', () => h.diagnostics().some((d) => d.code === 'ManifestParseError'));
  assert.match(h.diagnostics()[0]!.message, /^x\.json:3:\d+: .*no objects loaded from it/);
  assert.deepEqual(h.current(), []);
});

test('an object made invalid by an edit keeps its previous version from that file', async (t) => {
  const h = await harness(t, (dir) => writeFileSync(join(dir, 'a.yaml'), `${service('a')}---\n${service('b')}`));
  writeFileSync(join(h.dir, 'a.yaml'), `${service('a').replace('port: 80', 'port: eighty')}---\n${service('b', 82)}`);
  await h.until('the edit', () => h.diagnostics().some((d) => d.code === 'ObjectInvalid'));
  const d = h.diagnostics().find((x) => x.code === 'ObjectInvalid')!;
  assert.equal(d.field, 'spec.ports[0].port');
  assert.match(d.message, /last good version keeps serving/);
  const ports = Object.fromEntries(h.objects().map((o) => [o.metadata.name, o.kind === 'Service' ? o.spec.ports[0]?.port : undefined]));
  assert.deepEqual(ports, { a: 80, b: 82 });
});

test('a deleted file removes its objects; a new file adds them', async (t) => {
  const h = await harness(t, (dir) => {
    writeFileSync(join(dir, 'a.yaml'), service('a'));
    writeFileSync(join(dir, 'b.yaml'), service('b'));
  });
  unlinkSync(join(h.dir, 'b.yaml'));
  await h.until('b to go', () => !h.current().includes('Service default/b'));
  mkdirSync(join(h.dir, 'sub'));
  writeFileSync(join(h.dir, 'sub', 'c.yaml'), service('c'));
  await h.until('c to come', () => h.current().includes('Service default/c'));
  assert.deepEqual(h.current(), ['Service default/a', 'Service default/c']);
});

test('a file emptied on purpose loses its objects (after a second look, in case a write was in progress)', async (t) => {
  const h = await harness(t, (dir) => {
    writeFileSync(join(dir, 'a.yaml'), service('a'));
    writeFileSync(join(dir, 'b.yaml'), service('b'));
  });
  writeFileSync(join(h.dir, 'a.yaml'), '');
  await h.until('a to go', () => !h.current().includes('Service default/a'));
  assert.deepEqual(h.current(), ['Service default/b']);
});

test('editors that save by writing a temporary file and renaming it over the original', async (t) => {
  const h = await harness(t, (dir) => writeFileSync(join(dir, 'a.yaml'), service('a')));
  for (const port of [81, 82, 83]) {
    const tmp = join(h.dir, `.a.yaml.${port}.swp`);
    writeFileSync(tmp, service('a', port));
    renameSync(tmp, join(h.dir, 'a.yaml'));
    await h.until(`port ${port}`, () => {
      const a = h.objects().find((o) => o.metadata.name === 'a');
      return a?.kind === 'Service' && a.spec.ports[0]?.port === port;
    });
  }
  assert.deepEqual(h.current(), ['Service default/a']);
});

test('a single file given as the path is followed through renames in its folder', async (t) => {
  const h = await harness(t, (dir) => writeFileSync(join(dir, 'only.yaml'), service('a')), { paths: (dir) => [join(dir, 'only.yaml')] });
  writeFileSync(join(h.dir, 'sibling.yaml'), service('not-read'));
  const tmp = join(h.dir, 'only.yaml.tmp');
  writeFileSync(tmp, service('b'));
  renameSync(tmp, join(h.dir, 'only.yaml'));
  await h.until('b', () => h.current().includes('Service default/b'));
  assert.deepEqual(h.current(), ['Service default/b']);
});

test('the periodic scan alone notices changes, through symlinked folders too', async (t) => {
  const target = mkdtempSync(join(tmpdir(), 'gh-manifests-target-'));
  t.after(() => rmSync(target, { recursive: true, force: true }));
  writeFileSync(join(target, 'a.yaml'), service('a'));
  const h = await harness(t, (dir) => symlinkSync(target, join(dir, 'linked')), { pollIntervalMs: 100, watch: false });
  assert.deepEqual(h.current(), ['Service default/a']);
  writeFileSync(join(target, 'b.yaml'), service('b'));
  await h.until('b via the scan', () => h.current().includes('Service default/b'));
  const tmp = join(target, 'a.tmp');
  writeFileSync(tmp, service('a', 99));
  renameSync(tmp, join(target, 'a.yaml'));
  await h.until('a replaced by a rename', () => h.objects().some((o) => o.kind === 'Service' && o.metadata.name === 'a' && o.spec.ports[0]?.port === 99));
});

test('the same object in two files: the later file (in path order) wins, with a warning', async (t) => {
  const h = await harness(t, (dir) => {
    writeFileSync(join(dir, '1.yaml'), service('a', 80));
    writeFileSync(join(dir, '2.yaml'), service('a', 81));
  });
  const a = h.objects().find((o) => o.metadata.name === 'a');
  assert.equal(a?.kind === 'Service' && a.spec.ports[0]?.port, 81);
  const d = h.diagnostics().find((x) => x.code === 'DuplicateObject');
  assert.ok(d);
  assert.equal(d.severity, 'warning');
  assert.match(d.message, /^2\.yaml: Service default\/a is also defined in 1\.yaml/);
});

test('a root that disappears is reported and its objects kept until it is back', async (t) => {
  const outer = mkdtempSync(join(tmpdir(), 'gh-manifests-root-'));
  t.after(() => rmSync(outer, { recursive: true, force: true }));
  const root = join(outer, 'root');
  mkdirSync(root);
  writeFileSync(join(root, 'a.yaml'), service('a'));
  const h = await harness(t, () => {}, { paths: () => [root] });
  rmSync(root, { recursive: true });
  await h.until('a read error', () => h.diagnostics().some((d) => d.code === 'ManifestReadError'));
  assert.deepEqual(h.current(), ['Service default/a']);
  mkdirSync(root);
  writeFileSync(join(root, 'b.yaml'), service('b'));
  await h.until('the new root content', () => h.current().includes('Service default/b') && !h.current().includes('Service default/a'));
  assert.deepEqual(h.diagnostics(), []);
});

test('stop() ends watching: later changes emit nothing', async (t) => {
  const h = await harness(t, (dir) => writeFileSync(join(dir, 'a.yaml'), service('a')));
  await h.source.stop();
  const before = h.changes.length;
  writeFileSync(join(h.dir, 'b.yaml'), service('b'));
  await h.source.rescan();
  assert.equal(h.changes.length, before);
});
