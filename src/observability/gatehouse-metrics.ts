// The metrics Gatehouse exports, created once per process and passed to whoever updates them.

import { createMetricsRegistry, type Counter, type Gauge, type MetricsRegistry } from './metrics.ts';

export interface GatehouseMetrics {
  registry: MetricsRegistry;
  builds: Counter;
  buildErrors: Counter;
  lastBuildSeconds: Gauge;
  lastAppliedTimestamp: Gauge;
  /** Current diagnostics (builder and sources) by code and severity. */
  diagnostics: Gauge;
  ready: Gauge;
  virtualHosts: Gauge;
  routes: Gauge;
  backends: Gauge;
  objects: Gauge;
  connections: Gauge;
  inFlightRequests: Gauge;
  ejectedEndpoints: Gauge;
}

export function createGatehouseMetrics(registry: MetricsRegistry = createMetricsRegistry()): GatehouseMetrics {
  return {
    registry,
    builds: registry.counter({ name: 'gatehouse_builds_total', help: 'Route table builds run.' }),
    buildErrors: registry.counter({ name: 'gatehouse_build_errors_total', help: 'Route table builds that threw; the last good table kept serving.' }),
    lastBuildSeconds: registry.gauge({ name: 'gatehouse_last_build_duration_seconds', help: 'Duration of the last route table build.' }),
    lastAppliedTimestamp: registry.gauge({ name: 'gatehouse_config_last_applied_timestamp_seconds', help: 'When the data plane last received a new route table (Unix time).' }),
    diagnostics: registry.gauge({ name: 'gatehouse_diagnostics', help: 'Current diagnostics by code and severity.', labelNames: ['code', 'severity'] }),
    ready: registry.gauge({ name: 'gatehouse_ready', help: '1 when /readyz answers 200.' }),
    virtualHosts: registry.gauge({ name: 'gatehouse_virtual_hosts', help: 'Virtual hosts in the active route table.' }),
    routes: registry.gauge({ name: 'gatehouse_routes', help: 'Routes in the active route table.' }),
    backends: registry.gauge({ name: 'gatehouse_backends', help: 'Backends in the active route table.' }),
    objects: registry.gauge({ name: 'gatehouse_objects', help: 'Objects held in the store, by kind.', labelNames: ['kind'] }),
    connections: registry.gauge({ name: 'gatehouse_client_connections', help: 'Open client connections on the traffic listeners.' }),
    inFlightRequests: registry.gauge({ name: 'gatehouse_requests_in_flight', help: 'Client requests being handled.' }),
    ejectedEndpoints: registry.gauge({ name: 'gatehouse_endpoints_ejected', help: 'Endpoints currently ejected by passive health checks.' }),
  };
}
