// Saturation (fixed connections) and fixed-rate runs of both routes, variants alternating by round.
// The fixed rate is half of what the bare app served at saturation in a calibration run.
import { launch, receiverStats, rotate, ROUTES, statsDelta } from '../instance.mjs';

export function plannedSeconds(opts) {
  const perRun = opts.warmup + opts.duration;
  return (
    ROUTES.length * perRun + opts.rounds * opts.variants.length * (2 * ROUTES.length * perRun + 2)
  );
}

export async function throughputMode(ctx) {
  const { opts, progress } = ctx;
  const perRun = opts.warmup + opts.duration;

  const capacity = {};
  const bare = await launch(ctx, 'bare', { scrape: false });
  try {
    for (const route of ROUTES) {
      const r = await bare.load(route, {
        mode: 'saturation',
        connections: opts.connections,
        warmup: opts.warmup,
        duration: opts.duration,
      });
      capacity[route] = r.rps;
      progress.step(
        `${ctx.label} calibration ${route}: bare serves ${Math.round(r.rps)} req/s`,
        perRun,
      );
    }
  } finally {
    await bare.close();
  }
  const rate = Object.fromEntries(
    ROUTES.map((route) => [route, Math.max(1, Math.round(capacity[route] / 2))]),
  );

  const runs = [];
  for (let round = 0; round < opts.rounds; round++) {
    for (const variant of rotate(opts.variants, round)) {
      const where = `${ctx.label} round ${round + 1}/${opts.rounds} ${variant}`;
      const run = { round, variant, saturation: {}, rate: {} };
      runs.push(run);
      let inst;
      try {
        inst = await launch(ctx, variant);
      } catch (err) {
        run.error = String(err.message ?? err);
        progress.step(`${where}: FAILED to start: ${run.error}`, 2 * ROUTES.length * perRun + 2);
        continue;
      }
      try {
        run.startupMs = inst.startupMs;
        const before = await receiverStats(ctx);
        for (const route of ROUTES) {
          const r = await inst.load(route, {
            mode: 'saturation',
            connections: opts.connections,
            warmup: opts.warmup,
            duration: opts.duration,
          });
          run.saturation[route] = r;
          progress.step(
            `${where} ${route} saturation: ${Math.round(r.rps)} req/s, p99 ${fmt(r.p99)} ms${r.errors ? `, ${r.errors} errors` : ''}`,
            perRun,
          );
        }
        for (const route of ROUTES) {
          const r = await inst.load(route, {
            mode: 'rate',
            rate: rate[route],
            warmup: opts.warmup,
            duration: opts.duration,
          });
          run.rate[route] = r;
          progress.step(
            `${where} ${route} at ${rate[route]} req/s: p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms${r.errors ? `, ${r.errors} errors` : ''}`,
            perRun,
          );
        }
        const mem = inst.memory();
        run.rssMb = mem.rss;
        run.peakRssMb = mem.peak;
        const drops = await inst.drops();
        run.droppedSpans = drops.spans;
        run.droppedLogs = drops.logs;
        run.exported = statsDelta(before, await receiverStats(ctx));
      } catch (err) {
        run.error = `${String(err.message ?? err)} ${inst.stderr().trim().split('\n').slice(-5).join(' | ')}`;
        progress.note(`${where}: FAILED: ${run.error}`);
      } finally {
        await inst.close();
      }
    }
  }
  return { capacity, rate, runs };
}

const fmt = (x) => (x == null ? 'n/a' : x.toFixed(2));
