// Progress lines on stderr for long runs: elapsed, step count and a rough time left.
import { performance } from 'node:perf_hooks';

const clock = (ms) => {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};

export function createProgress(totalSeconds) {
  const t0 = performance.now();
  let plannedDone = 0;
  return {
    /** `seconds` is this step's planned share of totalSeconds, used for the estimate. */
    step(message, seconds = 0) {
      plannedDone += seconds;
      const elapsed = performance.now() - t0;
      const left = plannedDone > 0 ? (elapsed / plannedDone) * (totalSeconds - plannedDone) : NaN;
      process.stderr.write(
        `[${clock(elapsed)} ~${Number.isFinite(left) ? clock(left) : '--:--'} left] ${message}\n`,
      );
    },
    note(message) {
      process.stderr.write(`[${clock(performance.now() - t0)}] ${message}\n`);
    },
  };
}
