// Sustained fixed rate on the realistic route, then the SDK's own drop counters once the batch
// processors have had time to flush, and what reached the receiver. Zero drops is the target.
import { setTimeout as sleep } from 'node:timers/promises';
import { launch, receiverStats, statsDelta } from '../instance.mjs';
import { shipsEverything } from '../variants.mjs';

const FLUSH_WAIT_MS = 7000;

export function plannedSeconds(opts) {
  return (
    opts.variants.filter(shipsEverything).length *
    (opts.sustainedDuration + FLUSH_WAIT_MS / 1000 + 2)
  );
}

export async function sustainedMode(ctx) {
  const { opts, progress } = ctx;
  const out = {
    rate: opts.sustainedRate,
    seconds: opts.sustainedDuration,
    route: 'realistic',
    runs: [],
  };
  for (const variant of opts.variants.filter(shipsEverything)) {
    const run = { variant };
    out.runs.push(run);
    let inst;
    try {
      inst = await launch(ctx, variant);
    } catch (err) {
      run.error = String(err.message ?? err);
      progress.step(
        `${ctx.label} sustained ${variant}: FAILED to start: ${run.error}`,
        opts.sustainedDuration + FLUSH_WAIT_MS / 1000 + 2,
      );
      continue;
    }
    try {
      const before = await receiverStats(ctx);
      run.load = await inst.load('realistic', {
        mode: 'rate',
        rate: opts.sustainedRate,
        warmup: 0,
        duration: opts.sustainedDuration,
      });
      await sleep(FLUSH_WAIT_MS);
      const drops = await inst.drops();
      run.droppedSpans = drops.spans;
      run.droppedLogs = drops.logs;
      run.metricsEndpoint = drops.ok ? 'ok' : (drops.error ?? `HTTP ${drops.status}`);
      run.exported = statsDelta(before, await receiverStats(ctx));
      // Independent of the SDK's counters: each served request makes one server span and one log line.
      run.missingServerSpans = Math.max(0, run.load.requests - run.exported.traces.server);
      run.missingLogRecords = Math.max(0, run.load.requests - run.exported.logs.items);
      run.rssMb = inst.memory().rss;
      progress.step(
        `${ctx.label} sustained ${variant}: ${Math.round(run.load.rps)} of ${opts.sustainedRate} req/s, p99 ${run.load.p99?.toFixed(2)} ms, dropped spans ${run.droppedSpans ?? 'n/a'}, logs ${run.droppedLogs ?? 'n/a'}`,
        opts.sustainedDuration + FLUSH_WAIT_MS / 1000 + 2,
      );
    } catch (err) {
      run.error = String(err.message ?? err);
      progress.note(`${ctx.label} sustained ${variant}: FAILED: ${run.error}`);
    } finally {
      await inst.close();
    }
  }
  return out;
}
