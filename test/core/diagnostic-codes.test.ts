// The catalogue, the docs and the source agree: every catalogued code has a `## Code` section in
// docs/diagnostics.md with the same severity, and every diagnostic code literal under src/ is
// catalogued (runtime ERR_* codes are not diagnostics and are left out).

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DIAGNOSTIC_CODES, makeDiagnostic } from '../../src/core/diagnostic-codes.ts';

const ROOT = join(import.meta.dirname, '..', '..');

function documentedSections(): Map<string, string> {
  const text = readFileSync(join(ROOT, 'docs', 'diagnostics.md'), 'utf8');
  const sections = new Map<string, string>();
  for (const part of text.split(/^## /m).slice(1)) {
    const [heading = '', ...body] = part.split('\n');
    sections.set(heading.trim(), body.join('\n'));
  }
  return sections;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

// `code: 'X'` anywhere, and 'X' as the first or second argument of any function named like diag
// or Diagnostic (`makeDiagnostic('X', …)`, `fileDiagnostic(path, 'X', …)`).
const CODE_LITERALS = [
  /\bcode:\s*['"]([A-Za-z][A-Za-z0-9_]*)['"]/g,
  /\b\w*(?:[dD]iag|Diagnostic)\w*\(\s*(?:[^,()'"{}]+,\s*)?['"]([A-Z][A-Za-z0-9_]*)['"]/g,
];

function codesUsedIn(text: string): string[] {
  return CODE_LITERALS.flatMap((pattern) => [...text.matchAll(pattern)].map((m) => m[1] as string)).filter((code) => !code.startsWith('ERR_'));
}

test('every catalogued code is documented with its severity', () => {
  const sections = documentedSections();
  for (const [code, info] of Object.entries(DIAGNOSTIC_CODES)) {
    const body = sections.get(code);
    assert.ok(body !== undefined, `docs/diagnostics.md has no "## ${code}" section`);
    assert.match(body, new RegExp(`^Severity: ${info.severity}$`, 'm'), `docs/diagnostics.md: ${code} should say "Severity: ${info.severity}"`);
  }
});

test('every documented code is in the catalogue (no stale sections)', () => {
  for (const heading of documentedSections().keys()) {
    assert.ok(heading in DIAGNOSTIC_CODES, `docs/diagnostics.md documents "${heading}", which is not in src/core/diagnostic-codes.ts`);
  }
});

test('every diagnostic code literal used under src/ is in the catalogue', () => {
  const missing: string[] = [];
  for (const file of sourceFiles(join(ROOT, 'src'))) {
    for (const code of codesUsedIn(readFileSync(file, 'utf8'))) {
      if (!(code in DIAGNOSTIC_CODES)) missing.push(`${code} (${file.slice(ROOT.length + 1)})`);
    }
  }
  assert.deepEqual(missing, []);
});

test('the scanner finds code literals in the shapes the source uses', () => {
  const sample = `
    makeDiagnostic('PathConflict', ref, f, m);
    diag('UnknownKind', 'info', ref);
    fileDiagnostic(file.path, 'ManifestParseError', \`\${name}: bad\`);
    makeDiagnostic(code, { kind: 'Ingress', namespace: 'x' }, field, 'Message');
    const d = { code: "HostInvalid", severity: 'error' };
    throw Object.assign(new Error('x'), { code: 'ERR_SOMETHING' });
  `;
  assert.deepEqual(codesUsedIn(sample).sort(), ['HostInvalid', 'ManifestParseError', 'PathConflict', 'UnknownKind']);
});

test('catalogue entries are PascalCase, sorted, with a one-line summary', () => {
  const codes = Object.keys(DIAGNOSTIC_CODES);
  assert.deepEqual(codes, [...codes].sort());
  for (const [code, info] of Object.entries(DIAGNOSTIC_CODES)) {
    assert.match(code, /^[A-Z][A-Za-z0-9]+$/);
    assert.ok(info.summary.length > 10 && !info.summary.includes('\n'), code);
  }
});

test('makeDiagnostic takes the severity from the catalogue and omits an absent field', () => {
  const object = { kind: 'Ingress', namespace: 'default', name: 'web' };
  assert.deepEqual(makeDiagnostic('TLSCertificateExpired', object, undefined, 'm'), { code: 'TLSCertificateExpired', severity: 'warning', object, message: 'm' });
  assert.deepEqual(makeDiagnostic('PathInvalid', object, 'spec', 'm'), { code: 'PathInvalid', severity: 'error', object, field: 'spec', message: 'm' });
});
