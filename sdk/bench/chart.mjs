// Hand-written SVG of the ratios to bare (1.0 = costs nothing), one panel per node version.
// For throughput higher is better; for every other figure lower is better.

const COLORS = { sdk: '#2f6fdf', upstream: '#e07b22' };
const CHART_FIGURES = [
  ['throughput', 'hello saturation req/s'],
  ['throughput', 'realistic saturation req/s'],
  ['throughput', 'hello fixed-rate p50'],
  ['throughput', 'hello fixed-rate p99'],
  ['throughput', 'realistic fixed-rate p50'],
  ['throughput', 'realistic fixed-rate p99'],
  ['throughput', 'hello fixed-rate CPU/req'],
  ['throughput', 'realistic fixed-rate CPU/req'],
  ['throughput', 'RSS after load'],
  ['startup', 'startup to first response'],
  ['startup', 'RSS settled'],
  ['startup', 'one-line script exit (timeout = never)'],
];
const THRESHOLDS = { 'hello saturation req/s': 0.8, 'realistic saturation req/s': 0.95 };

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function renderChart(results) {
  const variants = results.options.variants.filter((v) => v !== 'bare');
  const rowH = 10 + 14 * variants.length;
  const labelW = 230;
  const plotW = 420;
  const panels = results.nodes.map((node) => {
    const rows = CHART_FIGURES.map(([sectionName, name]) => {
      const fig = node[sectionName]?.figures?.find((f) => f.name === name);
      if (!fig) return null;
      const ratios = Object.fromEntries(
        variants.map((v) => [
          v,
          fig.compare === 'ratio'
            ? fig.byVariant[v]?.vsBare?.median
            : fig.byVariant[v]?.ratio?.median,
        ]),
      );
      return { name, ratios };
    }).filter(Boolean);
    return { node, rows };
  });
  const maxRatio = Math.min(
    6,
    Math.max(
      2,
      ...panels.flatMap((p) =>
        p.rows.flatMap((r) => Object.values(r.ratios).filter((x) => x != null)),
      ),
    ),
  );
  const x = (ratio) => labelW + (Math.min(ratio, maxRatio) / maxRatio) * plotW;

  // Title on the first line, legend on the second, so neither overlaps the other.
  let y = 46;
  const parts = [];
  parts.push(
    `<text x="10" y="20" font-size="15" font-weight="bold">Cost of instrumentation: ratio to the bare app, same run (1.0 = free)</text>`,
  );
  let lx = 10;
  for (const v of variants) {
    parts.push(
      `<rect x="${lx}" y="28" width="12" height="12" fill="${COLORS[v] ?? '#888'}"/><text x="${lx + 16}" y="39" font-size="12">${esc(v)}</text>`,
    );
    lx += 80;
  }
  for (const { node, rows } of panels) {
    y += 20;
    parts.push(
      `<text x="10" y="${y}" font-size="13" font-weight="bold">Node ${esc(node.version)}</text>`,
    );
    y += 8;
    const top = y;
    for (const row of rows) {
      parts.push(
        `<text x="${labelW - 8}" y="${y + rowH / 2 + 4}" font-size="11" text-anchor="end">${esc(row.name)}</text>`,
      );
      variants.forEach((v, i) => {
        const r = row.ratios[v];
        const by = y + 5 + i * 14;
        if (r == null) {
          parts.push(
            `<text x="${labelW + 4}" y="${by + 10}" font-size="10" fill="#999">n/a</text>`,
          );
          return;
        }
        parts.push(
          `<rect x="${labelW}" y="${by}" width="${Math.max(1, x(r) - labelW).toFixed(1)}" height="11" fill="${COLORS[v] ?? '#888'}"/>`,
        );
        parts.push(
          `<text x="${(x(r) + 4).toFixed(1)}" y="${by + 10}" font-size="10">${r.toFixed(2)}${r > maxRatio ? ' (off scale)' : ''}</text>`,
        );
      });
      const limit = THRESHOLDS[row.name];
      if (limit)
        parts.push(
          `<line x1="${x(limit)}" x2="${x(limit)}" y1="${y + 2}" y2="${y + rowH - 2}" stroke="#c00" stroke-dasharray="3,2"/>`,
        );
      y += rowH;
    }
    parts.push(`<line x1="${x(1)}" x2="${x(1)}" y1="${top}" y2="${y}" stroke="#333"/>`);
    for (let t = 0; t <= maxRatio; t += maxRatio > 3 ? 1 : 0.5) {
      parts.push(`<text x="${x(t)}" y="${y + 12}" font-size="10" text-anchor="middle">${t}</text>`);
    }
    y += 16;
  }
  parts.push(
    `<text x="10" y="${y + 16}" font-size="10" fill="#555">Dashed red: throughput targets (0.80 hello-world, 0.95 realistic). Latency, CPU, memory, startup: lower is better.</text>`,
  );
  const height = y + 26;
  const width = labelW + plotW + 90;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="#fff"/>\n${parts.join('\n')}\n</svg>\n`;
}
