// The version printed by --version, from Gatehouse's own package.json.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPackageRoot } from './package-root.ts';

export function readVersion(): string {
  const root = findPackageRoot();
  try {
    if (root !== undefined) {
      const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown };
      if (typeof pkg.version === 'string') return `gatehouse ${pkg.version}`;
    }
  } catch {
    // fall through
  }
  return 'gatehouse (unknown version)';
}
