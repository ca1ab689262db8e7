// Compose is checked without a Docker engine: dclint (the compose schema plus its rules), then
// what dclint cannot know: that every file, directory and entry point it names exists, that
// every container has a health check, limits and log rotation, that it is hardened (read-only
// root, no capabilities, no-new-privileges, a non-root user, each exception named with its
// reason), that credentials come from the generated secrets volume and never from the
// environment, that only the intended ports are published on 127.0.0.1, that dependencies wait
// for health, and that `docker compose up` needs no flags.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMap, isNode, isScalar, isSeq, parse, parseDocument } from 'yaml';

import { services as demoServices } from '../src/services.js';
import { repoDir } from './support/paths.js';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  command?: string[];
  entrypoint?: string[];
  healthcheck?: { test: string[] };
  logging?: { driver: string; options?: Record<string, string> };
  deploy?: {
    resources?: { limits?: { memory?: string; cpus?: string | number; pids?: number } };
  };
  restart?: string;
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
  cap_add?: string[];
  security_opt?: string[];
  tmpfs?: string[];
  privileged?: boolean;
}

interface Compose {
  name?: string;
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

const composePath = join(repoDir, 'docker-compose.yml');
const composeText = readFileSync(composePath, 'utf8');
const compose = parse(composeText, { merge: true }) as Compose;
const services = Object.entries(compose.services);
const composeDoc = parseDocument(composeText, { merge: true });

const versions = Object.fromEntries(
  readFileSync(join(repoDir, 'observability', 'versions.env'), 'utf8')
    .split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => l.split('=', 2) as [string, string]),
);

// Fixed by the contract.
const metricsPorts: Record<string, number> = {
  gateway: 9464,
  users: 9465,
  orders: 9466,
  payments: 9467,
  inventory: 9468,
  shipping: 9469,
  loadgen: 9470,
};
const httpPorts: Record<string, number> = {
  gateway: 8080,
  users: 8081,
  orders: 8082,
  payments: 8083,
  inventory: 8084,
  shipping: 8085,
};

// Services that run once and exit: whatever needs them waits for their success.
const oneShots = ['bootstrap', 'secrets'];

// What the one-shot `secrets` service generates into the `secrets` volume, only when missing,
// mode 0444 (the contract with demo-services/src: `node dist/main.js secrets`).
const databaseServices = demoServices.filter((s) => s !== 'gateway');
const secretFiles = [
  'jwt-secret',
  'internal-token',
  'admin-token',
  'postgres-password',
  'rabbitmq-password',
  'amqp-url',
  'rabbitmq-credentials.conf',
  ...databaseServices.map((s) => `${s}-database-url`),
];

// The only host ports: the demo's entry point, the observability UIs, and what apps run on the
// host send to (each reason is written at the port in the compose file).
const publishedPorts: Record<string, number[]> = {
  gateway: [8080],
  grafana: [3000],
  jaeger: [4317, 4318, 16686],
  loki: [3100],
  prometheus: [9090],
  rabbitmq: [15672],
};

// The user each image runs as when compose names none, from its Dockerfile at the pinned
// version (look again when versions.env moves one to a new major). The postgres, rabbitmq and
// redis images start as root: they are absent, so compose must name a user for them.
const nonRootImageUsers: Record<string, string> = {
  'grafana/grafana': '472: USER "$GF_UID" (grafana/grafana Dockerfile)',
  'grafana/loki': '10001: USER 10001 (grafana/loki cmd/loki/Dockerfile)',
  'jaegertracing/jaeger': '10001: USER ${USER_UID} (jaegertracing/jaeger cmd/jaeger/Dockerfile)',
  'prom/prometheus': 'nobody: USER nobody (prometheus/prometheus Dockerfile)',
};

// The exceptions to a read-only root filesystem: where an image must write, and what writes.
const tmpfsReasons: Record<string, Record<string, string>> = {
  grafana: { '/tmp': 'plugin archives downloaded at startup, SQLite temporary files' },
  loki: { '/tmp': "the compactor's retention marker files (os.TempDir)" },
  postgres: { '/var/run/postgresql': 'the Unix socket and its lock file' },
  redis: { '/data': "the working directory, the image's VOLUME (nothing is saved there)" },
};

// Capabilities given back after cap_drop [ALL]. None: every image runs as its own non-root user
// from the start, so no entrypoint has anything to chown or a user to step down to.
const capabilitiesAdded: Record<string, string[]> = {};

// The only secret-looking variables allowed in an `environment`, with the only value each may have.
const secretVariablesAllowed: Record<string, Record<string, string>> = {
  // An optional override from the user's shell, empty by default (grafana/entrypoint.sh then
  // generates a password into Grafana's data volume): never a value written in the file.
  grafana: { GRAFANA_ADMIN_PASSWORD: '${GRAFANA_ADMIN_PASSWORD:-}' },
};

const mountTarget = (volume: string): string => volume.split(':')[1] ?? '';
const tmpfsTarget = (tmpfs: string): string => tmpfs.split(':')[0] ?? '';

/** The comment written right above `key` in a service (or above the first item of its list). */
function commentAt(service: string, key: string): string {
  const services = composeDoc.get('services');
  const svc = isMap(services) ? services.get(service) : undefined;
  if (!isMap(svc)) return '';
  const pair = svc.items.find((p) => isScalar(p.key) && p.key.value === key);
  if (!pair || !isScalar(pair.key)) return '';
  const list = isSeq(pair.value) ? pair.value : undefined;
  const first: unknown = list?.items[0];
  return (
    pair.key.commentBefore ??
    list?.commentBefore ??
    (isNode(first) ? first.commentBefore : undefined) ??
    ''
  ).trim();
}

describe('docker-compose.yml', () => {
  it('passes dclint (compose schema and every default rule, warnings included)', () => {
    const bin = join(repoDir, 'node_modules', 'dclint', 'bin', 'dclint.cjs');
    let out: string;
    try {
      out = execFileSync(process.execPath, [bin, composePath, '-f', 'json'], {
        cwd: repoDir,
        encoding: 'utf8',
      });
    } catch (err) {
      out = (err as { stdout?: string }).stdout ?? String(err);
    }
    const [report] = JSON.parse(out) as {
      messages: { rule: string; message: string; line: number }[];
    }[];
    expect(report?.messages.map((m) => `${m.line}: ${m.rule}: ${m.message}`)).toEqual([]);
  });

  it('runs every backend, the backing services, the six services and the load generator', () => {
    const expected = [
      'jaeger',
      'prometheus',
      'loki',
      'grafana',
      'postgres',
      'rabbitmq',
      'redis',
      ...demoServices,
      'loadgen',
    ];
    for (const name of expected) expect(compose.services[name], name).toBeDefined();
  });

  it('interpolates only variables that the root .env (versions.env) defines or that have a default', () => {
    const rootEnv = join(repoDir, '.env');
    expect(statSync(rootEnv).isFile()).toBe(true);
    expect(readFileSync(rootEnv, 'utf8')).toBe(
      readFileSync(join(repoDir, 'observability', 'versions.env'), 'utf8'),
    );
    const withoutDefault = [...composeText.matchAll(/(?<!\$)\$\{([A-Z_][A-Z0-9_]*)\}/g)].map(
      (m) => m[1] ?? '',
    );
    for (const v of withoutDefault)
      expect(versions[v], `\${${v}} has no value in versions.env`).toBeDefined();
    expect(
      composeText,
      'a required variable would make plain `docker compose up` fail',
    ).not.toMatch(/\$\{[A-Z_]+:\?/);
  });

  it('pins images through versions.env only (no version written in the compose file)', () => {
    for (const [name, s] of services) {
      if (s.image === undefined) continue;
      expect(s.image, name).toMatch(/:[^:]*\$\{[A-Z_]+_VERSION\}/);
    }
  });

  it.each(services)(
    '%s has a health check, a memory limit, log rotation and a restart policy',
    (name, s) => {
      expect(s.healthcheck?.test.length, `${name} health check`).toBeGreaterThan(0);
      expect(s.deploy?.resources?.limits?.memory, `${name} memory limit`).toMatch(/^\d+[mg]$/);
      expect(s.logging?.driver).toBe('json-file');
      expect(s.logging?.options?.['max-size']).toBeTruthy();
      expect(s.logging?.options?.['max-file']).toBeTruthy();
      expect(s.restart, name).toBeDefined();
    },
  );

  it('publishes ports on 127.0.0.1 only', () => {
    for (const [name, s] of services)
      for (const p of s.ports ?? []) expect(p, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });

  it('makes every dependency wait for health (or for a one-shot to succeed)', () => {
    for (const [name, s] of services) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        const target = compose.services[dep];
        expect(target, `${name} depends on unknown ${dep}`).toBeDefined();
        if (oneShots.includes(dep)) {
          expect(condition, `${name} -> ${dep}`).toBe('service_completed_successfully');
          expect(target?.restart, `${dep} runs once`).toBe('no');
        } else {
          expect(condition, `${name} -> ${dep}`).toBe('service_healthy');
          expect(target?.healthcheck, `${dep} needs a health check`).toBeDefined();
        }
      }
    }
  });

  it('uses named volumes for data, declared at the top level, and bind-mounts only files that exist', () => {
    for (const [name, s] of services) {
      for (const v of s.volumes ?? []) {
        const [source = ''] = v.split(':');
        if (source.startsWith('.')) {
          expect(existsSync(join(repoDir, source)), `${name}: ${source} does not exist`).toBe(true);
          expect(v, `${name}: config mounts are read-only`).toMatch(/:ro$/);
        } else {
          expect(compose.volumes, `${name}: volume ${source}`).toHaveProperty(source);
        }
      }
    }
  });

  it('mounts the observability configs and Grafana provisioning from the repository', () => {
    const mounts = services.flatMap(([, s]) => s.volumes ?? []).map((v) => v.split(':')[0]);
    for (const path of [
      './observability/prometheus/prometheus.yml',
      './observability/prometheus/rules',
      './observability/loki/loki.yml',
      './observability/jaeger/jaeger.yml',
      './grafana/provisioning',
      './grafana/dashboards',
    ]) {
      expect(mounts).toContain(path);
    }
  });

  it('builds the demo image from the repository root with the one Dockerfile', () => {
    for (const name of [...demoServices, 'loadgen', ...oneShots]) {
      const b = compose.services[name]?.build;
      expect(b?.context, name).toBe('.');
      expect(b?.dockerfile).toBe('demo-services/Dockerfile');
      expect(b?.args?.NODE_VERSION).toBe('${NODE_VERSION}');
    }
    expect(existsSync(join(repoDir, 'demo-services', 'Dockerfile'))).toBe(true);
  });

  it.each([...demoServices, 'loadgen'])('%s: entry point exists, env per contract', (name) => {
    const s = compose.services[name];
    const entry = s?.command?.find((c) => c.endsWith('.js')) ?? '';
    expect(entry).toBe(`demo-services/dist/${name}/main.js`);
    const source = join(repoDir, 'demo-services', 'src', name, 'main.ts');
    expect(existsSync(source), `${source} (compiled to ${entry}) does not exist yet`).toBe(true);
    const env = s?.environment ?? {};
    expect(env.OTEL_SERVICE_NAME).toBe(name);
    expect(env.OTEL_EXPORTER_PROMETHEUS_PORT).toBe(String(metricsPorts[name]));
    expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://jaeger:4318');
    expect(env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT).toBe('http://loki:3100/otlp/v1/logs');
    const port = httpPorts[name];
    if (port !== undefined) {
      expect(env.PORT).toBe(String(port));
      expect(JSON.stringify(s?.healthcheck?.test)).toContain(`127.0.0.1:${port}/readyz`);
    }
    // The health check must not start a second SDK in the container.
    expect(JSON.stringify(s?.healthcheck?.test)).toContain('NODE_OPTIONS= ');
  });

  it("bootstraps with the demo services' own bootstrap entry", () => {
    const command = compose.services.bootstrap?.command ?? [];
    expect(command.slice(-2)).toEqual(['/app/demo-services/dist/main.js', 'bootstrap']);
    expect(existsSync(join(repoDir, 'demo-services', 'src', 'main.ts'))).toBe(true);
    expect(
      readFileSync(join(repoDir, 'demo-services', 'src', 'main.ts'), 'utf8'),
      'main.ts dispatches "bootstrap"',
    ).toMatch(/bootstrap/);
    expect(compose.services.bootstrap?.environment?.PG_ADMIN_URL).toMatch(/^postgres:\/\//);
  });

  it("generates the credentials with the demo services' own secrets entry", () => {
    const s = compose.services.secrets;
    expect(s?.command).toEqual(['node', 'demo-services/dist/main.js', 'secrets']);
    expect(s?.environment?.SECRETS_DIR).toBe('/secrets');
    // The SDK has nothing to observe in a one-shot that writes files.
    expect(s?.environment?.NODE_OPTIONS).toBe('');
    expect(
      readFileSync(join(repoDir, 'demo-services', 'src', 'main.ts'), 'utf8'),
      'main.ts dispatches "secrets"',
    ).toMatch(/\bsecrets\b/);
  });

  it('has every compose service Prometheus scrapes at the port it exposes', () => {
    const prom = parse(
      readFileSync(join(repoDir, 'observability', 'prometheus', 'prometheus.yml'), 'utf8'),
    ) as {
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    const targets = prom.scrape_configs.flatMap((c) =>
      c.static_configs.flatMap((sc) => sc.targets),
    );
    for (const t of targets) {
      const [host = ''] = t.split(':');
      expect(compose.services[host], `prometheus.yml scrapes ${t}`).toBeDefined();
    }
    for (const [name, port] of Object.entries(metricsPorts))
      expect(targets).toContain(`${name}:${port}`);
  });

  it('gives Grafana an admin password with no built-in default, and anonymous read-only access', () => {
    const g = compose.services.grafana;
    const env = g?.environment ?? {};
    expect(
      env.GF_SECURITY_ADMIN_PASSWORD,
      'set by grafana/entrypoint.sh, never a literal',
    ).toBeUndefined();
    expect(env.GRAFANA_ADMIN_PASSWORD).toBe('${GRAFANA_ADMIN_PASSWORD:-}');
    expect(env.GF_AUTH_ANONYMOUS_ENABLED).toBe('true');
    expect(env.GF_AUTH_ANONYMOUS_ORG_ROLE).toBe('Viewer');
    expect(g?.entrypoint).toEqual(['/bin/sh', '/etc/grafana/entrypoint.sh']);
    const script = readFileSync(join(repoDir, 'grafana', 'entrypoint.sh'), 'utf8');
    expect(script).toContain('exec /run.sh');
    expect(script).toContain('/dev/urandom');
  });
});

describe('docker-compose.yml hardening', () => {
  it.each(services)('%s: read-only root filesystem, tmpfs only where it must write', (name, s) => {
    expect(s.read_only, name).toBe(true);
    const reasons = tmpfsReasons[name] ?? {};
    expect(
      (s.tmpfs ?? []).map(tmpfsTarget).sort(),
      `${name}: tmpfs mounts (a new one needs its reason in tmpfsReasons)`,
    ).toEqual(Object.keys(reasons).sort());
    if (s.tmpfs) {
      expect(commentAt(name, 'tmpfs'), `${name}: say what writes to its tmpfs`).not.toBe('');
      for (const t of s.tmpfs)
        expect(t, `${name}: a bounded tmpfs`).toMatch(/:(.+,)?size=\d+[kmg]\b/);
    }
  });

  it.each(services)(
    '%s: every capability dropped, none added back without a reason, no-new-privileges',
    (name, s) => {
      expect(s.cap_drop, name).toEqual(['ALL']);
      expect(s.cap_add ?? [], `${name}: capabilities added (say why in capabilitiesAdded)`).toEqual(
        capabilitiesAdded[name] ?? [],
      );
      if (s.cap_add) expect(commentAt(name, 'cap_add'), `${name}: say why`).not.toBe('');
      expect(s.security_opt, name).toContain('no-new-privileges:true');
      expect(s.privileged, name).toBeUndefined();
    },
  );

  it.each(services)('%s: runs as a non-root user', (name, s) => {
    if (s.user !== undefined) {
      expect(s.user, name).not.toMatch(/^(0|root)(:|$)/);
      expect(commentAt(name, 'user'), `${name}: say why it names a user`).not.toBe('');
    } else if (s.build) {
      // The demo image: its last USER is node (checked with the Dockerfile below).
      expect(s.build.dockerfile, name).toBe('demo-services/Dockerfile');
    } else {
      const repository = (s.image ?? '').split(':')[0] ?? '';
      expect(
        nonRootImageUsers[repository],
        `${name}: ${repository} is not known to run as non-root; name a user`,
      ).toBeDefined();
    }
  });

  it.each(services)('%s: CPU, process and memory limits', (name, s) => {
    const limits = s.deploy?.resources?.limits ?? {};
    expect(limits.memory, `${name} memory`).toMatch(/^\d+[mg]$/);
    // Docker refuses a container more CPUs than the host has: at most 1 starts on any machine.
    const cpus = Number(limits.cpus);
    expect(cpus > 0 && cpus <= 1, `${name} cpus ${String(limits.cpus)}`).toBe(true);
    expect(Number.isInteger(limits.pids) && Number(limits.pids) > 0, `${name} pids`).toBe(true);
  });

  it('publishes only the gateway, the observability UIs and OTLP for host apps, each with its reason', () => {
    const published = Object.fromEntries(
      services
        .filter(([, s]) => (s.ports ?? []).length > 0)
        .map(([name, s]) => [name, (s.ports ?? []).map((p) => Number(p.split(':')[1]))]),
    );
    expect(published).toEqual(publishedPorts);
    for (const name of Object.keys(publishedPorts))
      expect(commentAt(name, 'ports'), `${name}: say why its ports are published`).not.toBe('');
  });
});

describe('docker-compose.yml credentials', () => {
  const secretLooking = /PASSWORD|SECRET|TOKEN|CREDENTIAL/i;
  const urlWithPassword = /\/\/[^/@\s]*:[^/@\s]*@/;

  it.each(services)('%s: no credential in its environment or command', (name, s) => {
    for (const [key, value] of Object.entries(s.environment ?? {})) {
      expect(String(value), `${name}: ${key} is a URL with a password`).not.toMatch(
        urlWithPassword,
      );
      if (/_(FILE|DIR)$/.test(key) || !secretLooking.test(key)) continue;
      const allowed = secretVariablesAllowed[name]?.[key];
      expect(allowed, `${name}: ${key} in the environment; read it from a file (${key}_FILE)`).toBe(
        value,
      );
      expect(allowed, `${name}: ${key}`).toBeDefined();
    }
    expect(JSON.stringify(s.command ?? []), name).not.toMatch(urlWithPassword);
  });

  it('reads every *_FILE from a volume the service mounts, and /secrets files that exist', () => {
    const files = services.flatMap(([name, s]) =>
      Object.entries(s.environment ?? {})
        .filter(([key]) => key.endsWith('_FILE'))
        .map(([key, value]) => ({ name, key, value, targets: (s.volumes ?? []).map(mountTarget) })),
    );
    expect(files.length, 'credentials are read from files').toBeGreaterThan(0);
    for (const { name, key, value, targets } of files) {
      expect(
        targets.some((t) => value.startsWith(`${t}/`)),
        `${name}: ${key}=${value} is in none of its mounts (${targets.join(', ')})`,
      ).toBe(true);
      if (value.startsWith('/secrets/'))
        expect(
          secretFiles,
          `${name}: ${key} names a file the secrets service never writes`,
        ).toContain(value.slice('/secrets/'.length));
    }
  });

  it('mounts the secrets volume read-write in `secrets` only, elsewhere read-only where a file of it is read', () => {
    expect(compose.volumes).toHaveProperty('secrets');
    expect(compose.services.secrets?.volumes).toEqual(['secrets:/secrets']);
    for (const [name, s] of services) {
      if (name === 'secrets') continue;
      const mounts = (s.volumes ?? []).filter((v) => v.split(':')[0] === 'secrets');
      const reads = Object.entries(s.environment ?? {}).some(
        ([key, value]) =>
          /_(FILE|DIR)$/.test(key) && (value === '/secrets' || value.startsWith('/secrets/')),
      );
      expect(mounts, name).toEqual(reads ? ['secrets:/secrets:ro'] : []);
    }
  });

  it('wires each demo service to its credential files, per the contract', () => {
    for (const name of demoServices) {
      const s = compose.services[name];
      const env = s?.environment ?? {};
      expect(env.JWT_SECRET_FILE, name).toBe('/secrets/jwt-secret');
      expect(env.INTERNAL_TOKEN_FILE, name).toBe(
        ['orders', 'payments', 'inventory'].includes(name) ? '/secrets/internal-token' : undefined,
      );
      expect(env.DATABASE_URL_FILE, name).toBe(
        name === 'gateway' ? undefined : `/secrets/${name}-database-url`,
      );
      expect(env.AMQP_URL_FILE, name).toBe(
        ['orders', 'shipping'].includes(name) ? '/secrets/amqp-url' : undefined,
      );
      expect(env.ADMIN_TOKEN_FILE, name).toBe(
        name === 'payments' ? '/secrets/admin-token' : undefined,
      );
      expect(s?.depends_on?.secrets?.condition, name).toBe('service_completed_successfully');
    }
    expect(compose.services.loadgen?.volumes, 'loadgen reads no credential').toBeUndefined();
  });

  it('gives PostgreSQL, RabbitMQ (no guest user) and bootstrap their credentials from files', () => {
    const { bootstrap, postgres, rabbitmq } = compose.services;
    expect(postgres?.environment?.POSTGRES_PASSWORD_FILE).toBe('/secrets/postgres-password');
    // The default user comes from the generated file, so guest/guest never exists.
    expect(rabbitmq?.environment?.RABBITMQ_CONFIG_FILE).toBe('/secrets/rabbitmq-credentials.conf');
    expect(bootstrap?.environment).toMatchObject({
      SECRETS_DIR: '/secrets',
      PG_ADMIN_URL: 'postgres://postgres@postgres:5432/postgres',
      PG_ADMIN_PASSWORD_FILE: '/secrets/postgres-password',
      AMQP_URL_FILE: '/secrets/amqp-url',
    });
    for (const s of [bootstrap, postgres, rabbitmq])
      expect(s?.depends_on?.secrets?.condition).toBe('service_completed_successfully');
  });
});

describe('grafana/entrypoint.sh', () => {
  const run = (env: Record<string, string>, dataDir: string): string =>
    execFileSync(
      'sh',
      [
        '-c',
        `sed 's#^exec /run.sh#echo "$GF_SECURITY_ADMIN_PASSWORD"; exit 0; #' "$0" | sh`,
        join(repoDir, 'grafana', 'entrypoint.sh'),
      ],
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GF_PATHS_DATA: dataDir, ...env },
        encoding: 'utf8',
      },
    );

  it('generates a password once, keeps it, and prefers GRAFANA_ADMIN_PASSWORD', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'grafana-entrypoint-'));
    try {
      const first = run({}, dir).trim().split('\n');
      const password = first[first.length - 1] ?? '';
      expect(password).toMatch(/^[A-Za-z0-9]{32}$/);
      expect((statSync(join(dir, 'admin-password')).mode & 0o777).toString(8)).toBe('600');
      expect(run({}, dir).trim()).toBe(password);
      expect(run({ GRAFANA_ADMIN_PASSWORD: 'from-the-environment' }, dir).trim()).toBe(
        'from-the-environment',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('demo-services/Dockerfile and .dockerignore', () => {
  const dockerfile = readFileSync(join(repoDir, 'demo-services', 'Dockerfile'), 'utf8');
  const ignore = readFileSync(join(repoDir, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('is multi-stage on Node ${NODE_VERSION} slim, runs as a non-root user, with production dependencies only', () => {
    const froms = dockerfile.split('\n').filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f).toMatch(/^FROM node:\$\{NODE_VERSION\}-slim/);
    expect(dockerfile).toMatch(/^ARG NODE_VERSION$/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    const users = dockerfile.split('\n').filter((l) => l.startsWith('USER '));
    expect(users.at(-1)).toBe('USER node');
  });

  it("creates the secrets volume's mount point owned by node, before dropping to node", () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const mkdir = /^RUN install -d -o node -g node -m 0?755 \/secrets$/m.exec(runtime);
    expect(mkdir, 'RUN install -d -o node -g node -m 0755 /secrets').not.toBeNull();
    expect(mkdir?.index ?? Infinity).toBeLessThan(runtime.indexOf('\nUSER node'));
  });

  it('preloads the SDK with NODE_OPTIONS', () => {
    expect(dockerfile).toContain('NODE_OPTIONS="--import @o11y/sdk/register"');
  });

  it('copies only paths that exist and that .dockerignore lets through', () => {
    const sources = dockerfile
      .split('\n')
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
      .flatMap((l) =>
        l
          .replace(/^COPY\s+/, '')
          .split(/\s+/)
          .slice(0, -1),
      );
    expect(sources.length).toBeGreaterThan(0);
    for (const src of sources) {
      expect(existsSync(join(repoDir, src)), src).toBe(true);
      const top = src.split('/')[0] ?? '';
      const excluded =
        ignore.includes(src) ||
        ignore.includes(top) ||
        (ignore.includes(`${top}/*`) && !ignore.includes(`!${src}`));
      expect(excluded, `${src} is excluded by .dockerignore`).toBe(false);
    }
  });

  it('keeps node_modules, build output and git out of the build context', () => {
    for (const p of ['**/node_modules', '**/dist', '.git', '.cache']) expect(ignore).toContain(p);
  });
});
