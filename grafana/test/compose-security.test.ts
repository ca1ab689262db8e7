// Compose's security, checked without a Docker engine: every container hardened (read-only root,
// no capabilities, no-new-privileges, a non-root user, CPU/pids/memory limits; each exception
// named with its reason where it is made), credentials only as files generated into the secrets
// volume (never in the file or the environment), and only the intended ports published.
import { describe, expect, it } from 'vitest';

import { services as demoServices } from '../src/services.js';
import { commentAt, compose, services } from './support/compose.js';

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
