// Prometheus metrics for /metrics: command latency, device status, WebSocket clients, process defaults.
import { Registry, Histogram, Gauge, collectDefaultMetrics } from 'prom-client';
import type { FastifyInstance } from 'fastify';

export class Metrics {
  readonly registry = new Registry();
  readonly commandSeconds = new Histogram({
    name: 'diemcau_command_duration_seconds',
    help: 'Time from a command entering the registry to its result',
    labelNames: ['command', 'outcome'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly deviceStatus = new Gauge({
    name: 'diemcau_device_up',
    help: '1 when the device is online, 0.5 degraded, 0 otherwise',
    labelNames: ['device', 'driver'],
    registers: [this.registry],
  });
  readonly wsClients = new Gauge({ name: 'diemcau_ws_clients', help: 'Open WebSocket clients', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'diemcau_' });
  }
}

export function metricsRoute(app: FastifyInstance, metrics: Metrics): void {
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
