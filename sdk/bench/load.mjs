// Load generator, run as its own process: node load.mjs '<json options>'; prints one JSON result line.
//   { mode: 'saturation', url, connections, warmup, duration, pid, clkTck }
//   { mode: 'rate',       url, rate,        warmup, duration, pid, clkTck }
// Saturation uses autocannon (closed loop, fixed connections). The fixed rate uses a paced open-loop
// sender instead: autocannon's overallRate lets each connection send its whole per-second quota
// back to back at the start of each second, which is a burst, not a rate. Latencies are taken from
// the response events with sub-millisecond resolution (autocannon's own histogram keeps whole ms).
// CPU is read from /proc/<pid>/stat of the app around the measured window only.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

const opts = JSON.parse(process.argv[2]);

function cpuTicks(pid) {
  // Fields after the command name: state is the 3rd field overall; utime/stime are the 14th/15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summarize({ latencies, ok, errors, seconds, ticks, extra }) {
  const sorted = Float64Array.from(latencies).sort();
  const cpuMs = (ticks * 1000) / opts.clkTck;
  return {
    requests: ok,
    errors,
    seconds,
    rps: ok / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    cpuMsPerRequest: ok > 0 ? cpuMs / ok : null,
    cpuCores: cpuMs / 1000 / seconds,
    ...extra,
  };
}

async function saturate(duration, record) {
  const latencies = [];
  let ok = 0;
  let errors = 0;
  const instance = autocannon({ url: opts.url, connections: opts.connections, duration });
  instance.on('response', (_client, status, _bytes, ms) => {
    if (status === 200) {
      ok += 1;
      if (record) latencies.push(ms);
    } else errors += 1;
  });
  instance.on('reqError', () => (errors += 1));
  const result = await instance;
  return { latencies, ok, errors: errors + result.timeouts, seconds: result.duration };
}

const DRAIN_MS = 10_000;
const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
const target = new URL(opts.url);

async function paced(duration, rate, record) {
  const latencies = [];
  const lags = [];
  let ok = 0;
  let errors = 0;
  let pending = 0;
  const interval = 1000 / rate;
  const start = performance.now();
  const end = start + duration * 1000;
  let next = start;

  const fire = (scheduled) => {
    const sent = performance.now();
    if (record) lags.push(sent - scheduled);
    pending += 1;
    const req = http.get(
      { host: target.hostname, port: target.port, path: target.pathname, agent },
      (res) => {
        res.resume();
        res.on('end', () => {
          pending -= 1;
          if (res.statusCode === 200) {
            ok += 1;
            if (record) latencies.push(performance.now() - sent);
          } else errors += 1;
        });
      },
    );
    req.on('error', () => {
      pending -= 1;
      errors += 1;
    });
  };

  // A 1 ms timer sends everything that is due: at thousands of requests/s that is a few per tick.
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next <= now && next < end) {
        fire(next);
        next += interval;
      }
      if (next < end) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  const sentFor = (performance.now() - start) / 1000;
  // Wait for the answers still in flight: a backlog would otherwise spill into the next run, and a
  // slow app would look as if it had served less than it did. What is left after that is reported.
  const drainUntil = performance.now() + DRAIN_MS;
  while (pending > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - start) / 1000;
  const sortedLags = Float64Array.from(lags).sort();
  return {
    latencies,
    ok,
    errors,
    seconds,
    extra: {
      targetRps: rate,
      sentFor,
      inFlightAtEnd: pending,
      sendLagP99: percentile(sortedLags, 99),
    },
  };
}

const run =
  opts.mode === 'rate'
    ? (d, record) => paced(d, opts.rate, record)
    : (d, record) => saturate(d, record);
if (opts.warmup > 0) await run(opts.warmup, false);
const before = cpuTicks(opts.pid);
// Monotonic clock, the one --cpu-prof timestamps use, so a profile can be cut to this window.
const windowStartUs = Number(process.hrtime.bigint() / 1000n);
const measured = await run(opts.duration, true);
const windowEndUs = Number(process.hrtime.bigint() / 1000n);
const ticks = cpuTicks(opts.pid) - before;
process.stdout.write(
  `${JSON.stringify({ ...summarize({ ...measured, ticks }), windowStartUs, windowEndUs })}\n`,
);
agent.destroy();
