// Where each variant spends its CPU: run it under --cpu-prof at saturation, then add up time in the
// measured window two ways: self time per package, and per "owner", the nearest package frame on
// the stack (so node internals and natives such as writev count for the package that called them).
import { readdirSync, readFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { launch, ROUTES } from '../instance.mjs';

const EXIT_GRACE_MS = 30_000;

export function plannedSeconds(opts) {
  return opts.variants.length * (ROUTES.length * (opts.warmup + opts.duration) + 5);
}

function owner(url) {
  if (!url) return null;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node (internals)';
  if (url.includes('/sdk/dist/') || url.includes('/sdk/src/')) return '@o11y/sdk';
  if (url.includes('/bench/apps/')) return 'app';
  return url;
}

/** Self time per package and per function, counting only samples inside [fromUs, toUs] if given. */
export function summarizeProfile(file, fromUs = -Infinity, toUs = Infinity) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = prof.timeDeltas;
  let t = prof.startTime;
  for (let i = 0; i < prof.samples.length; i++) {
    t += dt[i] ?? 0;
    if (t < fromUs || t > toUs) continue;
    self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const ownerOf = (id) => {
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const o = owner(byId.get(cur).callFrame.url);
      if (o && o !== 'node (internals)') return o;
    }
    const name = byId.get(id).callFrame.functionName;
    return name.startsWith('(') ? name : 'node (no package on the stack)';
  };
  const pkgs = new Map();
  const owners = new Map();
  const fns = new Map();
  const add = (m, k, us) => m.set(k, (m.get(k) ?? 0) + us);
  for (const [id, us] of self) {
    const { callFrame: cf } = byId.get(id);
    add(pkgs, owner(cf.url) ?? cf.functionName ?? '(unknown)', us);
    add(owners, ownerOf(id), us);
    const where = cf.url
      ? ` ${cf.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/sdk\//, 'sdk/')}:${cf.lineNumber + 1}`
      : '';
    add(fns, `${cf.functionName || '(anonymous)'}${where}`, us);
  }
  const rank = (m) =>
    [...m]
      .map(([name, us]) => ({ name, share: (us / total) * 100 }))
      .sort((a, b) => b.share - a.share);
  return {
    file,
    totalMs: total / 1000,
    byOwner: rank(owners),
    byPackage: rank(pkgs),
    topFunctions: rank(fns).slice(0, 30),
  };
}

/** Profiles every selected variant in turn, so the SDK's share can be read against bare's. */
export async function profileMode(ctx) {
  const runs = [];
  for (const variant of ctx.opts.variants) runs.push(...(await profileVariant(ctx, variant)));
  return { runs };
}

/** One instance per variant under --cpu-prof; each route's load window is summarized apart. */
async function profileVariant(ctx, variant) {
  const { opts, progress } = ctx;
  const dir = path.join(
    opts.out,
    'profiles',
    `${variant}-${ctx.label.replace(/\W+/g, '')}-${Date.now()}`,
  );
  mkdirSync(dir, { recursive: true });
  const inst = await launch(ctx, variant, { extraArgs: ['--cpu-prof', '--cpu-prof-dir', dir] });
  let exitMs;
  const loads = {};
  try {
    for (const route of ROUTES) {
      loads[route] = await inst.load(route, {
        mode: 'saturation',
        connections: opts.connections,
        warmup: opts.warmup,
        duration: opts.duration,
      });
      progress.step(
        `${ctx.label} profile ${variant} ${route}: ${Math.round(loads[route].rps)} req/s`,
        opts.warmup + opts.duration,
      );
    }
  } finally {
    // The profile is written on exit; give a slow exit time to finish rather than killing it.
    const t0 = Date.now();
    await inst.close(EXIT_GRACE_MS);
    exitMs = Date.now() - t0;
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return [{ variant, exitMs, error: 'no profile written (killed before exit?)' }];
  const profile = path.join(dir, file);
  // Only each measured load window: startup and exit would otherwise blur where requests spend time.
  return ROUTES.map((route) => ({
    variant,
    route,
    exitMs,
    rps: loads[route].rps,
    cpuMsPerRequest: loads[route].cpuMsPerRequest,
    windowUs: [loads[route].windowStartUs, loads[route].windowEndUs],
    ...summarizeProfile(profile, loads[route].windowStartUs, loads[route].windowEndUs),
  }));
}
