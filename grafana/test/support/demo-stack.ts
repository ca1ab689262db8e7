// The six demo services as real processes (each with the SDK's one line), on ephemeral ports,
// with their own databases and broker names under a unique prefix, driven through the gateway.
// Uses the demo services' compiled launch and bootstrap modules, the same code `npm run demo`
// and their own tests use, so this starts them exactly the way they are meant to be started.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { freePort } from './processes.js';
import { repoDir } from './paths.js';

export const PG_ADMIN_URL =
  process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface ServiceProcess {
  stop(graceMs?: number): Promise<number | null>;
}

interface LaunchModule {
  SERVICES: readonly string[];
  launchService(
    service: string,
    env: Record<string, string>,
    options?: { onLine?: (line: string) => void },
  ): ServiceProcess;
  serviceEnvironment(service: string, settings: unknown): Record<string, string>;
  waitUntilReady(url: string, proc: ServiceProcess | undefined, timeoutMs?: number): Promise<void>;
}

interface BootstrapModule {
  bootstrapDatabases(o: { adminUrl: string; prefix?: string }): Promise<Record<string, string>>;
  dropDatabases(o: { adminUrl: string; prefix?: string }): Promise<void>;
  bootstrapTopology(amqpUrl: string, prefix: string): Promise<void>;
  dropTopology(amqpUrl: string, prefix: string): Promise<void>;
}

const distDir = join(repoDir, 'demo-services', 'dist', 'platform', 'bootstrap');

async function load<T>(file: string): Promise<T> {
  const path = join(distDir, file);
  if (!existsSync(path))
    throw new Error(`${path} is missing: build first (\`npm run build\`, which \`npm test\` runs)`);
  return (await import(pathToFileURL(path).href)) as T;
}

function reachable(url: string, defaultPort: number): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = connect(Number(u.port || defaultPort), u.hostname);
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

export class DemoStack {
  readonly prefix = `g${Date.now().toString(36)}${randomBytes(3).toString('hex')}_`;
  readonly ports: Record<string, number> = {};
  readonly metricsPorts: Record<string, number> = {};
  readonly logs = new Map<string, string[]>();
  services: readonly string[] = [];
  private readonly processes: ServiceProcess[] = [];
  private bootstrap: BootstrapModule | undefined;

  static async start(otlpUrl: string): Promise<DemoStack> {
    for (const [name, url, port] of [
      ['PostgreSQL', PG_ADMIN_URL, 5432],
      ['RabbitMQ', AMQP_URL, 5672],
      ['Redis', REDIS_URL, 6379],
    ] as const) {
      if (!(await reachable(url, port))) {
        throw new Error(
          `${name} is not reachable (${url}): start the local backends with \`bash .ci/services.sh\``,
        );
      }
    }
    const stack = new DemoStack();
    try {
      await stack.boot(otlpUrl);
    } catch (err) {
      await stack.stop();
      throw err;
    }
    return stack;
  }

  private async boot(otlpUrl: string): Promise<void> {
    const launch = await load<LaunchModule>('launch.js');
    this.bootstrap = await load<BootstrapModule>('index.js');
    this.services = launch.SERVICES;
    const databaseUrls = await this.bootstrap.bootstrapDatabases({
      adminUrl: PG_ADMIN_URL,
      prefix: this.prefix,
    });
    await this.bootstrap.bootstrapTopology(AMQP_URL, this.prefix);
    for (const s of this.services) {
      this.ports[s] = await freePort();
      this.metricsPorts[s] = await freePort();
    }
    this.metricsPorts.loadgen = await freePort();
    const settings = {
      ports: this.ports,
      metricsPorts: this.metricsPorts,
      databaseUrls,
      amqpUrl: AMQP_URL,
      amqpPrefix: this.prefix,
      redisUrl: REDIS_URL,
      rateLimitKeyPrefix: `${this.prefix}rl:`,
      jwtSecret: randomBytes(24).toString('hex'),
      internalToken: randomBytes(24).toString('hex'),
      adminToken: randomBytes(24).toString('hex'),
      common: {
        OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${otlpUrl}/v1/logs`,
        OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
        OUTBOX_POLL_MS: '200',
        SHUTDOWN_TIMEOUT_MS: '5000',
      },
    };
    const started = this.services.map((s) => {
      const lines: string[] = [];
      this.logs.set(s, lines);
      const proc = launch.launchService(s, launch.serviceEnvironment(s, settings), {
        onLine: (line) => {
          lines.push(line);
          if (lines.length > 200) lines.shift();
        },
      });
      this.processes.push(proc);
      return [s, proc] as const;
    });
    // Generous deadline: on a busy 2-core machine six SDK-instrumented processes start slowly.
    await Promise.all(
      started.map(([s, proc]) =>
        launch
          .waitUntilReady(`http://127.0.0.1:${this.ports[s]}/readyz`, proc, 90_000)
          .catch((err: unknown) => {
            throw new Error(`${String(err)}\nlast output of ${s}:\n${this.tail(s)}`);
          }),
      ),
    );
  }

  url(service: string): string {
    return `http://127.0.0.1:${this.ports[service]}`;
  }

  async api(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${this.url('gateway')}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    try {
      return {
        status: res.status,
        body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      };
    } catch {
      return { status: res.status, body: { text } };
    }
  }

  /** A little of everything: registration, login, an order through its saga, bad input, a 404. */
  async traffic(): Promise<void> {
    const email = `${randomBytes(6).toString('hex')}@example.test`;
    const password = 'correct horse battery';
    await this.api('POST', '/api/v1/users', { email, password, name: 'Scrape Test' });
    const login = await this.api('POST', '/api/v1/auth/login', { email, password });
    const token = typeof login.body.token === 'string' ? login.body.token : undefined;
    await this.api('GET', '/api/v1/products', undefined, token);
    await this.api(
      'POST',
      '/api/v1/orders',
      { items: [{ productId: 'sku-mug', quantity: 1 }] },
      token,
    );
    await this.api('POST', '/api/v1/orders', { items: 'not a list' }, token);
    await this.api('GET', '/no/such/path');
  }

  tail(service: string): string {
    return (this.logs.get(service) ?? []).slice(-20).join('\n');
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.processes.map((p) => p.stop(5000)));
    if (this.bootstrap) {
      await this.bootstrap.dropTopology(AMQP_URL, this.prefix).catch(() => undefined);
      await this.bootstrap
        .dropDatabases({ adminUrl: PG_ADMIN_URL, prefix: this.prefix })
        .catch(() => undefined);
    }
  }
}
