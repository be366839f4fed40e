// A basic-auth Secret's data → typed credentials (user → parsed hash), as ingress-nginx reads it:
// `auth-file` takes the `auth` key as htpasswd lines (`user:hash[:comment]`, '#' comments and
// blank lines skipped, as nginx's auth_basic_user_file); `auth-map` takes each key as a user and
// its value as the hash. Any malformed line or unsupported hash fails the whole Secret: serving
// with some users silently dropped would lock out or, worse, confuse whoever wrote it. Reasons
// name line numbers and users' positions, never Secret content.

import { parsePasswordHash, type PasswordHash } from './password-hash.ts';

export const MAX_HTPASSWD_LINES = 20_000;
export const MAX_HTPASSWD_USERS = 10_000;
export const MAX_HTPASSWD_LINE_LENGTH = 1024;

export type SecretType = 'auth-file' | 'auth-map';

export type ParsedCredentials =
  | { ok: true; users: Record<string, PasswordHash> }
  /** `unsupported`: a hash format Gatehouse cannot verify (DES crypt...), rather than a malformed Secret. */
  | { ok: false; unsupported: boolean; reason: string };

export function parseHtpasswd(data: Readonly<Record<string, string>>, type: SecretType): ParsedCredentials {
  if (type === 'auth-file') {
    const file = Object.hasOwn(data, 'auth') ? data.auth : undefined;
    if (file === undefined) return fail('it has no key "auth" (auth-secret-type auth-file expects the htpasswd file under "auth")');
    return parseLines(file);
  }
  const keys = Object.keys(data).sort();
  if (keys.length === 0) return fail('it has no keys (auth-secret-type auth-map expects one key per user)');
  if (keys.length > MAX_HTPASSWD_USERS) return fail(`it has more than ${MAX_HTPASSWD_USERS} users`);
  const users: Record<string, PasswordHash> = Object.create(null) as Record<string, PasswordHash>;
  for (const [i, user] of keys.entries()) {
    // A trailing newline (from `kubectl create secret --from-file`) is not part of the hash.
    const value = data[user]!.replace(/\r?\n$/, '');
    const where = `the value of key ${i + 1} (in sorted order)`;
    const userProblem = checkUser(user);
    if (userProblem !== undefined) return fail(`key ${i + 1} (in sorted order) is not a valid user name: ${userProblem}`);
    if (value.length > MAX_HTPASSWD_LINE_LENGTH) return fail(`${where} is longer than ${MAX_HTPASSWD_LINE_LENGTH} characters`);
    if (hasControl(value) || value.includes(':')) return fail(`${where} holds a control character or ":"`);
    const parsed = parsePasswordHash(value);
    if (!parsed.ok) return { ok: false, unsupported: parsed.unsupported, reason: `${where} is ${parsed.unsupported ? '' : 'not valid: '}${parsed.reason}` };
    users[user] = parsed.hash;
  }
  return { ok: true, users };
}

function parseLines(file: string): ParsedCredentials {
  const lines = file.split('\n');
  if (lines.length > MAX_HTPASSWD_LINES) return fail(`its "auth" file has more than ${MAX_HTPASSWD_LINES} lines`);
  const users: Record<string, PasswordHash> = Object.create(null) as Record<string, PasswordHash>;
  let count = 0;
  for (const [i, raw] of lines.entries()) {
    const where = `line ${i + 1} of its "auth" file`;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.length > MAX_HTPASSWD_LINE_LENGTH) return fail(`${where} is longer than ${MAX_HTPASSWD_LINE_LENGTH} characters`);
    if (line.trim().length === 0 || line.startsWith('#')) continue;
    if (hasControl(line)) return fail(`${where} holds a control character`);
    const colon = line.indexOf(':');
    if (colon < 0) return fail(`${where} is not "user:hash"`);
    const user = line.slice(0, colon);
    const userProblem = checkUser(user);
    if (userProblem !== undefined) return fail(`${where} has an invalid user name: ${userProblem}`);
    // As nginx: the hash runs to the next ':' (anything after it is a comment).
    const rest = line.slice(colon + 1);
    const end = rest.indexOf(':');
    const hash = end < 0 ? rest : rest.slice(0, end);
    const parsed = parsePasswordHash(hash);
    if (!parsed.ok) return { ok: false, unsupported: parsed.unsupported, reason: `${where} has ${parsed.unsupported ? '' : 'an invalid hash: '}${parsed.reason}` };
    // As nginx, the first line for a user is the one that counts.
    if (Object.hasOwn(users, user)) continue;
    if (++count > MAX_HTPASSWD_USERS) return fail(`its "auth" file has more than ${MAX_HTPASSWD_USERS} users`);
    users[user] = parsed.hash;
  }
  if (count === 0) return fail('its "auth" file lists no users');
  return { ok: true, users };
}

function checkUser(user: string): string | undefined {
  if (user.length === 0) return 'it is empty';
  if (user.length > 256) return 'it is longer than 256 characters';
  if (hasControl(user) || user.includes(':')) return 'it holds a control character or ":"';
  return undefined;
}

function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function fail(reason: string): ParsedCredentials {
  return { ok: false, unsupported: false, reason };
}
