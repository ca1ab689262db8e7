/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any --
   tests read JSON bodies whose shape is what they assert */
// A complete, isolated stack per test file: unique database/role names, RabbitMQ names and Redis
// keys (a random prefix), ephemeral ports, services as real processes started with the SDK's one
// line, telemetry exported to an in-test OTLP receiver. Everything is removed in stop().
import { connect } from 'node:net';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import {
  bootstrapDatabases,
  bootstrapTopology,
  dropDatabases,
  dropTopology,
} from '../../src/platform/bootstrap/index.js';
import {
  SERVICES,
  launchService,
  serviceEnvironment,
  waitUntilReady,
  type ServiceName,
  type ServiceProcess,
  type StackSettings,
} from '../../src/platform/bootstrap/launch.js';
import { OtlpReceiver } from './otlp-receiver.js';
import { TcpProxy } from './tcp-proxy.js';

export const PG_ADMIN_URL =
  process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const ADMIN_TOKEN = randomBytes(24).toString('base64url');

const HOW_TO_START =
  'start the local backends with `bash .ci/services.sh` (PostgreSQL 5432, Redis 6379, RabbitMQ 5672)';

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    s.setTimeout(1500);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

export async function requireBackends(): Promise<void> {
  for (const [name, url] of [
    ['PostgreSQL', PG_ADMIN_URL],
    ['RabbitMQ', AMQP_URL],
    ['Redis', REDIS_URL],
  ] as const) {
    const u = new URL(url);
    const port = Number(u.port || { 'postgres:': 5432, 'amqp:': 5672, 'redis:': 6379 }[u.protocol]);
    if (!(await reachable(u.hostname, port)))
      throw new Error(`${name} is not reachable at ${u.hostname}:${port}: ${HOW_TO_START}`);
  }
}

// The OS may hand a closed port out again: a stack that got the same port twice had one service
// answer the other's readiness check. Never return a port twice in one test run.
const handedOut = new Set<number>();

export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const port = (srv.address() as { port: number }).port;
        srv.close(() => resolve(port));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface TestUser {
  id: string;
  email: string;
  token: string;
}

export interface StackOptions {
  /** Per-service environment overrides. */
  overrides?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Put a TCP proxy between orders and RabbitMQ so the test can cut it. */
  proxyOrdersBroker?: boolean;
}

export class TestStack {
  readonly prefix = `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}_`;
  readonly receiver = new OtlpReceiver();
  readonly logs = new Map<string, string[]>();
  readonly processes = new Map<ServiceName, ServiceProcess>();
  brokerProxy: TcpProxy | undefined;
  settings!: StackSettings;
  private readonly pools = new Map<string, pg.Pool>();
  private readonly extra: ServiceProcess[] = [];

  private constructor(private readonly options: StackOptions) {}

  static async start(options: StackOptions = {}): Promise<TestStack> {
    await requireBackends();
    const stack = new TestStack(options);
    try {
      await stack.boot();
    } catch (err) {
      await stack.stop();
      throw err;
    }
    return stack;
  }

  get gateway(): string {
    return this.url('gateway');
  }

  url(service: ServiceName): string {
    return `http://127.0.0.1:${this.settings.ports[service]}`;
  }

  private async boot(): Promise<void> {
    await this.receiver.start();
    const databaseUrls = await bootstrapDatabases({ adminUrl: PG_ADMIN_URL, prefix: this.prefix });
    await bootstrapTopology(AMQP_URL, this.prefix);
    const ports = {} as Record<ServiceName, number>;
    const metricsPorts = {} as StackSettings['metricsPorts'];
    for (const s of SERVICES) {
      ports[s] = await freePort();
      metricsPorts[s] = await freePort();
    }
    metricsPorts.loadgen = await freePort();
    const overrides = { ...(this.options.overrides ?? {}) };
    if (this.options.proxyOrdersBroker) {
      const target = new URL(AMQP_URL);
      this.brokerProxy = new TcpProxy(target.hostname, Number(target.port || 5672));
      await this.brokerProxy.start();
      const proxied = new URL(AMQP_URL);
      proxied.hostname = '127.0.0.1';
      proxied.port = String(this.brokerProxy.port);
      overrides.orders = { AMQP_URL: proxied.toString(), ...(overrides.orders ?? {}) };
    }
    this.settings = {
      ports,
      metricsPorts,
      databaseUrls,
      amqpUrl: AMQP_URL,
      amqpPrefix: this.prefix,
      redisUrl: REDIS_URL,
      rateLimitKeyPrefix: `${this.prefix}rl:`,
      jwtSecret: randomBytes(24).toString('hex'),
      internalToken: randomBytes(24).toString('hex'),
      adminToken: ADMIN_TOKEN,
      common: {
        OTEL_EXPORTER_OTLP_ENDPOINT: this.receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${this.receiver.url}/v1/logs`,
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
        DEPLOYMENT_ENVIRONMENT: 'test',
        UPSTREAM_TIMEOUT_MS: '2500',
        BREAKER_THRESHOLD: '3',
        BREAKER_HALF_OPEN_MS: '1000',
        SAGA_LEASE_MS: '2000',
        SAGA_RECOVERY_INTERVAL_MS: '300',
        OUTBOX_POLL_MS: '200',
        RATE_LIMIT_MAX: '100000',
        SHUTDOWN_TIMEOUT_MS: '5000',
      },
      overrides,
    };
    for (const s of SERVICES) this.launch(s);
    await Promise.all(SERVICES.map((s) => this.ready(s)));
  }

  private launch(service: ServiceName, env: Record<string, string> = {}): ServiceProcess {
    const lines = this.logs.get(service) ?? [];
    this.logs.set(service, lines);
    const proc = launchService(
      service,
      { ...serviceEnvironment(service, this.settings), ...env },
      {
        onLine: (line) => {
          lines.push(line);
          if (lines.length > 2000) lines.shift();
        },
      },
    );
    this.processes.set(service, proc);
    return proc;
  }

  /** Waits for /readyz; on failure the error carries the service's last output lines. */
  private async ready(service: ServiceName): Promise<void> {
    try {
      await waitUntilReady(`${this.url(service)}/readyz`, this.processes.get(service), 60_000);
    } catch (err) {
      throw new Error(`${service}: ${(err as Error).message}\n${this.tail(service, 15)}`, {
        cause: err,
      });
    }
  }

  async startService(service: ServiceName): Promise<void> {
    this.launch(service);
    await this.ready(service);
  }

  async stopService(service: ServiceName): Promise<void> {
    await this.processes.get(service)?.stop();
  }

  async killService(service: ServiceName): Promise<void> {
    await this.processes.get(service)?.kill();
  }

  /** An additional process with this stack's environment plus overrides (e.g. a second gateway). */
  async launchExtra(
    service: ServiceName,
    env: Record<string, string>,
  ): Promise<{ url: string; process: ServiceProcess }> {
    const port = await freePort();
    const proc = launchService(service, {
      ...serviceEnvironment(service, this.settings),
      PORT: String(port),
      OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
      ...env,
    });
    this.extra.push(proc);
    await waitUntilReady(`http://127.0.0.1:${port}/readyz`, proc);
    return { url: `http://127.0.0.1:${port}`, process: proc };
  }

  /** Superuser access to a service's database, for assertions and test setup. */
  db(service: Exclude<ServiceName, 'gateway'>): pg.Pool {
    let pool = this.pools.get(service);
    if (!pool) {
      const u = new URL(PG_ADMIN_URL);
      u.pathname = `/${this.prefix}${service}`;
      pool = new pg.Pool({ connectionString: u.toString(), max: 2 });
      this.pools.set(service, pool);
    }
    return pool;
  }

  async api<T = any>(
    method: string,
    path: string,
    options: {
      token?: string;
      body?: unknown;
      raw?: string;
      headers?: Record<string, string>;
      base?: string;
    } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.raw;
    if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(`${options.base ?? this.gateway}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // leave as text
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  async register(name = 'Test User'): Promise<TestUser> {
    const email = `${randomBytes(6).toString('hex')}@example.test`;
    const created = await this.api('POST', '/api/v1/users', {
      body: { email, password: 'correct horse battery', name },
    });
    if (created.status !== 202)
      throw new Error(`register failed: ${created.status} ${JSON.stringify(created.body)}`);
    const login = await this.api('POST', '/api/v1/auth/login', {
      body: { email, password: 'correct horse battery' },
    });
    if (login.status !== 200)
      throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
    return { id: login.body.user.id as string, email, token: login.body.token as string };
  }

  async waitFor<T>(
    what: string,
    probe: () => Promise<T | undefined | false>,
    timeoutMs = 20_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        const v = await probe();
        if (v !== undefined && v !== false) return v;
      } catch (err) {
        last = err;
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(
      `timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
    );
  }

  async waitForOrderStatus(
    user: TestUser,
    orderId: string,
    statuses: string[],
    timeoutMs = 20_000,
  ): Promise<any> {
    return this.waitFor(
      `order ${orderId} in ${statuses.join('/')}`,
      async () => {
        const res = await this.api('GET', `/api/v1/orders/${orderId}`, { token: user.token });
        return res.status === 200 && statuses.includes(res.body.status) ? res.body : undefined;
      },
      timeoutMs,
    );
  }

  async setFaults(faults: { errorRate?: number; latencyMs?: number }): Promise<void> {
    const res = await this.api('PUT', '/admin/faults', {
      base: this.url('payments'),
      body: faults,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    if (res.status !== 200) throw new Error(`setting faults failed: ${res.status}`);
  }

  /** A sample from a service's Prometheus endpoint (served by the SDK); undefined if absent. */
  async metric(
    service: ServiceName,
    name: string,
    labels: Record<string, string> = {},
  ): Promise<number | undefined> {
    const res = await fetch(`http://127.0.0.1:${this.settings.metricsPorts[service]}/metrics`);
    const text = await res.text();
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
        return Number(line.split(' ')[1]);
    }
    return undefined;
  }

  /** Lines a service printed, for failure messages. */
  tail(service: ServiceName, n = 30): string {
    return (this.logs.get(service) ?? []).slice(-n).join('\n');
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.processes.values(), ...this.extra].map((p) => p.stop(5000)));
    await Promise.allSettled([...this.pools.values()].map((p) => p.end()));
    await this.brokerProxy?.stop();
    await this.receiver.stop();
    await dropTopology(AMQP_URL, this.prefix).catch(() => undefined);
    await dropDatabases({ adminUrl: PG_ADMIN_URL, prefix: this.prefix }).catch(() => undefined);
    const redis = new Redis(REDIS_URL, { lazyConnect: true });
    try {
      await redis.connect();
      const keys = await redis.keys(`${this.prefix}*`);
      if (keys.length) await redis.del(...keys);
    } catch {
      // nothing to clean if Redis is gone
    } finally {
      redis.disconnect();
    }
  }
}
