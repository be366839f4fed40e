// Metrics read at scrape time from state that lives elsewhere: passive-health ejections and
// affinity hits per backend (the data plane's traffic state), and the expiry of every certificate
// the route table serves.
import type { TrafficSnapshot } from '../dataplane/proxy/traffic-state.ts';
import type { MetricsRegistry, Sample } from './metrics.ts';

export interface CertificateExpiry {
  /** 'ns/secret'. */
  id: string;
  /** ISO 8601, or undefined when unknown. */
  notAfter: string | undefined;
}

export function registerBackendMetrics(registry: MetricsRegistry, backends: () => TrafficSnapshot['backends']): void {
  let snapshot: TrafficSnapshot['backends'] = [];
  registry.onCollect(() => {
    snapshot = backends();
  });
  registry.collected({
    type: 'counter',
    name: 'gatehouse_endpoint_ejections_total',
    help: 'Endpoints ejected by passive health checks, by the Service (ns/name:port) whose requests failed on them.',
    labelNames: ['service'],
    samples: (): Sample[] => snapshot.map((b) => ({ labels: [b.backend], value: b.ejections })),
  });
  registry.collected({
    type: 'counter',
    name: 'gatehouse_affinity_hits_total',
    help: 'Requests whose session-affinity cookie pinned them to an endpoint that could still take them, by Service (ns/name:port).',
    labelNames: ['service'],
    samples: (): Sample[] => snapshot.map((b) => ({ labels: [b.backend], value: b.affinityHits })),
  });
}

export function registerCertificateMetrics(registry: MetricsRegistry, certificates: () => readonly CertificateExpiry[]): void {
  registry.collected({
    type: 'gauge',
    name: 'gatehouse_certificate_expiry_timestamp_seconds',
    help: 'When each certificate served from a Secret expires (notAfter, Unix time in seconds), by the Secret\'s namespace and name.',
    labelNames: ['namespace', 'secret'],
    samples: (): Sample[] => {
      const out: Sample[] = [];
      for (const c of certificates()) {
        const at = c.notAfter === undefined ? NaN : Date.parse(c.notAfter);
        const slash = c.id.indexOf('/');
        if (Number.isNaN(at) || slash <= 0) continue;
        out.push({ labels: [c.id.slice(0, slash), c.id.slice(slash + 1)], value: Math.floor(at / 1000) });
      }
      return out;
    },
  });
}
