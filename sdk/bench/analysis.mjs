// Turns raw runs into figures (median and spread per variant, and the paired comparison with bare
// in the same round) and checks them against the targets.
import { summary } from './stats.mjs';
import { ROUTES } from './instance.mjs';

/** compare: how a variant is set against bare in the same round; ratio for rates, delta for times and sizes. */
function figure(name, unit, compare, pick) {
  return { name, unit, compare, pick };
}

const THROUGHPUT_FIGURES = [
  ...ROUTES.flatMap((route) => [
    figure(`${route} saturation req/s`, 'req/s', 'ratio', (r) => r.saturation?.[route]?.rps),
    figure(`${route} saturation p50`, 'ms', 'delta', (r) => r.saturation?.[route]?.p50),
    figure(`${route} saturation p99`, 'ms', 'delta', (r) => r.saturation?.[route]?.p99),
    figure(
      `${route} saturation CPU/req`,
      'ms',
      'ratio',
      (r) => r.saturation?.[route]?.cpuMsPerRequest,
    ),
    figure(`${route} fixed-rate p50`, 'ms', 'delta', (r) => r.rate?.[route]?.p50),
    figure(`${route} fixed-rate p99`, 'ms', 'delta', (r) => r.rate?.[route]?.p99),
    figure(`${route} fixed-rate CPU/req`, 'ms', 'ratio', (r) => r.rate?.[route]?.cpuMsPerRequest),
  ]),
  figure('startup to first response', 'ms', 'delta', (r) => r.startupMs),
  figure('RSS after load', 'MB', 'delta', (r) => r.rssMb),
  figure('peak RSS', 'MB', 'delta', (r) => r.peakRssMb),
  figure('spans dropped', '', 'none', (r) => r.droppedSpans),
  figure('log records dropped', '', 'none', (r) => r.droppedLogs),
];

const STARTUP_FIGURES = [
  figure('startup to first response', 'ms', 'delta', (r) => r.startupMs),
  figure('RSS settled', 'MB', 'delta', (r) => r.rssMb),
  figure('one-line script exit (timeout = never)', 'ms', 'delta', (r) => r.oneLineExitMs),
];

function summarize(runs, figures, variants, roundKey) {
  return figures.map(({ name, unit, compare, pick }) => {
    const byVariant = {};
    for (const variant of variants) {
      const own = runs.filter((r) => r.variant === variant);
      const entry = summary(own.map(pick));
      if (compare !== 'none' && variant !== 'bare') {
        const paired = own.map((r) => {
          const bare = runs.find((b) => b.variant === 'bare' && b[roundKey] === r[roundKey]);
          const a = pick(r);
          const b = bare ? pick(bare) : null;
          if (a == null || b == null) return null;
          return compare === 'ratio' ? (b === 0 ? null : a / b) : a - b;
        });
        entry.vsBare = summary(paired);
        // The chart shows every figure as a ratio, so keep that too for deltas.
        entry.ratio = summary(
          own.map((r) => {
            const bare = runs.find((b) => b.variant === 'bare' && b[roundKey] === r[roundKey]);
            const a = pick(r);
            const b = bare ? pick(bare) : null;
            return a == null || b == null || b === 0 ? null : a / b;
          }),
        );
      }
      byVariant[variant] = entry;
    }
    return { name, unit, compare, byVariant };
  });
}

const TARGETS = [
  {
    name: 'throughput hello-world',
    figure: 'hello saturation req/s',
    section: 'throughput',
    limit: 0.8,
    op: '>=',
    unit: 'x',
  },
  {
    name: 'throughput realistic',
    figure: 'realistic saturation req/s',
    section: 'throughput',
    limit: 0.95,
    op: '>=',
    unit: 'x',
  },
  ...ROUTES.flatMap((route) => [
    {
      name: `p50 at fixed rate, ${route}`,
      figure: `${route} fixed-rate p50`,
      section: 'throughput',
      limit: 0.2,
      op: '<=',
      unit: 'ms',
    },
    {
      name: `p99 at fixed rate, ${route}`,
      figure: `${route} fixed-rate p99`,
      section: 'throughput',
      limit: 1,
      op: '<=',
      unit: 'ms',
    },
  ]),
  {
    name: 'startup to first response',
    figure: 'startup to first response',
    section: 'startup',
    fallback: 'throughput',
    limit: 150,
    op: '<=',
    unit: 'ms',
  },
  {
    name: 'RSS',
    figure: 'RSS after load',
    section: 'throughput',
    fallbackFigure: 'RSS settled',
    fallback: 'startup',
    limit: 40,
    op: '<=',
    unit: 'MB',
  },
];

function checkTargets(node, variants) {
  const out = [];
  for (const variant of variants.filter((v) => v !== 'bare')) {
    for (const t of TARGETS) {
      let fig = node[t.section]?.figures?.find((f) => f.name === t.figure);
      if (!fig && t.fallback)
        fig = node[t.fallback]?.figures?.find((f) => f.name === (t.fallbackFigure ?? t.figure));
      if (!fig) continue; // that mode did not run
      const value = fig.byVariant?.[variant]?.vsBare?.median ?? null;
      const pass = value == null ? null : t.op === '>=' ? value >= t.limit : value <= t.limit;
      out.push({
        variant,
        target: t.name,
        value,
        limit: `${t.op} ${t.op === '>=' ? '' : '+'}${t.limit} ${t.unit}`.replace('  ', ' '),
        unit: t.unit,
        pass,
      });
    }
    if (!node.sustained) continue;
    const sus = node.sustained.runs.find((r) => r.variant === variant);
    const drops =
      sus && sus.droppedSpans != null && sus.droppedLogs != null
        ? sus.droppedSpans + sus.droppedLogs
        : null;
    out.push({
      variant,
      target: `dropped spans + logs at ${node.sustained?.rate ?? 2000} req/s for ${node.sustained?.seconds ?? 60} s`,
      value: drops,
      limit: '= 0',
      unit: '',
      pass: drops == null ? null : drops === 0,
    });
    const missing = sus && !sus.error ? sus.missingServerSpans + sus.missingLogRecords : null;
    out.push({
      variant,
      target: 'server spans + log records missing at the receiver',
      value: missing,
      limit: '= 0',
      unit: '',
      pass: missing == null ? null : missing === 0,
    });
  }
  return out;
}

export function analyse(raw, variants) {
  const node = { label: raw.label, version: raw.version, node: raw.node };
  if (raw.throughput) {
    node.throughput = {
      capacity: raw.throughput.capacity,
      rate: raw.throughput.rate,
      figures: summarize(raw.throughput.runs, THROUGHPUT_FIGURES, variants, 'round'),
    };
  }
  if (raw.startup)
    node.startup = { figures: summarize(raw.startup.runs, STARTUP_FIGURES, variants, 'run') };
  if (raw.sustained) node.sustained = raw.sustained;
  if (raw.profile) node.profile = raw.profile;
  node.targets = checkTargets(node, variants);
  return node;
}
