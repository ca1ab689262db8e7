/* eslint-disable @typescript-eslint/no-unsafe-member-access -- tests read JSON bodies whose shape is what they assert */
// Rows 1 and 2: a forward step of the saga reaches its owner, which acts, and the answer is lost
// (the link is cut while the answer is on its way back; retries are then refused). The saga must
// find out what happened instead of guessing: no cancelled order may keep its charge or its stock.
import { describe, it } from 'vitest';
import type { TestUser } from '../support/stack.js';
import type { LinkName } from '../support/links.js';
import { expectInvariants } from './audit.js';
import { faultWorld, placeOrder, sleep } from './environment.js';
import { covers, ROWS } from './rows.js';

/** Places orders until one is confirmed: the saga's breakers are closed again after a fault. */
export async function untilConfirmed(user: TestUser): Promise<void> {
  await faultWorld().stack.waitFor(
    'an order confirmed again',
    async () => (await placeOrder(ROWS.recoveryProbes, user)).body?.status === 'CONFIRMED',
    30_000,
  );
}

async function loseAnswers(
  row: string,
  link: LinkName,
  table: 'payments' | 'reservations',
  owner: 'payments' | 'inventory',
  orders: number,
): Promise<void> {
  const { stack } = faultWorld();
  const user = await stack.register();
  const proxy = stack.links.get(link)!;
  // answers wait in the proxy: the owner has acted, the saga does not know yet
  proxy.responseDelayMs = 1500;
  try {
    const placing = Array.from({ length: orders }, () => placeOrder(row, user));
    await stack.waitFor(
      `${orders} orders acted on by ${owner}, answers in flight`,
      async () => {
        const { rows } = await stack
          .db('orders')
          .query('SELECT id FROM orders WHERE user_id = $1', [user.id]);
        const acted = await stack
          .db(owner)
          .query(`SELECT count(*)::int AS n FROM ${table} WHERE order_id = ANY($1::uuid[])`, [
            rows.map((r: { id: string }) => r.id),
          ]);
        return acted.rows[0].n >= orders;
      },
      15_000,
    );
    await proxy.cut();
    await sleep(3000);
    proxy.responseDelayMs = 0;
    await proxy.heal();
    await Promise.all(placing);
  } finally {
    proxy.responseDelayMs = 0;
    await proxy.heal();
  }
  await expectInvariants(row);
  await untilConfirmed(user);
}

describe('the saga never guesses', () => {
  it('row 1: a charge whose answer was lost is refunded or confirmed, never kept by a cancelled order', async () => {
    covers(ROWS.lostCharge);
    await loseAnswers(ROWS.lostCharge, 'orders->payments', 'payments', 'payments', 6);
  });

  it('row 2: a reservation whose answer was lost is released or used, never held by a cancelled order', async () => {
    covers(ROWS.lostReserve);
    await loseAnswers(ROWS.lostReserve, 'orders->inventory', 'reservations', 'inventory', 6);
  });
});
