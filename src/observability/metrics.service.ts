import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';

/** mysql2's pool keeps its connection lists in these (undocumented) fields. */
interface Mysql2PoolInternals {
  _allConnections?: { length: number };
  _freeConnections?: { length: number };
  _connectionQueue?: { length: number };
}

/**
 * Prometheus metrics (GET /metrics). Labels are route patterns, grant types and outcome
 * names: never raw paths, client ids or token values, so cardinality stays bounded.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'tokenvakt_http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'tokenvakt_http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly tokensIssued = new Counter({
    name: 'tokenvakt_tokens_issued_total',
    help: 'Tokens issued by grant type and token type',
    labelNames: ['grant_type', 'token_type'] as const,
    registers: [this.registry],
  });

  readonly revocations = new Counter({
    name: 'tokenvakt_revocations_total',
    help: 'Token revocations by cause',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });

  readonly authenticationFailures = new Counter({
    name: 'tokenvakt_authentication_failures_total',
    help: 'Failed client and user authentications by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  constructor(dataSource: DataSource) {
    collectDefaultMetrics({ register: this.registry, prefix: 'tokenvakt_' });
    new Gauge({
      name: 'tokenvakt_db_pool_connections',
      help: 'Database pool connections by state (MySQL/MariaDB; SQLite has one connection)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const driver = dataSource.driver as { pool?: Mysql2PoolInternals };
        const pool = driver.pool;
        if (!pool?._allConnections) {
          this.set({ state: 'total' }, dataSource.isInitialized ? 1 : 0);
          return;
        }
        const total = pool._allConnections.length;
        const idle = pool._freeConnections?.length ?? 0;
        this.set({ state: 'total' }, total);
        this.set({ state: 'idle' }, idle);
        this.set({ state: 'in_use' }, total - idle);
        this.set({ state: 'waiting' }, pool._connectionQueue?.length ?? 0);
      },
    });
  }
}
