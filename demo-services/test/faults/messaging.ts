/* eslint-disable @typescript-eslint/no-unsafe-member-access -- tests read JSON bodies whose shape is what they assert */
// Rows 7 and 8: events between services. A consumer whose database is away keeps retrying, with
// growing delays, long enough to ride out an outage; what still fails is visible (metric) and
// re-driven by a command; losing the broker in the middle of a message kills nothing.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestStack, TestUser } from '../support/stack.js';
import { distDirectory } from '../../src/platform/bootstrap/launch.js';
import { freePort } from '../support/backends.js';
import { expectInvariants } from './audit.js';
import { faultWorld, placeOrder, sleep } from './environment.js';
import { covers, ROWS } from './rows.js';

let stack: TestStack;
let user: TestUser;

function runCommand(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(distDirectory(), 'main.js'), ...args], {
      env: { ...process.env, ...env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('messaging', () => {
  beforeAll(async () => {
    stack = faultWorld().stack;
    user = await stack.register();
  });

  it('row 7: a 20 s database outage at shipping loses no shipment', async () => {
    covers(ROWS.databaseOutage);
    const link = stack.links.get('shipping->database')!;
    const dead = () =>
      stack.metric('shipping', 'messages_consumed_total', {
        queue: `${stack.prefix}shipping.order-confirmed`,
        outcome: 'dead_lettered',
      });
    const deadBefore = await dead();
    await link.cut();
    try {
      const started = Date.now();
      while (Date.now() - started < 20_000) {
        const res = await placeOrder(ROWS.databaseOutage, user);
        expect(res.body.status).toBe('CONFIRMED');
        await sleep(400);
      }
    } finally {
      await link.heal();
    }
    await expectInvariants(ROWS.databaseOutage);
    expect(await dead()).toBe(deadBefore);
  });

  it('row 7: messages that failed every attempt are counted, visible, and re-driven by a command', async () => {
    covers(ROWS.deadLetters);
    const link = stack.links.get('shipping->database')!;
    await stack.stopService('shipping');
    // a shipping that gives up after two quick attempts
    const metricsPort = await freePort();
    const impatient = await stack.launchExtra('shipping', {
      CONSUMER_MAX_ATTEMPTS: '2',
      CONSUMER_RETRY_BASE_MS: '100',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
    });
    const depth = async () => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('messaging_dead_letter_messages{'));
      return Number(line?.split(' ')[1] ?? NaN);
    };
    await link.cut();
    try {
      for (let i = 0; i < 3; i++) await placeOrder(ROWS.deadLetters, user);
      await stack.waitFor('3 messages in the dead-letter queue, on the gauge', async () =>
        (await depth()) >= 3 ? true : undefined,
      );
    } finally {
      await stack.stopExtra(impatient.process);
      await link.heal();
      await stack.startService('shipping');
    }
    const redrive = await runCommand(['redrive'], {
      AMQP_URL: stack.settings.amqpUrl,
      AMQP_PREFIX: stack.prefix,
    });
    expect(redrive.code, redrive.output).toBe(0);
    expect(redrive.output).toMatch(new RegExp(`${stack.prefix}shipping\\.order-confirmed\\s+\\d+`));
    await expectInvariants(ROWS.deadLetters);
    await stack.waitFor('the dead-letter gauge back at 0', async () =>
      (await stack.metric('shipping', 'messaging_dead_letter_messages')) === 0 ? true : undefined,
    );
  });

  it('row 8: losing the broker while a message is being processed kills no consumer', async () => {
    covers(ROWS.brokerLoss);
    const database = stack.links.get('shipping->database')!;
    const broker = stack.links.get('shipping->broker')!;
    database.blackhole(); // the handler hangs in the database...
    try {
      for (let i = 0; i < 3; i++) await placeOrder(ROWS.brokerLoss, user);
      await sleep(800);
      await broker.cut(); // ...while its channel goes away
      await sleep(6000);
    } finally {
      await database.heal();
      await broker.heal();
    }
    await sleep(1000);
    expect(stack.crashes).toEqual([]);
    await expectInvariants(ROWS.brokerLoss);
  });
});
