// End-to-end Kubernetes tests proxy to EndpointSlice addresses, and the API server refuses
// loopback endpoint addresses ("may not be in the loopback range"). So those tests run in a
// private network namespace of their own (`unshare --net`, as root like CI): inside it, the
// loopback interface also carries 198.18.0.0/24 (RFC 2544's benchmarking range), where the echo
// backends listen. Nothing in that namespace can reach, or be reached from, any real network.
//
// A test file calls `await runInPrivateNetns(import.meta.url)` first: outside the namespace it
// re-runs the same file inside one, with the same flags and environment (so `node --test` reads
// its results as if it had run the file itself) and returns false; inside it returns true.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ENDPOINT_PREFIX = '198.18.0.';
const MARK = 'GATEHOUSE_TEST_NETNS';

export async function runInPrivateNetns(fileUrl: string): Promise<boolean> {
  if (process.env[MARK] === '1') return true;
  const setup = `ip link set lo up && ip addr add ${ENDPOINT_PREFIX}1/24 dev lo && exec "$@"`;
  const child = spawn('unshare', ['--net', '--', 'sh', '-c', setup, 'sh', process.execPath, ...process.execArgv, fileURLToPath(fileUrl)], {
    stdio: 'inherit',
    env: { ...process.env, [MARK]: '1' },
  });
  const code = await new Promise<number>((resolve) => {
    child.on('error', (err) => {
      process.stderr.write(`cannot create a private network namespace (needs root and unshare from util-linux, ip from iproute2): ${err.message}\n`);
      resolve(1);
    });
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
  });
  process.exitCode = code;
  return false;
}
