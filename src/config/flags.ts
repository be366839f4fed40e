// The one table of command-line flags: parseArgs options, --help and docs/configuration.md all
// follow it (a test checks that every flag here is documented in both).

import type { Command } from './config.ts';

export type FlagGroup = 'Source' | 'Listeners' | 'Routing' | 'Limits and timeouts' | 'Kubernetes mode' | 'Logging and shutdown' | 'Metrics and tracing';

export interface FlagSpec {
  name: string;
  type: 'string' | 'boolean';
  /** May be given more than once (values also split on commas where `commaList`). */
  multiple?: boolean;
  commaList?: boolean;
  /** One-letter alias ('f' for -f), as kubectl's. */
  short?: string;
  /** Placeholder in --help, e.g. 'PORT'. */
  value?: string;
  group: FlagGroup;
  /** Shown in --help as "(default ...)"; absent when there is none. */
  defaultText?: string;
  help: string;
  /** Subcommands that accept the flag. */
  commands: readonly Command[];
}

const BOTH: readonly Command[] = ['serve', 'demo'];
const SERVE: readonly Command[] = ['serve'];
const CHECK: readonly Command[] = ['check'];
const ROUTING: readonly Command[] = ['serve', 'demo', 'check'];
const KUBE: readonly Command[] = ['serve', 'check'];

export const FLAGS: readonly FlagSpec[] = [
  { name: 'manifests', type: 'string', multiple: true, value: 'PATH', group: 'Source', commands: SERVE,
    help: 'Read objects from this file or folder (*.yaml, *.yml, *.json, recursively; multi-document YAML) and watch it. Repeatable. Without it, Gatehouse reads the Kubernetes API.' },
  { name: 'file', short: 'f', type: 'string', multiple: true, value: 'PATH', group: 'Source', commands: CHECK,
    help: 'Check the objects in this file or folder (read as --manifests reads them). Repeatable. Without it, check reads the Kubernetes API once (one LIST per kind, no watch, no writes).' },
  { name: 'output', short: 'o', type: 'string', value: 'table|json', group: 'Source', defaultText: 'table', commands: CHECK,
    help: 'Report format: an aligned table for people, or JSON for tools (its shape is in docs/check.md).' },
  { name: 'ingress-class', type: 'string', multiple: true, commaList: true, value: 'NAME', group: 'Routing', defaultText: 'none', commands: CHECK,
    help: 'Check the Ingresses of this class as if the class were Gatehouse\'s (e.g. nginx, the class being switched over). Repeatable. Without it, Ingresses of other controllers are listed as skipped.' },

  { name: 'bind', type: 'string', value: 'ADDR', group: 'Listeners', defaultText: '0.0.0.0; demo: 127.0.0.1', commands: BOTH,
    help: 'Address the HTTP and HTTPS listeners bind to.' },
  { name: 'http-port', type: 'string', value: 'PORT', group: 'Listeners', defaultText: '8080', commands: BOTH,
    help: 'HTTP listener port; 0 picks a free port (the startup log line "listening" gives the bound ports).' },
  { name: 'https-port', type: 'string', value: 'PORT', group: 'Listeners', defaultText: '8443', commands: BOTH,
    help: 'HTTPS listener port; 0 picks a free port.' },
  { name: 'admin-bind', type: 'string', value: 'ADDR', group: 'Listeners', defaultText: 'the --bind address', commands: BOTH,
    help: 'Address of the admin listener (/healthz, /readyz, /metrics, /debug/*), which has no authentication. In a pod it must be reachable on the pod IP for the kubelet\'s probes; never expose it through a Service.' },
  { name: 'admin-port', type: 'string', value: 'PORT', group: 'Listeners', defaultText: '9090', commands: BOTH,
    help: 'Admin listener port; 0 picks a free port.' },
  { name: 'max-connections', type: 'string', value: 'N', group: 'Listeners', defaultText: 'no cap', commands: BOTH,
    help: 'Concurrent client connections per listener; excess connections are closed at once. The admin listener is not counted.' },
  // tlsedge: the PROXY protocol front door (src/dataplane/front/).
  { name: 'proxy-protocol', type: 'boolean', group: 'Listeners', defaultText: 'false', commands: BOTH,
    help: 'Every connection to the HTTP and HTTPS listeners starts with a PROXY protocol v1 or v2 header (AWS NLB, HAProxy send-proxy); the client address is taken from it. A connection without a valid header within 5 s is closed.' },
  { name: 'workers', type: 'string', value: 'N', group: 'Listeners', defaultText: 'the CPUs available (os.availableParallelism(), capped by the cgroup CPU quota)', commands: BOTH,
    help: 'Data-plane worker threads serving the same ports (SO_REUSEPORT); one control plane watches, builds and hands every worker the route table. 1 serves everything in one thread.' },
  { name: 'listen-sockets', type: 'string', value: 'N', group: 'Listeners', defaultText: '128 on Linux, 1 elsewhere', commands: BOTH,
    help: 'Listening sockets per traffic port, sharing it (SO_REUSEPORT); with --workers N each worker binds N-th of them (rounded up). Node accepts one connection per socket and event-loop turn: with one socket a busy data plane leaves a burst of new connections waiting in the kernel\'s queue for seconds. 1: one plain socket.' },
  { name: 'trusted-proxies', type: 'string', multiple: true, commaList: true, value: 'CIDR,...', group: 'Listeners', defaultText: 'none', commands: BOTH,
    help: 'Peers whose X-Forwarded-*/X-Real-IP headers are appended to instead of replaced (for a load balancer in front). Repeatable.' },

  { name: 'controller-name', type: 'string', value: 'NAME', group: 'Routing', defaultText: 'gatehouse.dev/ingress-controller', commands: ROUTING,
    help: 'The spec.controller value of the IngressClasses that are ours.' },
  { name: 'watch-ingress-without-class', type: 'boolean', group: 'Routing', defaultText: 'true with --manifests (check: -f), false with the Kubernetes API', commands: ROUTING,
    help: 'Also serve Ingresses that name no class (and no default IngressClass of ours exists). --no-watch-ingress-without-class turns it off.' },
  { name: 'allow-cross-namespace-secrets', type: 'boolean', group: 'Routing', defaultText: 'false', commands: ROUTING,
    help: 'Let annotations (auth-secret) name a Secret in another namespace than the Ingress ("namespace/name"). Off, such an Ingress is refused (503).' },
  { name: 'snippets', type: 'string', value: 'subset|refuse', group: 'Routing', defaultText: 'subset', commands: ROUTING,
    help: 'How ingress-nginx configuration-snippet and server-snippet are read: subset = the header and return directives of docs/annotations.md become typed settings, anything else refuses its Ingress (503); refuse = every snippet refuses its Ingress.' },
  // tlsedge: SSL passthrough (core/collect-passthrough.ts, dataplane/front/).
  { name: 'enable-ssl-passthrough', type: 'boolean', group: 'Routing', defaultText: 'false', commands: ROUTING,
    help: 'Serve the ssl-passthrough annotation: TLS connections for its hosts are piped unchanged to the backend of the host\'s / path. Off, an Ingress that asks for passthrough is refused (503), never served terminated.' },
  { name: 'default-backend', type: 'string', value: 'NAMESPACE/SERVICE:PORT', group: 'Routing', defaultText: 'none (404)', commands: ROUTING,
    help: 'Controller-wide default backend for requests that match no rule and no Ingress default backend, and the error backend of custom-http-errors for Ingresses without a default-backend annotation. PORT is a number or a port name.' },
  { name: 'session-affinity-key-file', type: 'string', value: 'PATH', group: 'Routing', defaultText: 'a random key per process', commands: BOTH,
    help: 'File holding the key (at least 16 bytes) of the session-affinity cookie HMAC. Give every replica the same key (a mounted Secret) so a cookie issued by one replica pins the client on all of them.' },
  { name: 'default-tls-secret', type: 'string', value: 'NAMESPACE/NAME', group: 'Routing', defaultText: 'a self-signed certificate made at start', commands: BOTH,
    help: 'kubernetes.io/tls Secret served to TLS clients that send no or an unknown server name.' },

  { name: 'connect-timeout', type: 'string', value: 'DURATION', group: 'Limits and timeouts', defaultText: '5s', commands: BOTH,
    help: 'Connecting to an endpoint (504 when it fires). Per-Ingress override: gatehouse.dev/connect-timeout.' },
  { name: 'read-timeout', type: 'string', value: 'DURATION', group: 'Limits and timeouts', defaultText: '60s', commands: BOTH,
    help: 'Waiting for the response head, and between response body bytes. Per-Ingress override: gatehouse.dev/read-timeout.' },
  { name: 'send-timeout', type: 'string', value: 'DURATION', group: 'Limits and timeouts', defaultText: '60s', commands: BOTH,
    help: 'Between request body bytes sent to the endpoint. Per-Ingress override: gatehouse.dev/send-timeout.' },
  { name: 'client-send-timeout', type: 'string', value: 'DURATION', group: 'Limits and timeouts', defaultText: '60s', commands: BOTH,
    help: 'A client that accepts no response bytes for this long is closed (HTTP/1) or its stream reset (HTTP/2), and its upstream request aborted (nginx send_timeout).' },
  { name: 'upstream-queue-size', type: 'string', value: 'N', group: 'Limits and timeouts', defaultText: '256', commands: BOTH,
    help: 'Requests that may wait per endpoint when all its connections are busy; beyond, 503 with Retry-After at once.' },
  { name: 'upstream-queue-timeout', type: 'string', value: 'DURATION', group: 'Limits and timeouts', defaultText: '10s', commands: BOTH,
    help: 'Longest wait for a free upstream connection; then 503 with Retry-After.' },
  { name: 'max-body-size', type: 'string', value: 'SIZE', group: 'Limits and timeouts', defaultText: 'no limit', commands: BOTH,
    help: 'Largest request body (413 beyond). Per-Ingress override: gatehouse.dev/max-body-size.' },
  { name: 'limit-status-code', type: 'string', value: 'CODE', group: 'Limits and timeouts', defaultText: '503', commands: BOTH,
    help: 'Status of a request refused by limit-rps, limit-rpm or limit-connections (400 to 599; 429 is the common choice). 503 is ingress-nginx\'s default.' },
  { name: 'header-timeout', type: 'string', value: 'DURATION', group: 'Limits and timeouts', defaultText: '10s', commands: BOTH,
    help: 'Time a client has to send a complete request head (slow clients are cut off).' },
  { name: 'request-timeout', type: 'string', value: 'DURATION', group: 'Limits and timeouts', defaultText: '5m', commands: BOTH,
    help: 'Time a client has to send a complete request, body included.' },
  { name: 'keepalive-timeout', type: 'string', value: 'DURATION', group: 'Limits and timeouts', defaultText: '60s', commands: BOTH,
    help: 'How long an idle client keep-alive connection is kept open.' },
  { name: 'max-header-size', type: 'string', value: 'SIZE', group: 'Limits and timeouts', defaultText: '16k', commands: BOTH,
    help: 'Largest request head in bytes (431 beyond).' },

  { name: 'kubeconfig', type: 'string', value: 'PATH', group: 'Kubernetes mode', defaultText: '$KUBECONFIG, in-cluster, then ~/.kube/config', commands: KUBE,
    help: 'Kubeconfig file to use.' },
  { name: 'context', type: 'string', value: 'NAME', group: 'Kubernetes mode', defaultText: 'the current context', commands: KUBE,
    help: 'Kubeconfig context to use.' },
  { name: 'watch-namespace', type: 'string', multiple: true, commaList: true, value: 'NAMESPACE', group: 'Kubernetes mode', defaultText: 'all namespaces', commands: SERVE,
    help: 'Only watch this namespace. Repeatable.' },
  { name: 'publish-service', type: 'string', value: 'NAMESPACE/NAME', group: 'Kubernetes mode', commands: SERVE,
    help: "Publish this Service's load-balancer address (else its external IPs) in the status of admitted Ingresses." },
  { name: 'publish-address', type: 'string', multiple: true, commaList: true, value: 'IP|HOSTNAME', group: 'Kubernetes mode', commands: SERVE,
    help: 'Publish this address in the status of admitted Ingresses (wins over --publish-service). Repeatable.' },
  { name: 'leader-elect', type: 'boolean', group: 'Kubernetes mode', defaultText: 'true', commands: SERVE,
    help: 'Only the replica holding the Lease writes Ingress status and Events; every replica serves traffic. --no-leader-elect turns it off.' },
  { name: 'leader-election-namespace', type: 'string', value: 'NAMESPACE', group: 'Kubernetes mode', defaultText: "the pod's namespace", commands: SERVE,
    help: 'Namespace of the leader-election Lease.' },
  { name: 'leader-election-id', type: 'string', value: 'NAME', group: 'Kubernetes mode', defaultText: 'gatehouse-leader', commands: SERVE,
    help: 'Name of the leader-election Lease.' },

  { name: 'log-level', type: 'string', value: 'LEVEL', group: 'Logging and shutdown', defaultText: 'info', commands: BOTH,
    help: 'debug, info, warn or error (the access log has its own switch, --access-log).' },
  { name: 'log-format', type: 'string', value: 'json|text', group: 'Logging and shutdown', defaultText: 'text when stdout is a terminal, json otherwise', commands: BOTH,
    help: 'json: one JSON object per line, for log collectors. text: time, level, message, then key=value, for people.' },
  { name: 'access-log', type: 'string', value: 'on|off', group: 'Logging and shutdown', defaultText: 'on', commands: BOTH,
    help: 'One line per request (and per connection refused before a request was read).' },
  { name: 'access-log-format', type: 'string', value: 'json|combined', group: 'Logging and shutdown', defaultText: 'json with --log-format json, combined with text', commands: BOTH,
    help: "json: the request's fields as one JSON object. combined: nginx's combined format, for the tools that read it." },
  { name: 'access-log-file', type: 'string', value: 'PATH', group: 'Logging and shutdown', defaultText: 'stdout', commands: BOTH,
    help: 'Append access-log lines to this file instead of stdout. Written in batches off the event loop; when the disk cannot keep up, lines are dropped and counted rather than held in memory without bound.' },
  { name: 'drain-seconds', type: 'string', value: 'N', group: 'Logging and shutdown', defaultText: '15', commands: BOTH,
    help: 'On SIGTERM/SIGINT: /readyz turns 503, listeners stop accepting, and in-flight requests get this long to finish.' },

  { name: 'metrics', type: 'boolean', group: 'Metrics and tracing', defaultText: 'true', commands: BOTH,
    help: 'Per-request metrics (series by Ingress, host, Service, method and status on /metrics) and the live per-route statistics of /debug/traffic. --no-metrics turns both off; process and controller metrics stay.' },
  { name: 'otlp-endpoint', type: 'string', value: 'URL', group: 'Metrics and tracing', defaultText: 'off', commands: BOTH,
    help: 'Export a server span per request over OTLP/HTTP to this collector (http:// or https://; /v1/traces is appended to a URL without a path). W3C trace context is propagated either way.' },
];

export const FLAG_GROUPS: readonly FlagGroup[] = ['Source', 'Listeners', 'Routing', 'Limits and timeouts', 'Kubernetes mode', 'Logging and shutdown', 'Metrics and tracing'];

export function flagsFor(command: Command): FlagSpec[] {
  return FLAGS.filter((f) => f.commands.includes(command));
}
