// Fixed by the contract: the demo services, as the compose tests expect them. The dashboards
// name none of them: they list whatever `service_name` Prometheus has (test/service-variable.test.ts).
export const services = [
  'gateway',
  'users',
  'orders',
  'payments',
  'inventory',
  'shipping',
] as const;
export type ServiceName = (typeof services)[number];

export const datasourceUids = { prometheus: 'prometheus', jaeger: 'jaeger', loki: 'loki' } as const;

export const dashboardUids = {
  overview: 'o11y-overview',
  service: 'o11y-service',
  runtime: 'o11y-runtime',
  resilience: 'o11y-resilience',
  slo: 'o11y-slo',
} as const;
