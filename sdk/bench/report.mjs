// The terminal report: one table per node and section, then the targets marked pass/fail.
// Each cell is "median ±half-range"; after it, the comparison with bare from the same rounds
// (median of the per-round ratios "x", or differences "+").

function num(x, unit) {
  if (x == null) return 'n/a';
  if (unit === 'req/s') return Math.round(x).toLocaleString('en-US');
  if (unit === 'ms')
    return Math.abs(x) >= 100 ? Math.round(x).toString() : x.toFixed(Math.abs(x) >= 10 ? 1 : 2);
  if (unit === 'MB') return x.toFixed(1);
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

function cell(entry, unit) {
  if (!entry || entry.median == null) return 'n/a';
  const half = (entry.max - entry.min) / 2;
  const spread =
    entry.n > 1 && entry.median !== 0
      ? unit === 'req/s'
        ? ` ±${Math.round((half / entry.median) * 100)}%`
        : ` ±${num(half, unit)}`
      : '';
  return `${num(entry.median, unit)}${spread}`;
}

function comparison(entry, fig) {
  const v = entry?.vsBare?.median;
  if (v == null) return '';
  if (fig.compare === 'ratio') return `${v.toFixed(2)}x`;
  return `${v >= 0 ? '+' : ''}${num(v, fig.unit)}`;
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])))
        .join('  '),
    )
    .join('\n');
}

function section(title, figures, variants) {
  const header = ['figure', ...variants.flatMap((v) => (v === 'bare' ? [v] : [v, 'vs bare']))];
  const rows = figures.map((f) => [
    `${f.name}${f.unit && f.unit !== 'req/s' ? ` (${f.unit})` : ''}`,
    ...variants.flatMap((v) =>
      v === 'bare'
        ? [cell(f.byVariant[v], f.unit)]
        : [cell(f.byVariant[v], f.unit), comparison(f.byVariant[v], f)],
    ),
  ]);
  return `${title}\n${table([header, ...rows])}`;
}

export function renderReport(results) {
  const out = [];
  const variants = results.options.variants;
  for (const node of results.nodes) {
    out.push(`\n=== Node ${node.version} ===`);
    if (node.throughput) {
      const rates = Object.entries(node.throughput.rate)
        .map(([r, v]) => `${r} ${v} req/s`)
        .join(', ');
      out.push(
        section(
          `Throughput: ${results.options.rounds} rounds, saturation with ${results.options.connections} connections, fixed rate = ${Object.keys(results.options.fixedRate ?? {}).length ? 'as given' : 'half of bare capacity'} (${rates})`,
          node.throughput.figures,
          variants,
        ),
      );
    }
    if (node.startup)
      out.push(
        `\n${section(`Startup and memory: ${results.options.startupRuns} runs, hello-world app and a one-line script`, node.startup.figures, variants)}`,
      );
    if (node.sustained) {
      const rows = [
        [
          'variant',
          'served req/s',
          'p50 (ms)',
          'p99 (ms)',
          'served',
          'spans dropped (SDK)',
          'logs dropped (SDK)',
          'server spans received',
          'log records received',
        ],
      ];
      for (const r of node.sustained.runs) {
        rows.push(
          r.error
            ? [r.variant, `failed: ${r.error.slice(0, 60)}`, '', '', '', '', '', '', '']
            : [
                r.variant,
                num(r.load.rps, 'req/s'),
                num(r.load.p50, 'ms'),
                num(r.load.p99, 'ms'),
                r.load.requests,
                r.droppedSpans ?? 'n/a',
                r.droppedLogs ?? 'n/a',
                r.exported.traces.server,
                r.exported.logs.items,
              ],
        );
      }
      out.push(
        `\nSustained: ${node.sustained.rate} req/s for ${node.sustained.seconds} s on /${node.sustained.route}\n${table(rows)}`,
      );
    }
    if (node.profile) out.push(`\n${renderProfile(node.profile)}`);
    const rows = [['target', 'variant', 'vs bare', 'limit', 'result']];
    for (const t of node.targets) {
      const value =
        t.value == null
          ? 'n/a'
          : t.unit === 'x'
            ? `${t.value.toFixed(2)}x`
            : t.unit
              ? `${t.value >= 0 ? '+' : ''}${num(t.value, t.unit)} ${t.unit}`
              : String(t.value);
      rows.push([
        t.target,
        t.variant,
        value,
        t.limit,
        t.pass == null ? 'n/a' : t.pass ? 'PASS' : 'FAIL',
      ]);
    }
    out.push(`\nTargets (Node ${node.version})\n${table(rows)}`);
  }
  return out.join('\n');
}

function renderProfile(profile) {
  const lines = [
    'CPU profile at saturation: share of the samples in the measured window by nearest package on the stack (ms CPU per request)',
  ];
  for (const run of profile.runs) {
    if (run.error) {
      lines.push(`  ${run.variant}: ${run.error}`);
      continue;
    }
    const perReq = (share) => ((share / 100) * (run.cpuMsPerRequest ?? 0)).toFixed(3);
    const top = run.byOwner
      .slice(0, 10)
      .map((p) => `${p.name} ${p.share.toFixed(1)}% (${perReq(p.share)})`);
    lines.push(
      `  ${run.variant} /${run.route} (${Math.round(run.rps)} req/s, ${run.cpuMsPerRequest?.toFixed(2)} ms CPU/req, exit on SIGTERM ${run.exitMs} ms): ${top.join(', ')}`,
    );
  }
  lines.push(
    `  profiles: ${[...new Set(profile.runs.map((r) => r.file).filter(Boolean))].join(' ')}`,
  );
  return lines.join('\n');
}
