import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from './options';

/**
 * Resource attributes shared by traces and logs, computed once here so both signals carry
 * exactly the same identity (Loki and Jaeger are joined on them).
 */
export function resourceAttributes(config: Config): Record<string, string | number | boolean> {
  return {
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
}
