// The manifest ClusterStateSource: Kubernetes objects from files and folders, followed live.
// Every change re-emits the whole set (replaceAll), so the store sees exactly what the files say.
// Changes are noticed by fs.watch and, as a safety net for events a watch misses (network file
// systems, inotify limits, editors that replace the file by a rename), by a periodic stat scan.
// A file that fails to parse keeps its last good objects; a deleted file takes its objects away.

import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative } from 'node:path';
import { makeDiagnostic } from '../../core/diagnostic-codes.ts';
import type { Diagnostic, ObjectRef } from '../../core/diagnostics.ts';
import { objectKey, type KubeObject, type ObjectKind } from '../../core/model.ts';
import type { Logger } from '../../observability/logger.ts';
import { silentLogger } from '../../observability/logger.ts';
import { keptLastGoodVersion } from '../normalize-object.ts';
import type { ClusterStateSource, ObjectChange } from '../object-change.ts';
import { listManifestFiles, type ManifestFile } from './list-manifest-files.ts';
import { parseManifestText } from './parse-manifest-file.ts';

export interface ManifestSourceOptions {
  /** Absolute paths of files or folders. */
  paths: readonly string[];
  logger?: Logger;
  /** Quiet time after a file-system event before reading (editors write in several steps). Default 75 ms. */
  settleMs?: number;
  /** Safety-net scan interval. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Use fs.watch besides the scan. Default true; false leaves only the scan (tests, odd file systems). */
  watch?: boolean;
  /** Paths in messages are shown relative to this folder when inside it. Default process.cwd(). */
  displayBase?: string;
}

export interface ManifestSource extends ClusterStateSource {
  /** Scans now and emits if anything changed; resolves when done (tests, and SIGHUP if wanted). */
  rescan(): Promise<void>;
}

export const MANIFEST_KINDS: readonly ObjectKind[] = ['Ingress', 'IngressClass', 'Service', 'EndpointSlice', 'Secret'];

/** Larger files are refused: a manifest folder is not the place for them, and reading is not free. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

interface FileRecord {
  signature: string;
  text: string;
  /** The objects this file contributes now (its last good ones when the latest read failed). */
  objects: KubeObject[];
  diagnostics: Diagnostic[];
  /** An empty read of a file that had objects is only believed when seen twice (a write in progress). */
  emptySeen: boolean;
}

export function createManifestSource(options: ManifestSourceOptions): ManifestSource {
  const log = (options.logger ?? silentLogger).child({ component: 'manifests' });
  const settleMs = options.settleMs ?? 75;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const base = options.displayBase ?? process.cwd();
  const records = new Map<string, FileRecord>();
  const watchers = new Map<string, FSWatcher>();
  let rootDiagnostics: Diagnostic[] = [];
  let emit: ((change: ObjectChange) => void) | undefined;
  let stopped = false;
  let settleTimer: NodeJS.Timeout | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let scanning: Promise<void> | undefined;
  let scanAgain = false;
  let lastEmitted = '';
  /** Something a publish would show changed since the last one (keeps idle scans cheap). */
  let dirty = true;
  let lastRootDiagnostics = '';

  const display = (path: string): string => {
    const rel = relative(base, path);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
  };

  const fileRef = (path: string): ObjectRef => ({ kind: 'Manifest', namespace: '', name: display(path) });

  /** One scan at a time; a request during a scan runs one more afterwards. */
  const rescan = (): Promise<void> => {
    if (scanning !== undefined) {
      scanAgain = true;
      return scanning;
    }
    scanning = (async () => {
      try {
        do {
          scanAgain = false;
          await scanOnce();
        } while (scanAgain && !stopped);
      } catch (err) {
        log.error('manifest scan failed', { err });
      } finally {
        scanning = undefined;
      }
    })();
    return scanning;
  };

  const scanOnce = async (): Promise<void> => {
    const listing = await listManifestFiles(options.paths);
    rootDiagnostics = listing.problems.map((p) =>
      makeDiagnostic('ManifestReadError', fileRef(p.path), undefined, `${display(p.path)}: cannot read (${p.code}); objects from it are kept until it is readable again`));
    const rootText = JSON.stringify(rootDiagnostics);
    if (rootText !== lastRootDiagnostics) {
      lastRootDiagnostics = rootText;
      dirty = true;
    }
    const seen = new Set<string>();
    const unreadableRoots = new Set(listing.problems.map((p) => p.path));
    for (const file of listing.files) {
      seen.add(file.path);
      await refresh(file);
    }
    for (const path of [...records.keys()]) {
      if (seen.has(path)) continue;
      // A root that errored (rather than vanished cleanly from a readable folder) keeps its objects.
      if ([...unreadableRoots].some((root) => path === root || path.startsWith(root + '/'))) continue;
      records.delete(path);
      dirty = true;
      log.info('manifest file removed', { file: display(path) });
    }
    ensureWatchers(listing.roots);
    if (dirty) publish();
  };

  /** Re-reads a file whose signature changed and records what it contributes now. */
  const refresh = async (file: ManifestFile): Promise<void> => {
    const previous = records.get(file.path);
    if (previous !== undefined && previous.signature === file.signature && !previous.emptySeen) return;
    const name = display(file.path);
    if (file.size > MAX_FILE_BYTES) {
      const diagnostics = [makeDiagnostic('ManifestReadError', fileRef(file.path), undefined, `${name}: larger than ${MAX_FILE_BYTES} bytes; not read`)];
      dirty = true;
      records.set(file.path, { signature: file.signature, text: '', objects: previous?.objects ?? [], diagnostics, emptySeen: false });
      return;
    }
    let text: string;
    try {
      text = await readFile(file.path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'ERROR';
      if (code === 'ENOENT') return; // gone since the listing: the next scan removes it
      const diagnostics = [makeDiagnostic('ManifestReadError', fileRef(file.path), undefined, `${name}: cannot read (${code}); its last good objects keep serving`)];
      dirty = true;
      records.set(file.path, { signature: '', text: previous?.text ?? '', objects: previous?.objects ?? [], diagnostics, emptySeen: false });
      return;
    }
    if (previous !== undefined && previous.text === text && !previous.emptySeen) {
      previous.signature = file.signature; // touched, not changed
      return;
    }
    if (text.trim() === '' && previous !== undefined && previous.objects.length > 0 && !previous.emptySeen) {
      // Probably caught between truncate and write: look again after the settle time.
      previous.emptySeen = true;
      scheduleScan();
      return;
    }
    const parsed = parseManifestText(text, name, file.format);
    if (!parsed.ok) {
      const where = parsed.line === undefined ? name : `${name}:${parsed.line}${parsed.column === undefined ? '' : `:${parsed.column}`}`;
      const kept = previous?.objects ?? [];
      const diagnostic = makeDiagnostic(
        'ManifestParseError',
        fileRef(file.path),
        parsed.line === undefined ? undefined : `line ${parsed.line}`,
        `${where}: ${parsed.reason}; ${kept.length > 0 ? `its last good objects (${kept.length}) keep serving` : 'no objects loaded from it'}`,
      );
      log.warn('manifest file does not parse', { file: name, line: parsed.line, reason: parsed.reason });
      dirty = true;
      records.set(file.path, { signature: file.signature, text, objects: kept, diagnostics: [diagnostic], emptySeen: false });
      return;
    }
    const { objects, diagnostics } = keepLastGoodOfInvalid(parsed.objects, parsed.diagnostics, previous?.objects ?? []);
    dirty = true;
    records.set(file.path, { signature: file.signature, text, objects, diagnostics, emptySeen: false });
    log.info(previous === undefined ? 'manifest file loaded' : 'manifest file changed', { file: name, objects: objects.length });
  };

  const publish = (): void => {
    dirty = false;
    const byKey = new Map<string, { object: KubeObject; file: string }>();
    const diagnostics: Diagnostic[] = [...rootDiagnostics];
    for (const [path, record] of records) {
      diagnostics.push(...record.diagnostics);
      for (const object of record.objects) {
        const key = `${object.kind} ${objectKey(object.metadata)}`;
        const earlier = byKey.get(key);
        if (earlier !== undefined) {
          diagnostics.push(makeDiagnostic(
            'DuplicateObject',
            { kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name },
            undefined,
            `${display(path)}: ${object.kind} ${objectKey(object.metadata)} is also defined in ${earlier.file}; the one in ${display(path)} is used`,
          ));
        }
        byKey.set(key, { object, file: display(path) });
      }
    }
    const objects = [...byKey.values()].map((e) => e.object);
    const fingerprint = JSON.stringify([objects, diagnostics]);
    if (fingerprint === lastEmitted) return;
    lastEmitted = fingerprint;
    emit?.({ type: 'replaceAll', kinds: MANIFEST_KINDS, objects });
    emit?.({ type: 'sourceDiagnostics', origin: 'manifests', diagnostics });
  };

  const scheduleScan = (): void => {
    if (stopped) return;
    if (settleTimer !== undefined) clearTimeout(settleTimer);
    settleTimer = setTimeout(() => {
      settleTimer = undefined;
      void rescan();
    }, settleMs);
  };

  /** Folders are watched recursively; a file root through its folder, so a rename-over is seen. */
  const ensureWatchers = (roots: ReadonlyMap<string, 'dir' | 'file' | 'missing'>): void => {
    if (stopped || options.watch === false) return;
    for (const root of options.paths) {
      const kind = roots.get(root) ?? 'missing';
      const existing = watchers.get(root);
      if (kind === 'missing') {
        // A deleted folder's watch is dead; a new one is made when the folder is back.
        existing?.close();
        watchers.delete(root);
        continue;
      }
      if (existing !== undefined) continue;
      const isDir = kind === 'dir';
      const target = isDir ? root : dirname(root);
      try {
        const watcher = watch(target, { recursive: isDir, persistent: false }, () => scheduleScan());
        watcher.on('error', (err) => {
          log.warn('file watch failed; the periodic scan continues', { path: display(target), err });
          watcher.close();
          watchers.delete(root);
        });
        watchers.set(root, watcher);
      } catch (err) {
        // Missing root, or inotify limits: the periodic scan still notices changes.
        log.debug('cannot watch path; relying on the periodic scan', { path: display(target), err });
      }
    }
  };

  return {
    async start(onChange) {
      emit = onChange;
      await rescan();
      const count = [...records.values()].reduce((n, r) => n + r.objects.length, 0);
      log.info('manifests loaded', { files: records.size, objects: count });
      emit({ type: 'synced' });
      pollTimer = setInterval(() => void rescan(), pollIntervalMs);
      pollTimer.unref();
    },
    async stop() {
      stopped = true;
      if (settleTimer !== undefined) clearTimeout(settleTimer);
      if (pollTimer !== undefined) clearInterval(pollTimer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
      await scanning;
      emit = undefined;
    },
    rescan,
  };
}

/**
 * An object that became invalid in an edit keeps its previous version from the same file (as the
 * API server would have refused the edit and kept the old object), and the diagnostic says so.
 */
function keepLastGoodOfInvalid(
  objects: KubeObject[],
  diagnostics: Diagnostic[],
  previous: readonly KubeObject[],
): { objects: KubeObject[]; diagnostics: Diagnostic[] } {
  if (previous.length === 0) return { objects, diagnostics };
  const present = new Set(objects.map((o) => `${o.kind} ${objectKey(o.metadata)}`));
  const out = [...objects];
  const notes = diagnostics.map((d) => {
    const kept = keptLastGoodVersion(d);
    if (kept === undefined || d.object.name === '') return d;
    const key = `${d.object.kind} ${objectKey(d.object)}`;
    if (present.has(key)) return d;
    const old = previous.find((o) => `${o.kind} ${objectKey(o.metadata)}` === key);
    if (old === undefined) return d;
    out.push(old);
    present.add(key);
    return kept;
  });
  return { objects: out, diagnostics: notes };
}
