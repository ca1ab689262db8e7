// Cold start of the hello-world app (time to first served request, RSS once settled) and the time
// a one-line script takes to exit, for each variant; runs alternate between variants.
import { setTimeout as sleep } from 'node:timers/promises';
import { launch, launchSpec, ONE_LINE, rotate } from '../instance.mjs';
import { timeToExit } from '../processes.mjs';
import { ROOT } from '../options.mjs';

const SETTLE_MS = 1000;

export function plannedSeconds(opts) {
  return opts.startupRuns * opts.variants.length * 4;
}

export async function startupMode(ctx) {
  const { opts, progress } = ctx;
  const runs = [];
  for (let i = 0; i < opts.startupRuns; i++) {
    for (const variant of rotate(opts.variants, i)) {
      const run = { run: i, variant };
      runs.push(run);
      try {
        const inst = await launch(ctx, variant, { scrape: false });
        run.startupMs = inst.startupMs;
        await sleep(SETTLE_MS);
        run.rssMb = inst.memory().rss;
        await inst.close();
        const spec = await launchSpec(ctx, variant);
        const exit = await timeToExit(ctx.node, [...spec.args, ONE_LINE], {
          env: spec.env,
          cwd: ROOT,
          timeoutMs: opts.exitTimeoutMs,
        });
        // A script that never exits counts as the timeout, so the median stays honest about it.
        run.oneLineExitMs = exit.killed || exit.code === 0 ? exit.ms : null;
        run.oneLineExit = exit.killed
          ? `still running after ${opts.exitTimeoutMs} ms, killed`
          : `exit code ${exit.code}`;
        const exitText = exit.killed
          ? `did not exit in ${opts.exitTimeoutMs / 1000} s`
          : `${Math.round(exit.ms)} ms (code ${exit.code})`;
        progress.step(
          `${ctx.label} startup ${i + 1}/${opts.startupRuns} ${variant}: first response ${Math.round(run.startupMs)} ms, RSS ${run.rssMb.toFixed(1)} MB, one-line exit ${exitText}`,
          3,
        );
      } catch (err) {
        run.error = String(err.message ?? err);
        progress.step(`${ctx.label} startup ${variant}: FAILED: ${run.error}`, 3);
      }
    }
  }
  return { runs };
}
