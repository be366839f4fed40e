// The Node.js major Gatehouse runs on. cli.ts checks it before loading anything else, so this file
// must import nothing and use nothing newer than what old Node versions understand.

/** The supported major; package.json `engines.node` says the same (a test checks). */
export const SUPPORTED_NODE_MAJOR = 24;

/** One line saying which Node is needed, or undefined when `version` ('20.19.2') is new enough. */
export function checkNodeVersion(version: string): string | undefined {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1] ?? NaN);
  if (major >= SUPPORTED_NODE_MAJOR) return undefined;
  return `needs Node.js ${SUPPORTED_NODE_MAJOR} (this is Node.js ${version}); run it with "npx gatehouse" in the project, which uses the Node.js ${SUPPORTED_NODE_MAJOR} that npm ci installs`;
}
