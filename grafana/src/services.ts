// Fixed by the contract: the demo services and their order on the overview dashboard.
export const services = [
  'gateway',
  'users',
  'orders',
  'payments',
  'inventory',
  'shipping',
] as const;
export type ServiceName = (typeof services)[number];

/** Processes that run the SDK but serve no HTTP (only the runtime dashboard shows them). */
export const workers = ['loadgen'] as const;

export const datasourceUids = { prometheus: 'prometheus', jaeger: 'jaeger', loki: 'loki' } as const;

export const dashboardUids = {
  overview: 'o11y-overview',
  service: 'o11y-service',
  runtime: 'o11y-runtime',
  resilience: 'o11y-resilience',
  slo: 'o11y-slo',
} as const;
