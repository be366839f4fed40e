// --help text, rendered from the flag table so it cannot drift from what the parser accepts.

import type { Command } from './config.ts';
import { FLAG_GROUPS, flagsFor, type FlagSpec } from './flags.ts';

const WIDTH = 100;

export function renderHelp(command?: Command): string {
  if (command === undefined) return overview();
  const lines: string[] = [];
  if (command === 'serve') {
    lines.push(
      'Usage: gatehouse serve [--manifests PATH ...] [flags]',
      '',
      'Runs the Ingress controller. With --manifests it reads Kubernetes objects from files and folders',
      'and follows their changes; without it, it reads them from the Kubernetes API (in-cluster, or',
      'through a kubeconfig).',
    );
  } else if (command === 'check') {
    lines.push(
      'Usage: gatehouse check [-f FILE|DIR ...] [-o table|json] [flags]',
      '',
      'Reads Ingresses from files and folders (-f), or once from the Kubernetes API, runs the same',
      'route builder as serve, and prints for every Ingress which annotations are honoured, ignored',
      '(and why) or refuse it, and what each route answers. Nothing is served and nothing is written.',
      'Exit codes: 0 everything honoured, 1 something ignored, 3 something refused, 2 a bad command',
      'line or unreadable input. Report format: docs/check.md',
    );
  } else {
    lines.push(
      'Usage: gatehouse demo [flags]',
      '',
      "Serves the Ingress tutorial's examples through the manifest mode, with small echo backends it",
      'starts itself on 127.0.0.x, and prints curl commands to try. Stop it with Ctrl-C.',
    );
  }
  for (const group of FLAG_GROUPS) {
    const specs = flagsFor(command).filter((f) => f.group === group);
    if (specs.length === 0) continue;
    lines.push('', `${group}:`);
    for (const spec of specs) lines.push(...describe(spec));
  }
  lines.push(
    '',
    'DURATION: 500ms, 5s, 1.5s, 2m, 1h, 1m30s.  SIZE: a byte count, or 64k, 10m, 1g (1k = 1024).',
    'Boolean flags also accept --name=true and --name=false.',
    '',
  );
  return lines.join('\n');
}

function overview(): string {
  return [
    'Gatehouse: a Kubernetes Ingress controller (HTTP and HTTPS by host and path, straight to pod endpoints).',
    '',
    'Usage:',
    '  gatehouse serve --manifests PATH [flags]   serve Ingresses read from YAML/JSON files, live',
    '  gatehouse serve [flags]                    serve Ingresses read from the Kubernetes API',
    '  gatehouse demo [flags]                     the tutorial examples with built-in echo backends',
    '  gatehouse explain -f PATH URL              where a URL goes, and why (also --admin URL: live)',
    '  gatehouse check -f PATH [-o json]          what Gatehouse would honour, ignore or refuse (exit 0/1/3)',
    '  gatehouse serve --help                     every flag',
    '  gatehouse --version',
    '',
    'Exit codes: 0 after a clean shutdown, 1 on a runtime failure, 2 on a bad command line.',
    'Configuration reference: docs/configuration.md',
    '',
  ].join('\n');
}

/** `gatehouse explain --help`: its flags are its own (see parse-explain-command-line.ts). */
export function renderExplainHelp(): string {
  return [
    'Usage: gatehouse explain -f PATH... URL [--header NAME:VALUE]... [--client-ip IP] [-o text|json]',
    '       gatehouse explain --admin http://HOST:PORT URL [...]',
    '',
    'Explains where a request for URL goes and why: the virtual host chosen (exact, wildcard, *),',
    'the paths tried in order and why each matched or not, the winner or default backend, the policy',
    'in effect, the backend and its endpoints, and the answer a client gets. With -f it reads the',
    'manifests and builds the route table exactly as "gatehouse serve --manifests" does; with --admin',
    "it asks a running Gatehouse (its /debug/explain), which also knows each endpoint's live health.",
    '',
    'Flags:',
    '  -f, --filename PATH        a manifest file or folder (repeatable; --manifests is the same)',
    '  --admin URL                the admin address of a running Gatehouse, e.g. http://127.0.0.1:9090',
    '  -H, --header NAME:VALUE    a request header (repeatable): cookies and hash keys read them',
    '  --client-ip IP             the client address (ClientIP affinity, client-ip hash key)',
    '  -o, --output text|json     json: the whole explanation for tools (default: text)',
    '',
    'With -f, the serve flags that change routing apply too: --controller-name, --default-backend,',
    '--no-watch-ingress-without-class, --https-port (redirect Locations), --connect-timeout,',
    '--read-timeout, --send-timeout, --max-body-size.',
    '',
    'Exit codes: 0 the URL is proxied to a backend, 1 it is not (404, 503, a redirect, a refused',
    'URL), 2 a bad command line or unreadable manifests. Guide: docs/explain.md',
    '',
  ].join('\n');
}

function describe(spec: FlagSpec): string[] {
  const head = `  ${spec.short === undefined ? '' : `-${spec.short}, `}--${spec.name}${spec.value ? ` ${spec.value}` : ''}`;
  const text = `${spec.help}${spec.defaultText ? ` (default: ${spec.defaultText})` : ''}`;
  return [head, ...wrap(text, WIDTH - 6).map((l) => `      ${l}`)];
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') out.push(line);
  return out;
}
