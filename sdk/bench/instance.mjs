// One running instance of the app in one variant, with the scraper that a Prometheus would be.
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort, memoryMb, runToLastLine, spawnTracked, startApp, stop } from './processes.mjs';
import { scrapeOnce } from './scraper.mjs';
import { otherSdkDir, variantLaunch } from './variants.mjs';
import { ROOT } from './options.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const APP = path.join(HERE, 'apps/server.cjs');
export const ONE_LINE = path.join(HERE, 'apps/one-line.cjs');
const SCRAPER = path.join(HERE, 'scraper.mjs');
const LOAD = path.join(HERE, 'load.mjs');

export const ROUTES = ['hello', 'realistic'];

/** Node arguments and environment of a variant, on fresh ports. */
export async function launchSpec(ctx, variant) {
  const port = await freePort();
  const metricsPort = await freePort();
  const { args, env } = variantLaunch(variant, { receiverPort: ctx.receiverPort, metricsPort });
  env.PORT = String(port);
  env.BENCH_STUB_URL = ctx.stubUrl;
  if (variant === 'sdk' || otherSdkDir(variant)) Object.assign(env, ctx.opts.sdkEnv);
  return { port, metricsPort, args, env };
}

export async function launch(ctx, variant, { extraArgs = [], scrape = true } = {}) {
  const spec = await launchSpec(ctx, variant);
  const base = `http://127.0.0.1:${spec.port}`;
  // cwd is the repository root so that the preload specifiers resolve from its node_modules.
  const app = await startApp({
    node: ctx.node,
    args: [...extraArgs, ...spec.args, APP],
    env: spec.env,
    cwd: ROOT,
    readyUrl: `${base}/hello`,
  });
  const metricsUrl = `http://127.0.0.1:${spec.metricsPort}/metrics`;
  let scraper = null;
  if (scrape && variant !== 'bare') {
    scraper = spawnTracked(
      process.execPath,
      [SCRAPER, metricsUrl, String(ctx.opts.scrapeInterval)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines = createInterface({ input: scraper.stdout });
    await new Promise((resolve) => {
      lines.once('line', resolve);
      scraper.once('exit', resolve);
    });
    lines.on('line', () => {});
  }
  const pid = app.child.pid;
  return {
    variant,
    pid,
    startupMs: app.startupMs,
    url: (route) => `${base}/${route}`,
    memory: () => memoryMb(pid),
    drops: async () =>
      variant === 'bare' ? { spans: null, logs: null } : await scrapeOnce(metricsUrl),
    stderr: app.stderr,
    /** Runs the load generator in its own process against a route of this instance. */
    load: async (route, load) => {
      const line = await runToLastLine(process.execPath, [
        LOAD,
        JSON.stringify({ url: `${base}/${route}`, pid, clkTck: ctx.clkTck, ...load }),
      ]);
      return JSON.parse(line);
    },
    /** graceMs: how long the app may take to exit on SIGTERM before it is killed. */
    close: async (graceMs) => {
      if (scraper) await stop(scraper);
      await stop(app.child, graceMs);
    },
  };
}

export async function receiverStats(ctx) {
  const res = await fetch(`http://127.0.0.1:${ctx.receiverPort}/stats`);
  return res.json();
}

export function statsDelta(before, after) {
  const out = {};
  for (const [signal, counts] of Object.entries(after)) {
    out[signal] = Object.fromEntries(
      Object.entries(counts).map(([k, v]) => [k, v - before[signal][k]]),
    );
  }
  return out;
}

/** Variants in a different order each round, so that drift on a shared machine spreads evenly. */
export function rotate(list, by) {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}
