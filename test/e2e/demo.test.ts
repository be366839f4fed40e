// `gatehouse demo` (what `npm start` runs): the printed curl lines work as printed, with real curl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { spawnGatehouse, waitFor } from '../support/spawn-gatehouse.ts';

const sh = promisify(execFile);

test('demo: the banner first, then readable logs; the printed curl commands work and are logged below it; Ctrl-C exits 0 and cleans up', async (t) => {
  // --log-format text is what a terminal gets by default (stdout is a pipe here).
  const gh = spawnGatehouse(['demo', '--http-port', '0', '--https-port', '0', '--admin-port', '0', '--log-format', 'text']);
  t.after(() => gh.stop('SIGKILL').catch(() => {}));
  await waitFor('the curl lines', () => gh.stdout().includes('Ctrl-C stops.'), 20_000);
  // Nothing before the banner: the start-up lines were held until it was printed.
  assert.match(gh.stdout(), /^\nGatehouse demo: /);
  await waitFor('the start-up log lines', () => / INFO  first route table applied /.test(gh.stdout()), 10_000);
  const afterBanner = gh.stdout().slice(gh.stdout().indexOf('Ctrl-C stops.\n') + 'Ctrl-C stops.\n'.length);
  assert.match(afterBanner, /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO  listening component=main bind=127\.0\.0\.1 /m);
  assert.match(afterBanner, /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO  first route table applied component=reconcile virtualHosts=\d+ /m);
  assert.doesNotMatch(gh.stdout(), /^\{/m, 'no JSON lines in text mode');
  const curls = gh.stdout().split('\n').filter((l) => l.startsWith('  curl ')).map((l) => l.trim().replace(/\s+#.*$/, ''));
  assert.equal(curls.length, 8, gh.stdout());
  const dir = /manifests: (\S+)/.exec(gh.stdout())?.[1];
  assert.ok(dir);

  const run = async (line: string): Promise<string> => (await sh('sh', ['-c', `${line} --silent --show-error --max-time 10 --write-out '\\n%{http_code}'`])).stdout;
  const expectations: [RegExp, RegExp][] = [
    [/kubia\.example\.com' http:\/\/[^ ]+\/$/, /^You've hit kubia-[01]\nhost: kubia\.example\.com\npath: \/\n\n200$/],
    [/kubia\.example\.com' http:\/\/[^ ]+\/kubia$/, /^You've hit kubia-[01]\nhost: kubia\.example\.com\npath: \/kubia\n\n200$/],
    [/kubia\.example\.com' http:\/\/[^ ]+\/bar$/, /^You've hit bar-0\nhost: kubia\.example\.com\npath: \/bar\n\n200$/],
    [/foo\.example\.com'/, /^You've hit foo-0\nhost: foo\.example\.com\npath: \/\n\n200$/],
    [/bar\.example\.com'/, /^You've hit bar-0\nhost: bar\.example\.com\npath: \/\n\n200$/],
    [/nobody\.example\.com'/, /\n404$/],
    [/^curl -k --resolve kubia\.example\.com:\d+:127\.0\.0\.1 https:\/\/kubia\.example\.com:\d+\/kubia$/, /^You've hit kubia-[01]\nhost: kubia\.example\.com:\d+\npath: \/kubia\n\n200$/],
    [/\/debug\/routes$/, /"host": "kubia\.example\.com"[\s\S]*\n\n200$/],
  ];
  for (const [i, [line, reply]] of expectations.entries()) {
    assert.match(curls[i]!, line);
    assert.match(await run(curls[i]!), reply, curls[i]);
  }
  // Two kubia pods behind one Service: round robin reaches both.
  const names = new Set<string>();
  for (let i = 0; i < 6; i++) names.add(/You've hit (\S+)/.exec(await run(curls[1]!))![1]!);
  assert.deepEqual([...names].sort(), ['kubia-0', 'kubia-1']);
  // The access log goes on below the banner, in nginx's combined format (text mode's default).
  const access = /^127\.0\.0\.1 - - \[\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/kubia HTTP\/1\.1" 200 \d+ "-" "curl\/[^"]+"$/m;
  await waitFor('the access lines', () => access.test(gh.stdout()), 10_000);
  assert.ok(gh.stdout().indexOf('Ctrl-C stops.') < gh.stdout().search(access));
  assert.match(gh.stdout(), /^127\.0\.0\.1 - - \[[^\]]+\] "GET \/ HTTP\/1\.1" 404 14 "-" "curl\/[^"]+"$/m, "the 404 Gatehouse wrote itself, with its 14 bytes");

  assert.equal(await gh.stop('SIGINT'), 0);
  const { stdout } = await sh('sh', ['-c', `test -e '${dir}' && echo present || echo gone`]);
  assert.equal(stdout.trim(), 'gone');
});
