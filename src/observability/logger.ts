// Structured logs: one line per event, as JSON (for machines) or as text (for people at a
// terminal). Fields are data, never concatenated into the message, and text-mode values that are
// not plain words are quoted with JSON escapes, so a tenant-controlled string can never forge a
// log line in either format.

import { stdoutLineWriter } from './line-writer.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'text';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  readonly level: LogLevel;
  enabled(level: LogLevel): boolean;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds these fields to every line. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Default 'json'. */
  format?: LogFormat;
  write?: (line: string) => void; // defaults to the shared stdout writer
  base?: LogFields;
}

/** Keys a line's own fields cannot overwrite: the record's frame and the logger's identity. */
const RESERVED = ['time', 'level', 'msg', 'service'] as const;

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const format = options.format ?? 'json';
  const threshold = LEVELS[level];
  const write = options.write ?? defaultWrite;
  const base = options.base ?? {};
  const render = format === 'text' ? renderText : renderJson;
  const emit = (lvl: LogLevel, msg: string, fields?: LogFields): void => {
    if (LEVELS[lvl] < threshold) return;
    const time = new Date().toISOString();
    const record: Record<string, unknown> = { time, level: lvl, msg, ...base, ...fields };
    if (fields !== undefined) {
      // Re-assigned, not re-added: the keys keep their place at the front of the line.
      record.time = time;
      record.level = lvl;
      record.msg = msg;
      if ('service' in base) record.service = base.service;
    }
    write(render(record));
  };
  return {
    level,
    enabled: (lvl) => LEVELS[lvl] >= threshold,
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ level, format, write, base: { ...base, ...fields } }),
  };
}

/** A logger that drops everything (tests that do not read logs). */
export const silentLogger: Logger = createLogger({ level: 'error', write: () => {} });

function defaultWrite(line: string): void {
  stdoutLineWriter().write(line);
}

function renderJson(record: Record<string, unknown>): string {
  // The replacer runs for every key; most lines hold only primitives and skip it.
  return JSON.stringify(record, needsReplacer(record) ? errorReplacer : undefined) + '\n';
}

const LEVEL_TEXT: Record<string, string> = { debug: 'DEBUG', info: 'INFO ', warn: 'WARN ', error: 'ERROR' };

/**
 * `2026-12-07T16:48:22.123Z INFO  listening http=8080 component=main`: time, level, message, then
 * key=value. The service name is left out (a person at a terminal knows what they started).
 */
function renderText(record: Record<string, unknown>): string {
  let line = `${String(record.time)} ${LEVEL_TEXT[String(record.level)] ?? 'INFO '} ${textMessage(String(record.msg))}`;
  for (const key in record) {
    if ((RESERVED as readonly string[]).includes(key)) continue;
    const value = record[key];
    if (value === undefined) continue;
    line += ` ${textKey(key)}=${textValue(value)}`;
  }
  return line + '\n';
}

// Plain words stay bare; anything with spaces, quotes, '=', control or non-ASCII characters is
// quoted the JSON way (one line, escapes visible).
const BARE = /^[A-Za-z0-9_.,:/@+\-*#[\]()]+$/;

function textValue(value: unknown): string {
  if (typeof value === 'string') return BARE.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return value.toString();
  if (value === null) return 'null';
  return JSON.stringify(value, errorReplacer) ?? 'undefined';
}

/** Messages are Gatehouse's own words: bare unless they hold a quote, backslash or control character. */
function textMessage(msg: string): string {
  return /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/.test(msg) ? msg : JSON.stringify(msg);
}

function textKey(key: string): string {
  return BARE.test(key) ? key : JSON.stringify(key);
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as Error & { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function needsReplacer(record: Record<string, unknown>): boolean {
  for (const key in record) {
    const v = record[key];
    if (typeof v === 'object' ? v !== null : typeof v === 'bigint') return true;
  }
  return false;
}
