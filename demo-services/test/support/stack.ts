/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any --
   tests read JSON bodies whose shape is what they assert */
// A complete, isolated stack per test file: unique database/role names, RabbitMQ names and Redis
// keys (a random prefix), ephemeral ports, services as real processes started with the SDK's one
// line, telemetry exported to an in-test OTLP receiver. Everything is removed in stop().
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
import { AMQP_URL, PG_ADMIN_URL, REDIS_URL, freePort, requireBackends } from './backends.js';
import { call, waitFor, type ApiOptions, type ApiResponse } from './http.js';
import type { TcpProxy } from './tcp-proxy.js';
import { LINKS, proxyLink, type LinkName } from './links.js';

export { AMQP_URL, freePort, type ApiResponse };
export const ADMIN_TOKEN = randomBytes(24).toString('base64url');
/** Another build of the services to run the same tests against (e.g. an older one, to compare). */
const TEST_DIST = process.env.DEMO_SERVICES_DIST;

export interface TestUser {
  id: string;
  email: string;
  token: string;
}

export interface StackOptions {
  /** Added to every service's environment, after the stack's own settings. */
  env?: Record<string, string>;
  /** Per-service environment overrides. */
  overrides?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Links to put a TCP proxy on, so the test can break them (`stack.links.get(name)`). */
  links?: LinkName[];
  /** Another PostgreSQL server (superuser URL) and Redis than the machine's, e.g. private ones. */
  pgAdminUrl?: string;
  redisUrl?: string;
}

export interface Crash {
  service: string;
  code: number | null;
  output: string;
}

export class TestStack {
  readonly prefix = `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}_`;
  readonly receiver = new OtlpReceiver();
  readonly logs = new Map<string, string[]>();
  readonly processes = new Map<ServiceName, ServiceProcess>();
  readonly links = new Map<LinkName, TcpProxy>();
  /** Every process that exited without being told to (stopService/killService/stop). */
  readonly crashes: Crash[] = [];
  settings!: StackSettings;
  private readonly pools = new Map<string, pg.Pool>();
  private readonly extra: ServiceProcess[] = [];
  private readonly expectedExits = new Set<ServiceProcess>();

  private constructor(private readonly options: StackOptions) {}

  get pgAdminUrl(): string {
    return this.options.pgAdminUrl ?? PG_ADMIN_URL;
  }

  /** The proxy between orders and RabbitMQ, when the stack has one. */
  get brokerProxy(): TcpProxy | undefined {
    return this.links.get('orders->broker');
  }

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
    const databaseUrls = await bootstrapDatabases({
      adminUrl: this.pgAdminUrl,
      prefix: this.prefix,
    });
    await bootstrapTopology(AMQP_URL, this.prefix);
    const ports = {} as Record<ServiceName, number>;
    const metricsPorts = {} as StackSettings['metricsPorts'];
    for (const s of SERVICES) {
      ports[s] = await freePort();
      metricsPorts[s] = await freePort();
    }
    metricsPorts.loadgen = await freePort();
    const overrides = { ...(this.options.overrides ?? {}) };
    this.settings = {
      ports,
      metricsPorts,
      databaseUrls,
      amqpUrl: AMQP_URL,
      amqpPrefix: this.prefix,
      redisUrl: this.options.redisUrl ?? REDIS_URL,
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
        ...(this.options.env ?? {}),
      },
      overrides,
    };
    for (const name of this.options.links ?? []) {
      const { service, variable } = LINKS[name];
      const direct = serviceEnvironment(service, this.settings)[variable]!;
      const { proxy, url } = await proxyLink(direct);
      this.links.set(name, proxy);
      overrides[service] = { ...(overrides[service] ?? {}), [variable]: url };
    }
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
        dist: TEST_DIST,
        onLine: (line) => {
          lines.push(line);
          if (lines.length > 2000) lines.shift();
        },
      },
    );
    this.processes.set(service, proc);
    this.watch(service, proc);
    return proc;
  }

  private watch(service: string, proc: ServiceProcess): void {
    void proc.exited.then((code) => {
      if (!this.expectedExits.has(proc))
        this.crashes.push({ service, code, output: this.tail(service as ServiceName, 20) });
    });
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

  async stopService(service: ServiceName): Promise<number | null | undefined> {
    const proc = this.processes.get(service);
    if (proc) this.expectedExits.add(proc);
    return proc?.stop();
  }

  async killService(service: ServiceName): Promise<void> {
    const proc = this.processes.get(service);
    if (proc) this.expectedExits.add(proc);
    await proc?.kill();
  }

  /** An additional process with this stack's environment plus overrides (e.g. a second gateway). */
  async launchExtra(
    service: ServiceName,
    env: Record<string, string>,
  ): Promise<{ url: string; process: ServiceProcess }> {
    const port = await freePort();
    const proc = launchService(
      service,
      {
        ...serviceEnvironment(service, this.settings),
        PORT: String(port),
        OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
        ...env,
      },
      { dist: TEST_DIST },
    );
    this.extra.push(proc);
    this.watch(`${service} (extra)`, proc);
    await waitUntilReady(`http://127.0.0.1:${port}/readyz`, proc);
    return { url: `http://127.0.0.1:${port}`, process: proc };
  }

  /** Superuser access to a service's database, for assertions and test setup. */
  db(service: Exclude<ServiceName, 'gateway'>): pg.Pool {
    let pool = this.pools.get(service);
    if (!pool) {
      const u = new URL(this.pgAdminUrl);
      u.pathname = `/${this.prefix}${service}`;
      pool = new pg.Pool({ connectionString: u.toString(), max: 2 });
      // a test may restart the database under this pool: a lost idle connection is not a failure
      pool.on('error', () => undefined);
      this.pools.set(service, pool);
    }
    return pool;
  }

  api<T = any>(method: string, path: string, options: ApiOptions = {}): Promise<ApiResponse<T>> {
    return call<T>(options.base ?? this.gateway, method, path, options);
  }

  async register(name = 'Test User'): Promise<TestUser> {
    const email = `${randomBytes(6).toString('hex')}@example.test`;
    const created = await this.api('POST', '/api/v1/users', {
      body: { email, password: 'correct horse battery', name },
    });
    // 201 with the user from builds before registration stopped telling who has an account
    if (created.status !== 202 && created.status !== 201)
      throw new Error(`register failed: ${created.status} ${JSON.stringify(created.body)}`);
    const login = await this.api('POST', '/api/v1/auth/login', {
      body: { email, password: 'correct horse battery' },
    });
    if (login.status !== 200)
      throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
    const id = (login.body.user?.id ?? created.body.id) as string;
    return { id, email, token: login.body.token as string };
  }

  waitFor<T>(
    what: string,
    probe: () => Promise<T | undefined | false>,
    timeoutMs = 20_000,
  ): Promise<T> {
    return waitFor(what, probe, timeoutMs);
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

  /** Stops an extra process (launchExtra) on purpose. */
  async stopExtra(proc: ServiceProcess): Promise<number | null> {
    this.expectedExits.add(proc);
    return proc.stop();
  }

  async stop(): Promise<void> {
    const all = [...this.processes.values(), ...this.extra];
    for (const p of all) this.expectedExits.add(p);
    await Promise.allSettled(all.map((p) => p.stop(5000)));
    await Promise.allSettled([...this.pools.values()].map((p) => p.end()));
    for (const proxy of this.links.values()) await proxy.stop();
    await this.receiver.stop();
    await dropTopology(AMQP_URL, this.prefix).catch(() => undefined);
    await dropDatabases({ adminUrl: this.pgAdminUrl, prefix: this.prefix }).catch(() => undefined);
    const redis = new Redis(this.settings?.redisUrl ?? REDIS_URL, { lazyConnect: true });
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
