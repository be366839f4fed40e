// Structured JSON logs: one line per event. Fields are data, never concatenated into the message,
// so a tenant-controlled string can never forge a log line.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

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
  write?: (line: string) => void; // defaults to process.stdout
  base?: LogFields;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const threshold = LEVELS[level];
  const write = options.write ?? stdoutBatched;
  const base = options.base ?? {};
  const emit = (lvl: LogLevel, msg: string, fields?: LogFields): void => {
    if (LEVELS[lvl] < threshold) return;
    const record = { time: new Date().toISOString(), level: lvl, msg, ...base, ...fields };
    // The replacer runs for every key; most lines (access logs) hold only primitives and skip it.
    write(JSON.stringify(record, needsReplacer(record) ? errorReplacer : undefined) + '\n');
  };
  return {
    level,
    enabled: (lvl) => LEVELS[lvl] >= threshold,
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ level, write, base: { ...base, ...fields } }),
  };
}

/** A logger that drops everything (tests that do not read logs). */
export const silentLogger: Logger = createLogger({ level: 'error', write: () => {} });

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

// Lines written to stdout together once per event-loop turn (or at 64 KiB) instead of one write
// per line: at tens of thousands of access-log lines per second the per-line write was ~10% of the
// proxy's CPU. Whatever is pending is written synchronously when the process exits.
let pending = '';
let flushScheduled = false;
function flushStdout(): void {
  flushScheduled = false;
  if (pending.length === 0) return;
  const out = pending;
  pending = '';
  process.stdout.write(out);
}
function stdoutBatched(line: string): void {
  pending += line;
  if (pending.length >= 65536) return flushStdout();
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushStdout).unref();
    if (!exitHooked) {
      exitHooked = true;
      process.once('exit', flushStdout);
    }
  }
}
let exitHooked = false;
