// The links between a stack's services and their dependencies that a test can break: each one is
// a TCP proxy the service is configured to reach its dependency through.
import type { ServiceName } from '../../src/platform/bootstrap/launch.js';
import { TcpProxy } from './tcp-proxy.js';

export const LINKS = {
  'orders->payments': { service: 'orders', variable: 'PAYMENTS_URL' },
  'orders->inventory': { service: 'orders', variable: 'INVENTORY_URL' },
  'orders->broker': { service: 'orders', variable: 'AMQP_URL' },
  'shipping->broker': { service: 'shipping', variable: 'AMQP_URL' },
  'shipping->database': { service: 'shipping', variable: 'DATABASE_URL' },
} as const satisfies Record<string, { service: ServiceName; variable: string }>;

export type LinkName = keyof typeof LINKS;

/**
 * Starts a proxy in front of `target` (the URL the service would use) and returns it with the URL
 * that goes through it instead.
 */
export async function proxyLink(target: string): Promise<{ proxy: TcpProxy; url: string }> {
  const u = new URL(target);
  const defaults: Record<string, number> = { 'amqp:': 5672, 'postgres:': 5432, 'http:': 80 };
  const proxy = new TcpProxy(u.hostname, Number(u.port || defaults[u.protocol]));
  await proxy.start();
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  // new URL() adds a trailing slash to http origins; keep the value as the service expects it
  return { proxy, url: u.protocol === 'http:' ? u.origin : u.toString() };
}
