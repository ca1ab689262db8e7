import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { defaultResource } from '@opentelemetry/resources';
import type { Config } from './options';

/**
 * Resource attributes shared by traces, logs and pushed metrics, computed once here so every
 * signal carries exactly the same identity (Loki, Jaeger and Prometheus are joined on them).
 * The `telemetry.sdk.*` attributes are the ones the trace provider's default resource adds, so
 * the log worker and the metrics push, which do not go through it, carry them too. A version or
 * environment nobody set is absent, never made up.
 */
export function resourceAttributes(config: Config): Record<string, string | number | boolean> {
  const attributes: Record<string, string | number | boolean | undefined> = {
    ...(defaultResource().attributes as Record<string, string | number | boolean>),
    'host.name': hostname(),
    'process.pid': process.pid,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
    'service.instance.id': randomUUID(),
    ...config.resourceAttributes,
    'service.name': config.serviceName,
    'service.version': config.serviceVersion,
    'deployment.environment.name': config.deploymentEnvironment,
  };
  const out: Record<string, string | number | boolean> = {};
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined && key !== '') out[key] = value;
  }
  return out;
}
