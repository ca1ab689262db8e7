// Saturation (fixed connections) rounds, then fixed-rate rounds at half of the bare app's median
// saturation throughput, for both routes; variants alternate within each round and each round
// starts every variant afresh. Startup, memory and drop counters come from the saturation rounds.
import { median } from '../stats.mjs';
import { launch, receiverStats, rotate, ROUTES, statsDelta } from '../instance.mjs';

export function plannedSeconds(opts) {
  return (
    2 * opts.rounds * opts.variants.length * (ROUTES.length * (opts.warmup + opts.duration) + 2)
  );
}

const fmt = (x) => (x == null ? 'n/a' : x.toFixed(2));

export async function throughputMode(ctx) {
  const { opts } = ctx;
  const runs = [];
  // Bare sets the rate, so it is measured even when only the other variants were asked for.
  const variants = opts.variants.includes('bare') ? opts.variants : ['bare', ...opts.variants];

  await rounds(ctx, variants, runs, 'saturation', async (inst, run, where) => {
    const before = await receiverStats(ctx);
    for (const route of ROUTES) {
      const r = await inst.load(route, {
        mode: 'saturation',
        connections: opts.connections,
        warmup: opts.warmup,
        duration: opts.duration,
      });
      run.saturation[route] = r;
      step(
        ctx,
        `${where} ${route} saturation: ${Math.round(r.rps)} req/s, p99 ${fmt(r.p99)} ms${errors(r)}`,
      );
    }
    run.startupMs = inst.startupMs;
    const mem = inst.memory();
    run.rssMb = mem.rss;
    run.peakRssMb = mem.peak;
    const drops = await inst.drops();
    run.droppedSpans = drops.spans;
    run.droppedLogs = drops.logs;
    run.exported = statsDelta(before, await receiverStats(ctx));
  });

  const capacity = Object.fromEntries(
    ROUTES.map((route) => [
      route,
      median(runs.filter((r) => r.variant === 'bare').map((r) => r.saturation[route]?.rps)),
    ]),
  );
  if (ROUTES.some((route) => !capacity[route]))
    throw new Error('the bare app served nothing at saturation; see the errors above');
  const rate = Object.fromEntries(
    ROUTES.map((route) => [
      route,
      opts.fixedRate[route] ?? Math.max(1, Math.round(capacity[route] / 2)),
    ]),
  );
  ctx.progress.note(
    `${ctx.label} fixed rate: ${ROUTES.map((r) => `${r} ${rate[r]} req/s`).join(', ')} (${Object.keys(opts.fixedRate).length ? 'as given' : "half of bare's median"})`,
  );

  await rounds(ctx, variants, runs, 'fixed rate', async (inst, run, where) => {
    for (const route of ROUTES) {
      const r = await inst.load(route, {
        mode: 'rate',
        rate: rate[route],
        warmup: opts.warmup,
        duration: opts.duration,
      });
      run.rate[route] = r;
      step(
        ctx,
        `${where} ${route} at ${rate[route]} req/s: p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms${errors(r)}`,
      );
    }
  });
  return { capacity, rate, runs };
}

/** Runs `measure` on a fresh instance of each variant, round after round, recording into `runs`. */
async function rounds(ctx, variants, runs, phase, measure) {
  const { opts, progress } = ctx;
  for (let round = 0; round < opts.rounds; round++) {
    for (const variant of rotate(variants, round)) {
      let run = runs.find((r) => r.round === round && r.variant === variant);
      if (!run) runs.push((run = { round, variant, saturation: {}, rate: {} }));
      const where = `${ctx.label} ${phase} round ${round + 1}/${opts.rounds} ${variant}`;
      let inst;
      try {
        inst = await launch(ctx, variant);
      } catch (err) {
        run.error = String(err.message ?? err);
        progress.step(
          `${where}: FAILED to start: ${run.error}`,
          ROUTES.length * (opts.warmup + opts.duration) + 2,
        );
        continue;
      }
      try {
        await measure(inst, run, where);
      } catch (err) {
        run.error = `${String(err.message ?? err)} ${inst.stderr().trim().split('\n').slice(-5).join(' | ')}`;
        progress.note(`${where}: FAILED: ${run.error}`);
      } finally {
        await inst.close();
      }
    }
  }
}

function step(ctx, message) {
  ctx.progress.step(message, ctx.opts.warmup + ctx.opts.duration);
}

const errors = (r) => (r.errors ? `, ${r.errors} errors` : '');
