// `npm run bench`: what instrumentation costs the service it instruments. See sdk/bench/README.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyse } from './analysis.mjs';
import { renderChart } from './chart.mjs';
import * as throughput from './modes/throughput.mjs';
import * as sustained from './modes/sustained.mjs';
import * as startup from './modes/startup.mjs';
import * as profile from './modes/profile.mjs';
import { readOptions, usage } from './options.mjs';
import { createProgress } from './progress.mjs';
import { startHelper, stopAll } from './processes.mjs';
import { renderReport } from './report.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MODES = { throughput, sustained, startup, profile };

const opts = readOptions();
if (opts.help) {
  console.log(usage());
  process.exit(0);
}
for (const m of opts.modes)
  if (!MODES[m]) throw new Error(`unknown mode ${m}; known: ${Object.keys(MODES).join(', ')}`);

const planned =
  opts.nodes.length * opts.modes.reduce((sum, m) => sum + MODES[m].plannedSeconds(opts), 0);
const progress = createProgress(planned);
process.on('SIGINT', () => {
  void stopAll().then(() => process.exit(130));
});

const clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const results = {
  startedAt: new Date().toISOString(),
  options: opts,
  machine: {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    loadavgAtStart: os.loadavg(),
    totalMemMb: Math.round(os.totalmem() / 2 ** 20),
  },
  nodes: [],
  raw: [],
};
progress.note(
  `planned ~${Math.round(planned / 60)} min: nodes ${opts.nodes.join(', ')}; modes ${opts.modes.join(', ')}; variants ${opts.variants.join(', ')}; ${opts.rounds} rounds of ${opts.warmup}+${opts.duration} s`,
);

if (os.loadavg()[0] > os.cpus().length * 0.5) {
  progress.note(
    `load average is ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs: other work will show up as noise in the figures`,
  );
}

try {
  // Receiver and stub run on this node, not the app's: they are the environment, not the subject.
  const receiver = await startHelper(process.execPath, path.join(HERE, 'receiver.mjs'));
  const stub = await startHelper(process.execPath, path.join(HERE, 'apps/stub.mjs'));
  for (const node of opts.nodes) {
    const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
    const ctx = {
      node,
      label: `node ${version}`,
      opts,
      progress,
      clkTck,
      receiverPort: receiver.info.port,
      stubUrl: `http://127.0.0.1:${stub.info.port}`,
    };
    const raw = { node, version, label: ctx.label };
    results.raw.push(raw);
    for (const m of opts.modes) raw[m] = await MODES[m][`${m}Mode`](ctx);
    results.nodes.push(analyse(raw, opts.variants));
  }
} finally {
  await stopAll();
}
results.finishedAt = new Date().toISOString();
results.machine.loadavgAtEnd = os.loadavg();

mkdirSync(opts.out, { recursive: true });
const stamp = results.startedAt.replace(/[:.]/g, '-');
const json = JSON.stringify(results, null, 2);
const svg = renderChart(results);
for (const name of [`bench-${stamp}`, 'latest']) {
  writeFileSync(path.join(opts.out, `${name}.json`), json);
  writeFileSync(path.join(opts.out, `${name}.svg`), svg);
}
console.log(renderReport(results));
console.log(
  `\nResults: ${path.join(opts.out, `bench-${stamp}.json`)}\nChart:   ${path.join(opts.out, `bench-${stamp}.svg`)} (also latest.json / latest.svg)`,
);
if (results.machine.loadavgAtStart[0] > results.machine.cpus * 0.5) {
  console.log(
    `Note: load average was ${results.machine.loadavgAtStart[0].toFixed(1)} on ${results.machine.cpus} CPUs at the start; figures from a busy machine are noisy.`,
  );
}
