// The command line's behaviour: parse, run, and turn every outcome into an exit code.
// 0 clean shutdown (and help/version), 1 runtime failure, 2 bad command line
// (check: 0 honoured, 1 ignored, 3 refused, 2 bad command line or unreadable input).

import { ConfigError, EXIT_USAGE } from '../config/config-error.ts';
import { parseCommandLine } from '../config/parse-command-line.ts';
import { parseExplainCommandLine, type ExplainConfig } from '../config/parse-explain-command-line.ts';
import { stdoutLineWriter } from '../observability/line-writer.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { runDemo } from './run-demo.ts';
import { runExplain } from './run-explain.ts';
import { startGatehouse } from './start-gatehouse.ts';

export interface MainIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

// stdout goes through the writer the logs use, so text and log lines never interleave.
const processIo: MainIo = {
  stdout: (t) => void stdoutLineWriter().write(t),
  stderr: (t) => void process.stderr.write(t),
};

/** Resolves with the exit code once Gatehouse has stopped (or failed to start). */
export async function main(argv: readonly string[], io: MainIo = processIo): Promise<number> {
  const code = await run(argv, io);
  // Everything logged is written before the CLI exits (the exit hook is only a crash fallback).
  await stdoutLineWriter().flush();
  return code;
}

async function run(argv: readonly string[], io: MainIo): Promise<number> {
  let parsed;
  let explain: ExplainConfig | undefined;
  try {
    parsed = parseCommandLine(argv);
    if (parsed.kind === 'explain') explain = parseExplainCommandLine(parsed.args, parsed.cwd);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`gatehouse: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
  if (parsed.kind === 'help' || parsed.kind === 'version') {
    io.stdout(parsed.text.endsWith('\n') ? parsed.text : `${parsed.text}\n`);
    return 0;
  }
  // `explain` prints its answer and exits; it starts no servers and installs no signal handlers.
  if (parsed.kind === 'explain') return runExplain(explain!, io);
  const config = parsed.config;
  // check reads once, prints a report and exits: no logger, no signals, no listeners. Loaded only
  // for check: it reads clusters through client-node (hundreds of modules, ~20 MiB of heap), which
  // `serve` in manifest mode never needs (start-gatehouse.ts loads it for Kubernetes mode only).
  if (config.command === 'check') return (await import('./run-check.ts')).runCheck(config, io);
  // The demo's banner comes first: log lines of the start are held until it is printed.
  const held = config.command === 'demo' ? holdLines(io) : undefined;
  const logger = createLogger({ level: config.logLevel, format: config.logFormat, base: { service: 'gatehouse' }, ...(held ? { write: held.write } : {}) });
  process.on('uncaughtException', (err) => {
    // Every socket has its handlers; anything landing here is a bug, and a process in an unknown
    // state should not keep serving. The orchestrator restarts it.
    logger.error('uncaught exception; exiting', { err, code: 'ERR_UNCAUGHT' });
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => logger.error('unhandled rejection', { err, code: 'ERR_UNHANDLED_REJECTION' }));

  // Signals are caught from the start: one that arrives while starting shuts down once started.
  const signals = catchSignals(logger);
  let running: { shutdown(reason: string): Promise<void> };
  try {
    running = config.command === 'demo' ? await runDemo(config, logger, io) : await startGatehouse(config, logger);
  } catch (err) {
    held?.release();
    return startFailure(err, logger, io);
  }
  held?.release();
  const signal = await signals.first;
  try {
    await running.shutdown(signal);
    return 0;
  } catch (err) {
    logger.error('shutdown failed', { err });
    return 1;
  }
}

/** Log lines kept in order until release(), then written as they come. */
function holdLines(io: MainIo): { write(line: string): void; release(): void } {
  let held: string[] | undefined = [];
  return {
    write(line) {
      if (held === undefined) io.stdout(line);
      else held.push(line);
    },
    release() {
      if (held === undefined) return;
      const lines = held;
      held = undefined;
      if (lines.length > 0) io.stdout(lines.join(''));
    },
  };
}

function startFailure(err: unknown, logger: Logger, io: MainIo): number {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  logger.error('failed to start', { err, code: typeof code === 'string' ? code : 'ERR_START' });
  io.stderr(`gatehouse: ${message.replace(/[\r\n]+/g, ' ')}\n`);
  // A kubeconfig that cannot be used is a usage problem, like a bad flag.
  return code === 'ERR_KUBECONFIG' ? EXIT_USAGE : 1;
}

/** SIGTERM/SIGINT start the drain; a second signal during the drain exits at once. */
function catchSignals(logger: Logger): { first: Promise<NodeJS.Signals> } {
  let signalled = false;
  let resolveFirst: (signal: NodeJS.Signals) => void = () => {};
  const first = new Promise<NodeJS.Signals>((resolve) => (resolveFirst = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      logger.warn('second signal: exiting without waiting for the drain', { signal });
      process.exit(1);
    }
    signalled = true;
    resolveFirst(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return { first };
}
