// `gatehouse explain`: builds the table from manifests (or asks a running Gatehouse), explains one
// URL, prints the trace or JSON, and turns the outcome into the exit code: 0 proxied to a backend,
// 1 anything else, 2 a bad command line or input that cannot be read.

import { EXIT_USAGE } from '../config/config-error.ts';
import type { ExplainConfig } from '../config/parse-explain-command-line.ts';
import { explainRequest, type Explanation } from '../core/explain-request.ts';
import { explainInput, ExplainInputError } from './explain-input.ts';
import { loadManifestTable } from './load-manifest-table.ts';
import type { MainIo } from './main.ts';
import { renderExplanation } from './render-explanation.ts';
import { admitsSource } from './admits-source.ts';

const ADMIN_TIMEOUT_MS = 15_000;

export async function runExplain(config: ExplainConfig, io: MainIo): Promise<number> {
  let explanation: Explanation;
  try {
    explanation = config.admin === undefined ? await explainOffline(config) : await explainOnline(config, config.admin);
  } catch (err) {
    if (err instanceof ExplainInputError || err instanceof UnreadableInput) {
      io.stderr(`gatehouse: explain: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
  io.stdout(config.output === 'json' ? `${JSON.stringify(explanation, null, 2)}\n` : renderExplanation(explanation));
  return explanation.served ? 0 : 1;
}

/** Manifests that cannot be read or parsed, or an admin endpoint that does not answer. */
class UnreadableInput extends Error {
  constructor(message: string) {
    super(message.replace(/[\r\n]+/g, ' '));
  }
}

async function explainOffline(config: ExplainConfig): Promise<Explanation> {
  // The URL first: a typo there should not wait for the manifests.
  const input = explainInput(config.url, config.headers, config.clientIp);
  const loaded = await loadManifestTable(config.manifests, {
    controllerName: config.controllerName,
    watchIngressWithoutClass: config.watchIngressWithoutClass,
    ...(config.defaultBackend === undefined ? {} : { defaultBackend: { ...config.defaultBackend } }),
  });
  // A file that does not parse would be explained as if its objects did not exist: refuse instead.
  const unreadable = loaded.sourceDiagnostics.find((d) => d.code === 'ManifestReadError' || d.code === 'ManifestParseError');
  if (unreadable !== undefined) throw new UnreadableInput(`${unreadable.message} (${unreadable.code})`);
  return explainRequest(loaded.table, input, {
    httpsPort: config.httpsPort,
    defaults: { ...config.timeouts, ...(config.maxBodySize === undefined ? {} : { maxBodySize: config.maxBodySize }) },
    diagnostics: [...loaded.sourceDiagnostics, ...loaded.diagnostics],
    admitsSource,
  });
}

async function explainOnline(config: ExplainConfig, admin: string): Promise<Explanation> {
  explainInput(config.url, config.headers, config.clientIp); // the same checks, with the same messages, before asking
  const query = new URLSearchParams({ url: config.url });
  for (const h of config.headers) query.append('header', h);
  if (config.clientIp !== undefined) query.set('clientIp', config.clientIp);
  const where = `${admin}/debug/explain?${query}`;
  let response: Response;
  try {
    response = await fetch(where, { signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS), headers: { accept: 'application/json' } });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new UnreadableInput(`cannot reach ${admin} (${cause?.code ?? cause?.message ?? (err as Error).message})`);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new UnreadableInput(`${admin}/debug/explain answered ${response.status} without JSON: is it a Gatehouse admin port of this version?`);
  }
  if (response.status !== 200) {
    const message = (body as { error?: unknown }).error;
    throw new UnreadableInput(`${admin} answered ${response.status}: ${typeof message === 'string' ? message : text.slice(0, 200)}`);
  }
  return body as Explanation;
}
