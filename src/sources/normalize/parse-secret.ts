// Secret: `data` base64-decoded, `stringData` merged over it (as the API server does). A key that is
// not valid base64 is dropped alone, with a diagnostic: the builder then reports what the Secret
// lacks next to the Ingress that uses it, and the rest of the Secret stays usable.

import type { Secret } from '../../core/model.ts';
import { clip, FieldError, optRecord, optString, sourceDiagnostic, typeName, type NormalizeContext } from './field-readers.ts';
import { parseObjectMeta } from './parse-object-meta.ts';

export function parseSecret(raw: Record<string, unknown>, ctx: NormalizeContext): Secret {
  const metadata = parseObjectMeta(raw['metadata'], true);
  const type = optString(raw['type'], 'type') ?? 'Opaque';
  const data: Record<string, string> = {};
  const encoded = optRecord(raw['data'], 'data') ?? {};
  for (const [key, value] of Object.entries(encoded)) {
    const field = `data[${JSON.stringify(clip(key))}]`;
    if (value === null || value === undefined) continue;
    if (typeof value !== 'string') throw new FieldError(field, `expected a base64 string, got ${typeName(value)}`);
    const decoded = decodeBase64(value);
    if (decoded === undefined) {
      // Only this key is dropped: the builder then reports what the Secret lacks, next to the
      // Ingress that uses it, and the rest of the Secret stays usable.
      ctx.findings.push(sourceDiagnostic('SecretDataInvalid', ctx.ref, field, ctx.origin, `${field} is not valid base64; key ignored`));
      continue;
    }
    data[key] = decoded;
  }
  const plain = optRecord(raw['stringData'], 'stringData') ?? {};
  for (const [key, value] of Object.entries(plain)) {
    if (value === null || value === undefined) continue;
    if (typeof value !== 'string') throw new FieldError(`stringData[${JSON.stringify(clip(key))}]`, `expected a string, got ${typeName(value)}`);
    data[key] = value;
  }
  return { kind: 'Secret', metadata, type, data };
}

/** Strict standard base64 (line breaks allowed, as in YAML block scalars). */
function decodeBase64(text: string): string | undefined {
  const compact = text.replace(/[\r\n]/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, 'base64').toString('utf8');
}
