// loadgen: a steady, realistic traffic mix through the gateway at a configurable rate (open loop:
// requests are started on schedule whether or not earlier ones finished, up to a concurrency cap),
// printing a progress line every few seconds until stopped.
import { z } from 'zod';
import { loadConfig, millis, positiveInt, url } from '../platform/config/index.js';
import { flushTelemetry, log, metrics } from '../platform/telemetry/index.js';
import { WindowStats } from './stats.js';
import { pickScenario, signUp, type Call, type Send, type Shopper } from './scenarios.js';

const config = loadConfig('loadgen', {
  GATEWAY_URL: url('http://localhost:8080'),
  LOADGEN_RATE: z.coerce.number().positive().max(10_000).default(10),
  LOADGEN_USERS: positiveInt(20),
  LOADGEN_MAX_IN_FLIGHT: positiveInt(200),
  LOADGEN_REPORT_INTERVAL_MS: millis(5000),
  // 0 runs until stopped
  LOADGEN_DURATION_S: z.coerce.number().min(0).default(0),
  LOADGEN_REQUEST_TIMEOUT_MS: millis(20_000),
});

const requests = metrics.counter({
  name: 'loadgen_requests_total',
  help: 'Requests sent by the load generator',
  labelNames: ['scenario', 'outcome'],
});

const stats = new WindowStats();
const shoppers: Shopper[] = [];
let inFlight = 0;
let stopping = false;

const send: Send = async (call: Call) => {
  const headers: Record<string, string> = { ...(call.headers ?? {}) };
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  let body = call.raw;
  if (call.body !== undefined) body = JSON.stringify(call.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(new URL(call.path, config.GATEWAY_URL), {
    method: call.method,
    headers,
    body,
    signal: AbortSignal.timeout(config.LOADGEN_REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed };
};

async function one(): Promise<void> {
  inFlight++;
  const started = performance.now();
  let name = 'signup';
  let outcome: 'ok' | 'expected_4xx' | 'error' = 'error';
  try {
    if (shoppers.length === 0 || Math.random() < 0.01) {
      const shopper = await signUp(send);
      if (shopper) {
        shoppers.push(shopper);
        if (shoppers.length > config.LOADGEN_USERS) shoppers.shift();
        outcome = 'ok';
      }
    } else {
      const scenario = pickScenario();
      name = scenario.name;
      outcome = await scenario.run(send, shoppers[Math.floor(Math.random() * shoppers.length)]!);
    }
  } catch (err) {
    log.debug({ err: (err as Error).message, scenario: name }, 'request failed');
    outcome = 'error';
  } finally {
    inFlight--;
    stats.record(performance.now() - started, outcome);
    requests.inc({ scenario: name, outcome });
  }
}

// Sign the shoppers up before the load starts: password hashing is deliberately expensive, and a
// burst of sign-ups is not the traffic this generator is meant to model.
async function signUpShoppers(): Promise<void> {
  const workers = Array.from({ length: 4 }, async () => {
    let failures = 0;
    while (shoppers.length < config.LOADGEN_USERS && !stopping && failures < 20) {
      const shopper = await signUp(send).catch(() => undefined);
      if (shopper) {
        if (shoppers.length < config.LOADGEN_USERS) shoppers.push(shopper);
      } else {
        failures++;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  });
  await Promise.all(workers);
  process.stderr.write(
    `[loadgen] ${shoppers.length} shoppers signed up; sending ${config.LOADGEN_RATE} req/s to ${config.GATEWAY_URL}\n`,
  );
}

const timers: NodeJS.Timeout[] = [];

async function stop(reason: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const t of timers) clearInterval(t);
  const deadline = Date.now() + 5000;
  while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  process.stderr.write(
    `[loadgen] stopped (${reason}): ${stats.total} requests, ${stats.totalErrors} errors\n`,
  );
  await flushTelemetry();
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(signal));
log.info(
  { gateway: config.GATEWAY_URL, rate: config.LOADGEN_RATE, users: config.LOADGEN_USERS },
  'loadgen started',
);

await signUpShoppers();
const startedAt = Date.now();
let owed = 0;
let last = performance.now();
timers.push(
  setInterval(() => {
    const now = performance.now();
    owed += ((now - last) / 1000) * config.LOADGEN_RATE;
    last = now;
    while (owed >= 1 && !stopping) {
      owed--;
      if (inFlight >= config.LOADGEN_MAX_IN_FLIGHT) continue; // shed instead of queueing without bound
      void one();
    }
    if (config.LOADGEN_DURATION_S > 0 && Date.now() - startedAt > config.LOADGEN_DURATION_S * 1000)
      void stop('duration reached');
  }, 20),
);

timers.push(
  setInterval(() => {
    const w = stats.flush();
    const line = `[loadgen] ${w.rps.toFixed(1)} req/s | errors ${w.errorPct.toFixed(1)}% | expected 4xx ${w.expected4xxPct.toFixed(1)}% | p50 ${w.p50.toFixed(0)} ms | p99 ${w.p99.toFixed(0)} ms | in flight ${inFlight} | total ${stats.total}`;
    process.stderr.write(`${line}\n`);
    log.info({ rps: w.rps, errorPct: w.errorPct, p99Ms: w.p99, inFlight }, 'loadgen progress');
  }, config.LOADGEN_REPORT_INTERVAL_MS),
);
