// Starting the services as real processes, each with the SDK's one line
// (`node --import @o11y/sdk/register dist/<service>/main.js`). Shared by `npm run demo` and the tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const SERVICES = [
  'users',
  'inventory',
  'payments',
  'orders',
  'shipping',
  'gateway',
] as const;
export type ServiceName = (typeof SERVICES)[number];

export const DEFAULT_PORTS: Record<ServiceName, number> = {
  gateway: 8080,
  users: 8081,
  orders: 8082,
  payments: 8083,
  inventory: 8084,
  shipping: 8085,
};
export const DEFAULT_METRICS_PORTS: Record<ServiceName | 'loadgen', number> = {
  gateway: 9464,
  users: 9465,
  orders: 9466,
  payments: 9467,
  inventory: 9468,
  shipping: 9469,
  loadgen: 9470,
};

export interface StackSettings {
  host?: string;
  ports: Record<ServiceName, number>;
  metricsPorts: Record<ServiceName | 'loadgen', number>;
  databaseUrls: Record<Exclude<ServiceName, 'gateway'>, string>;
  amqpUrl: string;
  amqpPrefix: string;
  redisUrl: string;
  rateLimitKeyPrefix: string;
  jwtSecret: string;
  /** The credential of the /internal endpoints (orders calls them; payments and inventory serve them). */
  internalToken: string;
  adminToken: string;
  /** Added to every service's environment (OTEL_*, timeouts...). */
  common?: Record<string, string>;
  /** Per-service overrides, applied last. */
  overrides?: Partial<Record<ServiceName, Record<string, string>>>;
}

/** The environment a service process gets in a given stack. */
export function serviceEnvironment(service: ServiceName, s: StackSettings): Record<string, string> {
  const host = s.host ?? '127.0.0.1';
  const urlOf = (name: ServiceName) => `http://${host}:${s.ports[name]}`;
  const env: Record<string, string> = {
    OTEL_SERVICE_NAME: service,
    OTEL_EXPORTER_PROMETHEUS_PORT: String(s.metricsPorts[service]),
    PORT: String(s.ports[service]),
    HOST: host,
    JWT_SECRET: s.jwtSecret,
    ...(s.common ?? {}),
  };
  if (service !== 'gateway') env.DATABASE_URL = s.databaseUrls[service];
  if (service === 'orders' || service === 'shipping') {
    env.AMQP_URL = s.amqpUrl;
    env.AMQP_PREFIX = s.amqpPrefix;
  }
  if (service === 'orders' || service === 'payments' || service === 'inventory')
    env.INTERNAL_TOKEN = s.internalToken;
  if (service === 'orders') {
    env.INVENTORY_URL = urlOf('inventory');
    env.PAYMENTS_URL = urlOf('payments');
  }
  if (service === 'payments') env.ADMIN_TOKEN = s.adminToken;
  if (service === 'gateway') {
    for (const name of SERVICES)
      if (name !== 'gateway') env[`${name.toUpperCase()}_URL`] = urlOf(name);
    env.REDIS_URL = s.redisUrl;
    env.RATE_LIMIT_KEY_PREFIX = s.rateLimitKeyPrefix;
  }
  return { ...env, ...(s.overrides?.[service] ?? {}) };
}

/** demo-services/dist, whether this module runs from src (tests) or from dist. */
export const distDirectory = (): string =>
  fileURLToPath(new URL('../../../dist/', import.meta.url));

export interface LaunchOptions {
  /** The services' build to run (default: this package's dist/). */
  dist?: string;
  /** Receives every output line (stdout and stderr). */
  onLine?: (line: string) => void;
  cwd?: string;
  /** Own process group: a terminal's Ctrl-C reaches only the parent, which stops children in order. */
  detached?: boolean;
}

export class ServiceProcess {
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(
    readonly name: string,
    entry: string,
    env: Record<string, string>,
    options: LaunchOptions = {},
  ) {
    this.child = spawn(process.execPath, ['--import', '@o11y/sdk/register', entry], {
      cwd: options.cwd ?? join(distDirectory(), '..'),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.detached ?? false,
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let buffered = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        buffered += chunk;
        let i: number;
        while ((i = buffered.indexOf('\n')) >= 0) {
          options.onLine?.(buffered.slice(0, i));
          buffered = buffered.slice(i + 1);
        }
      });
    }
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Graceful stop (SIGTERM), then SIGKILL after the grace period. */
  async stop(graceMs = 10_000): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** Simulates a crash. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

export function launchService(
  service: ServiceName | 'loadgen',
  env: Record<string, string>,
  options: LaunchOptions = {},
): ServiceProcess {
  const dist = options.dist ?? distDirectory();
  // from the build's package directory, so `--import @o11y/sdk/register` finds that build's SDK
  return new ServiceProcess(service, join(dist, service, 'main.js'), env, {
    cwd: join(dist, '..'),
    ...options,
  });
}

/** Polls a URL until it answers 200 (or the process exits, or the deadline passes). */
export async function waitUntilReady(
  url: string,
  proc: ServiceProcess | undefined,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (proc && !proc.running)
      throw new Error(`${proc.name} exited before becoming ready (${url})`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      const text = await res.text();
      // Ready only when it is this service that answers: another process on the same port
      // (a port handed out twice) must not pass for it.
      const service = (JSON.parse(text || '{}') as { service?: string }).service;
      if (res.status === 200 && (proc === undefined || service === proc.name)) return;
      last = `${res.status} ${text}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms: ${last}`);
}
