// The validated configuration: built once at start from the command line, then read-only.
// Every field has its final value (defaults applied); nothing downstream re-parses text.

import type { AccessLogFormat } from '../dataplane/http/access-log.ts';
import type { LogFormat, LogLevel } from '../observability/logger.ts';

export type Command = 'serve' | 'demo' | 'check';

/** Where the cluster state comes from: files (`--manifests`) or the Kubernetes API. */
export type SourceMode = 'manifests' | 'kubernetes';

export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

export interface BackendRef {
  namespace: string;
  service: string;
  port: number | string;
}

export interface Config {
  command: Command;
  mode: SourceMode;
  /** Absolute paths of files or folders (manifest mode). */
  manifests: string[];
  bind: string;
  httpPort: number;
  httpsPort: number;
  adminBind: string;
  adminPort: number;
  controllerName: string;
  watchIngressWithoutClass: boolean;
  /** --allow-cross-namespace-secrets: annotations may name Secrets in other namespaces. */
  allowCrossNamespaceSecrets: boolean;
  /** --snippets: configuration-snippet and server-snippet read through the safe subset, or refused. */
  snippets: 'subset' | 'refuse';
  defaultBackend?: BackendRef;
  /** --proxy-protocol (set only when on): connections start with a PROXY protocol header. */
  proxyProtocol?: true;
  /** --enable-ssl-passthrough (set only when on). */
  enableSslPassthrough?: true;
  defaultTlsSecret?: { namespace: string; name: string };
  /** Key of the affinity cookie HMAC, read from --session-affinity-key-file (shared by replicas). */
  sessionAffinityKey?: Buffer;
  drainSeconds: number;
  /** Data-plane worker threads (--workers); 1 runs everything in one thread. */
  workers: number;
  /** Listening sockets per traffic port and data-plane thread (--listen-sockets; dataplane/front/listen-sockets.ts). */
  listenSockets: number;
  logLevel: LogLevel;
  logFormat: LogFormat;
  accessLog: {
    enabled: boolean;
    format: AccessLogFormat;
    /** Absolute path; absent: stdout. */
    file?: string;
  };
  trustedProxies: Cidr[];
  /** Per-request metrics and live route statistics (--no-metrics turns them off). */
  metrics: boolean;
  /** OTLP/HTTP traces endpoint (full URL, /v1/traces included), when span export is on. */
  otlpEndpoint?: string;
  limits: {
    maxConnections?: number;
    maxHeaderSize: number;
    headerTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
    /** A client that accepts no response bytes this long is cut off (nginx send_timeout). */
    clientSendTimeoutMs: number;
    maxBodySize?: number;
    /** The answer to a request over limit-rps/-rpm/-connections (--limit-status-code); 503 when unset. */
    limitStatusCode?: number;
  };
  /** The wait queue per endpoint in front of its connection pool (Envoy's max_pending_requests). */
  upstreamQueue: {
    size: number;
    timeoutMs: number;
  };
  timeouts: {
    connectTimeoutMs: number;
    readTimeoutMs: number;
    sendTimeoutMs: number;
  };
  /** `gatehouse check` only (docs/check.md). */
  check?: {
    output: 'table' | 'json';
    /** --ingress-class: classes checked as if they were Gatehouse's (the classes being switched over). */
    ingressClasses: string[];
  };
  kube: {
    kubeconfig?: string;
    context?: string;
    watchNamespaces: string[];
    /** 'NAMESPACE/NAME' */
    publishService?: string;
    publishAddresses: string[];
    leaderElect: boolean;
    leaderElectionNamespace?: string;
    leaderElectionId: string;
  };
}
