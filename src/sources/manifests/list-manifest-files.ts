// The manifest files under the configured paths: *.yaml, *.yml and *.json, recursively, sorted,
// each with a stat signature that changes when the file is rewritten or replaced by a rename.
// Hidden entries (editor swap files, ConfigMap volumes' `..data` twins) are skipped.

import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';

export interface ManifestFile {
  path: string;
  format: 'yaml' | 'json';
  /** mtime, ctime, size and inode: any write or rename-over changes it. */
  signature: string;
  size: number;
}

export interface ManifestListing {
  files: ManifestFile[];
  /** Paths that could not be read (root gone, permission denied), with the error code. */
  problems: { path: string; code: string }[];
  /** What each root is now. */
  roots: Map<string, 'dir' | 'file' | 'missing'>;
}

const EXTENSIONS: Record<string, 'yaml' | 'json'> = { '.yaml': 'yaml', '.yml': 'yaml', '.json': 'json' };

export async function listManifestFiles(roots: readonly string[]): Promise<ManifestListing> {
  const files = new Map<string, ManifestFile>();
  const problems: ManifestListing['problems'] = [];
  const visitedDirs = new Set<string>();
  const rootKinds: ManifestListing['roots'] = new Map();

  const visit = async (path: string, explicit: boolean): Promise<void> => {
    let s;
    try {
      s = await stat(path);
    } catch (err) {
      // A file that vanished between readdir and stat is simply gone; a missing root is news.
      if (explicit) {
        problems.push({ path, code: (err as NodeJS.ErrnoException).code ?? 'ERROR' });
        rootKinds.set(path, 'missing');
      }
      return;
    }
    if (explicit) rootKinds.set(path, s.isDirectory() ? 'dir' : 'file');
    if (s.isDirectory()) {
      let real: string;
      try {
        real = await realpath(path);
      } catch {
        return;
      }
      if (visitedDirs.has(real)) return; // a symlink loop, or the same folder twice
      visitedDirs.add(real);
      let entries: string[];
      try {
        entries = await readdir(path);
      } catch (err) {
        problems.push({ path, code: (err as NodeJS.ErrnoException).code ?? 'ERROR' });
        return;
      }
      for (const name of entries.sort()) {
        if (name.startsWith('.')) continue;
        await visit(join(path, name), false);
      }
      return;
    }
    if (!s.isFile()) return;
    const format = EXTENSIONS[extname(path).toLowerCase()];
    // A file named explicitly is read whatever its extension; found in a folder, only ours.
    if (format === undefined && !explicit) return;
    if (!explicit && basename(path).startsWith('.')) return;
    files.set(path, { path, format: format ?? 'yaml', size: s.size, signature: `${s.mtimeMs}:${s.ctimeMs}:${s.size}:${s.ino}` });
  };

  for (const root of roots) await visit(root, true);
  return { files: [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)), problems, roots: rootKinds };
}
