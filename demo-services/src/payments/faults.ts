// Fault injection for demos and tests: an error rate and added latency on the payment provider
// call, set from the environment and changeable at runtime through the admin API.
import { z } from 'zod';
import { metrics } from '../platform/telemetry/index.js';

export const Faults = z.object({
  errorRate: z.number().min(0).max(1),
  latencyMs: z.number().int().min(0).max(60_000),
});
export const FaultsUpdate = Faults.partial();
export type Faults = z.infer<typeof Faults>;

const errorRateGauge = metrics.gauge({
  name: 'payments_fault_error_rate',
  help: 'Injected payment error rate (0..1)',
});
const latencyGauge = metrics.gauge({
  name: 'payments_fault_latency_seconds',
  help: 'Injected payment latency in seconds',
});

export class FaultInjector {
  private current: Faults;

  constructor(initial: Faults) {
    this.current = initial;
    this.publish();
  }

  get(): Faults {
    return { ...this.current };
  }

  update(change: Partial<Faults>): Faults {
    this.current = { ...this.current, ...change };
    this.publish();
    return this.get();
  }

  async delay(): Promise<void> {
    if (this.current.latencyMs > 0) await new Promise((r) => setTimeout(r, this.current.latencyMs));
  }

  shouldFail(): boolean {
    return this.current.errorRate > 0 && Math.random() < this.current.errorRate;
  }

  private publish(): void {
    errorRateGauge.set({}, this.current.errorRate);
    latencyGauge.set({}, this.current.latencyMs / 1000);
  }
}
