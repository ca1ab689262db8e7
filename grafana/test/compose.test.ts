// Compose is checked without a Docker engine: dclint (the compose schema plus its rules), then
// what dclint cannot know: that every file, directory and entry point it names exists, that
// every container has a health check, limits and log rotation, that ports stay on 127.0.0.1,
// that dependencies wait for health, and that `docker compose up` needs no flags. Hardening and
// credentials: compose-security.test.ts.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { services as demoServices } from '../src/services.js';
import { compose, composePath, composeText, services } from './support/compose.js';
import { repoDir } from './support/paths.js';

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
