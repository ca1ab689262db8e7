// `node dist/main.js redrive [--limit N]`: puts dead-lettered messages back on the queues they
// failed on (after the cause is fixed), and prints what it moved. Idempotent consumers make a
// second run, or a message that had been processed after all, harmless.
import { parseArgs } from 'node:util';
import amqp from 'amqplib';
import { amqpConfig, loadConfig } from '../config/index.js';
import { redriveDeadLetters } from './dead-letters.js';
import { topologyNames } from './topology.js';

const config = loadConfig('redrive', amqpConfig);
const { values } = parseArgs({
  args: process.argv.slice(3),
  options: { limit: { type: 'string' } },
  allowPositionals: false,
});
const limit = values.limit === undefined ? undefined : Number(values.limit);
if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
  process.stderr.write(`--limit must be a positive integer, got ${values.limit}\n`);
  process.exit(2);
}

const dlq = topologyNames(config.AMQP_PREFIX).deadLetterQueue;
const connection = await amqp.connect(config.AMQP_URL, {
  clientProperties: { connection_name: 'redrive' },
});
let seen = 0;
try {
  const result = await redriveDeadLetters(connection, config.AMQP_PREFIX, {
    limit,
    onMessage: () => {
      if (++seen % 100 === 0) process.stdout.write(`  ${seen} messages...\n`);
    },
  });
  const rows = Object.entries(result.moved);
  process.stdout.write(`re-driven from ${dlq}:\n`);
  if (rows.length === 0) process.stdout.write('  nothing to re-drive\n');
  const width = Math.max(5, ...rows.map(([q]) => q.length));
  for (const [queue, n] of rows) process.stdout.write(`  ${queue.padEnd(width)}  ${n}\n`);
  if (result.kept > 0)
    process.stdout.write(`  ${result.kept} message(s) of unknown origin left in ${dlq}\n`);
} finally {
  await connection.close();
}
