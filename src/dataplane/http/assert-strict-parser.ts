// Refuses to start when Node's HTTP parser could be lenient. Lenient parsing (obs-fold, bare LF,
// CL+TE, junk in header values) is exactly the disagreement request smuggling feeds on, and a flag
// in NODE_OPTIONS is an easy way to switch it on unnoticed. Called once by main, before listening.

import http from 'node:http';

export interface ParserEnvironment {
  execArgv: readonly string[];
  nodeOptions: string | undefined;
  /** The process-wide header size limit (`--max-http-header-size`), which Node's HTTP clients use. */
  maxHeaderSize: number;
}

/** The server options that decide parser strictness (a subset of http.ServerOptions). */
export interface ParserServerOptions {
  insecureHTTPParser?: boolean | undefined;
  httpValidation?: string | undefined;
  maxHeaderSize?: number | undefined;
}

/** Header limits outside this range are refused: below it nothing works, above it memory is at risk. */
export const MIN_MAX_HEADER_SIZE = 1024;
export const MAX_MAX_HEADER_SIZE = 64 * 1024;

export function currentParserEnvironment(): ParserEnvironment {
  return { execArgv: process.execArgv, nodeOptions: process.env['NODE_OPTIONS'], maxHeaderSize: http.maxHeaderSize };
}

export class InsecureParserError extends Error {
  readonly code = 'ERR_INSECURE_HTTP_PARSER';
}

/** Throws InsecureParserError (code ERR_INSECURE_HTTP_PARSER) naming what to remove. */
export function assertStrictParser(env: ParserEnvironment = currentParserEnvironment(), server?: ParserServerOptions): void {
  const problems: string[] = [];
  const flags = [...env.execArgv.map((a) => ({ flag: a, where: 'the node command line' })), ...splitNodeOptions(env.nodeOptions).map((a) => ({ flag: a, where: 'NODE_OPTIONS' }))];
  for (const { flag, where } of flags) {
    const name = flag.split('=')[0] ?? flag;
    if (name === '--insecure-http-parser') problems.push(`--insecure-http-parser is set in ${where}`);
    // A security revert can bring back lenient parsing that a CVE fix removed.
    if (name === '--security-revert') problems.push(`${flag} is set in ${where}`);
  }
  checkHeaderSize(env.maxHeaderSize, '--max-http-header-size', problems);
  if (server !== undefined) {
    if (server.insecureHTTPParser === true) problems.push('the server option insecureHTTPParser is true');
    if (server.httpValidation !== undefined && server.httpValidation !== 'strict') {
      problems.push(`the server option httpValidation is '${server.httpValidation}', not 'strict'`);
    }
    if (server.maxHeaderSize !== undefined) checkHeaderSize(server.maxHeaderSize, 'the server option maxHeaderSize', problems);
  }
  if (problems.length > 0) {
    throw new InsecureParserError(`refusing to start with a lenient HTTP parser: ${problems.join('; ')}`);
  }
}

function checkHeaderSize(size: number, what: string, problems: string[]): void {
  if (!Number.isInteger(size) || size < MIN_MAX_HEADER_SIZE || size > MAX_MAX_HEADER_SIZE) {
    problems.push(`${what} is ${size}, outside ${MIN_MAX_HEADER_SIZE}..${MAX_MAX_HEADER_SIZE}`);
  }
}

/** NODE_OPTIONS is split on whitespace; quoted values may hold spaces ("--title=a b"). */
function splitNodeOptions(s: string | undefined): string[] {
  if (s === undefined) return [];
  const out: string[] = [];
  let cur = '';
  let quote = false;
  for (const ch of s) {
    if (ch === '"') quote = !quote;
    else if (!quote && (ch === ' ' || ch === '\t' || ch === '\n')) {
      if (cur !== '') out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur !== '') out.push(cur);
  return out;
}
