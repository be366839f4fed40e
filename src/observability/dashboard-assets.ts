// The dashboard's files, read once when the admin server starts and served from memory: a fixed
// list of paths (no file name ever comes from a request), each with its type. The files are plain
// HTML/CSS/JS in ./dashboard/ (copied next to the compiled code by `npm run build`), and the
// diagnostics help page is made from docs/diagnostics.md (copied there too), so the dashboard's
// "what does this diagnostic mean" links work offline.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPackageRoot } from '../config/package-root.ts';
import { DIAGNOSTIC_CODES } from '../core/diagnostic-codes.ts';

export interface DashboardAsset {
  contentType: string;
  body: Buffer;
}

export type DashboardAssets = ReadonlyMap<string, DashboardAsset>;

/**
 * The Content-Security-Policy of every dashboard page: only its own scripts, styles and fetches;
 * no inline code, no frames, no forms posting anywhere, no other origin.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const FILES: readonly [path: string, file: string, type: string][] = [
  ['/', 'index.html', 'text/html; charset=utf-8'],
  ['/dashboard/dashboard.css', 'dashboard.css', 'text/css; charset=utf-8'],
  ['/dashboard/dashboard.js', 'dashboard.js', 'text/javascript; charset=utf-8'],
  ['/dashboard/favicon.svg', 'favicon.svg', 'image/svg+xml'],
];

export function loadDashboardAssets(dir: string = fileURLToPath(new URL('./dashboard/', import.meta.url))): DashboardAssets {
  const assets = new Map<string, DashboardAsset>();
  for (const [path, file, contentType] of FILES) assets.set(path, { contentType, body: readFileSync(join(dir, file)) });
  assets.set('/dashboard/diagnostics', { contentType: 'text/html; charset=utf-8', body: Buffer.from(diagnosticsPage(readDiagnosticsDoc(dir)), 'utf8') });
  return assets;
}

/** Next to the assets once built; docs/ of the package when run from source. */
function readDiagnosticsDoc(dir: string): string | undefined {
  const root = findPackageRoot();
  for (const candidate of [join(dir, 'diagnostics.md'), ...(root === undefined ? [] : [join(root, 'docs', 'diagnostics.md')])]) {
    try {
      return readFileSync(candidate, 'utf8');
    } catch {
      // try the next place
    }
  }
  return undefined;
}

/** One section per code with the anchor GitHub gives it (`#annotationinvalid`), so links match the docs. */
function diagnosticsPage(doc: string | undefined): string {
  const sections = new Map<string, string>();
  if (doc !== undefined) {
    for (const part of doc.split(/^## /m).slice(1)) {
      const nl = part.indexOf('\n');
      sections.set(part.slice(0, nl).trim(), part.slice(nl + 1));
    }
  }
  const body: string[] = [];
  for (const [code, info] of Object.entries(DIAGNOSTIC_CODES)) {
    body.push(`<section aria-labelledby="${code.toLowerCase()}"><h2 id="${code.toLowerCase()}">${escape(code)}</h2>`);
    const text = sections.get(code);
    body.push(text === undefined ? `<p>Severity: ${escape(info.severity)}</p><p>${escape(info.summary)}</p>` : renderMarkdown(text));
    body.push('</section>');
  }
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>Gatehouse diagnostics</title><link rel="icon" href="/dashboard/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/dashboard/dashboard.css"></head>',
    '<body><header class="top"><h1>Diagnostics</h1><a href="/">Back to the dashboard</a></header>',
    '<main id="main" class="doc"><p>Every diagnostic code Gatehouse reports, what it means and how to fix it (docs/diagnostics.md).</p>',
    ...body,
    '</main></body></html>',
    '',
  ].join('\n');
}

/** The small Markdown subset docs/diagnostics.md uses: paragraphs, "- " lists, `code`, **bold**. Escaped first. */
function renderMarkdown(text: string): string {
  const out: string[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.split('\n').filter((l) => l.trim() !== '');
    if (lines.length === 0) continue;
    if (lines.every((l) => /^\s*- /.test(l) || /^\s{2,}\S/.test(l))) {
      const items: string[] = [];
      for (const l of lines) {
        if (/^\s*- /.test(l)) items.push(l.replace(/^\s*- /, ''));
        else items[items.length - 1] += ` ${l.trim()}`;
      }
      out.push(`<ul>${items.map((i) => `<li>${inline(i)}</li>`).join('')}</ul>`);
    } else {
      out.push(`<p>${inline(lines.join(' '))}</p>`);
    }
  }
  return out.join('\n');
}

function inline(text: string): string {
  return escape(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/\[([^\]]+)\]\(([^)]+)\)/g, '$1');
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
