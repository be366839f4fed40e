// The access log the CLI runs with (--access-log, --access-log-format, --access-log-file): a
// formatter over a batched, bounded LineWriter (stdout's shared one, or a file of its own). Lines
// dropped because the destination could not keep up are reported in the application log, at most
// every 10 s, with how many.

import type { Config } from '../config/config.ts';
import { createAccessLog, type AccessLog } from '../dataplane/http/access-log.ts';
import { openLineWriter, stdoutLineWriter, type LineWriter } from '../observability/line-writer.ts';
import type { Logger } from '../observability/logger.ts';

export interface OpenAccessLog {
  /** false when --access-log off. */
  accessLog: AccessLog | false;
  /** Writes what is queued, reports drops, closes a file. */
  close(): Promise<void>;
}

const DROP_REPORT_MS = 10_000;

/**
 * `write`, when given, takes the lines instead of stdout (embedding Gatehouse in a process that
 * reads them, such as a test); --access-log-file still wins.
 */
export function openAccessLog(settings: Config['accessLog'], logger: Logger, write?: (line: string) => void): OpenAccessLog {
  if (!settings.enabled) return { accessLog: false, close: async () => {} };
  if (write !== undefined && settings.file === undefined) return { accessLog: createAccessLog({ format: settings.format, write }), close: async () => {} };
  const log = logger.child({ component: 'access-log' });
  let writer: LineWriter;
  if (settings.file === undefined) {
    writer = stdoutLineWriter();
  } else {
    try {
      writer = openLineWriter(settings.file, {
        onError: (err) => log.error('access log file write failed; its lines are dropped (and counted) until a write succeeds', { file: settings.file, err, code: 'ERR_ACCESS_LOG_WRITE' }),
      });
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? String(err);
      throw Object.assign(new Error(`--access-log-file: cannot open ${JSON.stringify(settings.file)} (${reason})`), { code: 'ERR_ACCESS_LOG_FILE' });
    }
  }
  let reported = 0;
  const reportDrops = (): void => {
    const dropped = writer.dropped;
    if (dropped === reported) return;
    log.warn('access log lines dropped: the destination could not keep up', { dropped: dropped - reported, droppedTotal: dropped });
    reported = dropped;
  };
  const timer = setInterval(reportDrops, DROP_REPORT_MS);
  timer.unref();
  const accessLog = createAccessLog({ format: settings.format, write: (line) => writer.write(line, true) });
  return {
    accessLog,
    async close() {
      clearInterval(timer);
      if (settings.file !== undefined) await writer.close();
      else await writer.flush();
      reportDrops();
    },
  };
}
