// One manifest file's text → normalised objects. A file that does not parse as a whole is a
// failure (with the line), so the caller can keep that file's last good objects; objects that
// parse but are invalid are reported and skipped by the normaliser.

import { LineCounter, parseAllDocuments } from 'yaml';
import type { Diagnostic } from '../../core/diagnostics.ts';
import type { KubeObject } from '../../core/model.ts';
import { normalizeDocument } from '../normalize-object.ts';

export type ManifestParse =
  | { ok: true; objects: KubeObject[]; diagnostics: Diagnostic[] }
  | { ok: false; line?: number; column?: number; reason: string };

/** Aliases expand into copies: a bound stops a "billion laughs" document from exhausting memory. */
const MAX_ALIAS_COUNT = 100;

export function parseManifestText(text: string, displayPath: string, format: 'yaml' | 'json'): ManifestParse {
  return format === 'json' ? parseJson(text, displayPath) : parseYaml(text, displayPath);
}

function parseYaml(text: string, displayPath: string): ManifestParse {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if ('empty' in parsed) {
    const error = parsed.errors[0];
    return error === undefined ? { ok: true, objects: [], diagnostics: [] } : failure(error.message, error.pos[0], lineCounter);
  }
  const docs = parsed;
  const objects: KubeObject[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error !== undefined) return failure(error.message, error.pos[0], lineCounter);
    let raw: unknown;
    try {
      raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      return failure(err instanceof Error ? err.message : String(err), doc.range[0], lineCounter);
    }
    const start = doc.contents?.range[0] ?? doc.range[0];
    const origin = `${displayPath}:${lineCounter.linePos(start).line}`;
    const result = normalizeDocument(raw, origin);
    objects.push(...result.objects);
    diagnostics.push(...result.diagnostics);
  }
  return { ok: true, objects, diagnostics };
}

function parseJson(text: string, displayPath: string): ManifestParse {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const at = /position (\d+)/.exec(message);
    const offset = at ? Number(at[1]) : undefined;
    // V8's message quotes the text around the error; keep only its first sentence.
    const reason = message.split(/[\r\n]/)[0]!.replace(/ in JSON at position.*$/, '').slice(0, 120);
    if (offset === undefined) return { ok: false, reason };
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    return { ok: false, line, column: offset - before.lastIndexOf('\n'), reason };
  }
  const result = normalizeDocument(raw, `${displayPath}:1`);
  return { ok: true, objects: result.objects, diagnostics: result.diagnostics };
}

function failure(message: string, offset: number | undefined, lineCounter: LineCounter): ManifestParse {
  // yaml's messages may quote a snippet of the source on later lines; the first line is the reason.
  const reason = message.split(/[\r\n]/)[0]!.replace(/ at line \d+, column \d+:?$/, '').slice(0, 160);
  if (offset === undefined) return { ok: false, reason };
  const pos = lineCounter.linePos(offset);
  return { ok: false, line: pos.line, column: pos.col, reason };
}
