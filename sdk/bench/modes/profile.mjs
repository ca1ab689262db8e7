// Where the SDK variant spends its CPU: run it under --cpu-prof at saturation, then add up self
// time per package (node_modules/<name>), node internals, the app, GC and idle.
import { readdirSync, readFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { launch } from '../instance.mjs';

export function plannedSeconds(opts) {
  return 2 * (opts.warmup + opts.duration) + 5;
}

function owner(url) {
  if (!url) return null;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node (internals)';
  if (url.includes('/sdk/dist/')) return '@o11y/sdk';
  if (url.includes('/bench/apps/')) return 'app';
  return url;
}

export function summarizeProfile(file) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = prof.timeDeltas;
  for (let i = 0; i < prof.samples.length; i++)
    self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const pkgs = new Map();
  const fns = new Map();
  for (const [id, us] of self) {
    const { callFrame: cf } = byId.get(id);
    const pkg = owner(cf.url) ?? cf.functionName ?? '(unknown)';
    pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + us);
    const fn =
      `${cf.functionName || '(anonymous)'} ${cf.url ? `${cf.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/sdk\//, 'sdk/')}:${cf.lineNumber + 1}` : ''}`.trim();
    fns.set(fn, (fns.get(fn) ?? 0) + us);
  }
  const rank = (m) =>
    [...m]
      .map(([name, us]) => ({ name, share: (us / total) * 100 }))
      .sort((a, b) => b.share - a.share);
  return {
    file,
    totalMs: total / 1000,
    byPackage: rank(pkgs),
    topFunctions: rank(fns).slice(0, 30),
  };
}

export async function profileMode(ctx) {
  const { opts, progress } = ctx;
  const variant = opts.variants.includes('sdk')
    ? 'sdk'
    : (opts.variants.find((v) => v !== 'bare') ?? 'bare');
  const dir = path.join(
    opts.out,
    'profiles',
    `${variant}-${ctx.label.replace(/\W+/g, '')}-${Date.now()}`,
  );
  mkdirSync(dir, { recursive: true });
  const inst = await launch(ctx, variant, { extraArgs: ['--cpu-prof', '--cpu-prof-dir', dir] });
  const route = 'realistic';
  try {
    const r = await inst.load(route, {
      mode: 'saturation',
      connections: opts.connections,
      warmup: opts.warmup,
      duration: opts.duration,
    });
    progress.step(
      `${ctx.label} profile ${variant} ${route}: ${Math.round(r.rps)} req/s`,
      opts.warmup + opts.duration,
    );
  } finally {
    await inst.close();
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return { variant, route, error: 'no profile written' };
  return { variant, route, ...summarizeProfile(path.join(dir, file)) };
}
