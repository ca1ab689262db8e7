/* eslint-disable @typescript-eslint/no-unsafe-member-access -- tests read JSON bodies whose shape is what they assert */
// The one admin endpoint, payments' fault injection: only the admin token opens it, on payments
// itself and through the gateway (the only published port in compose).
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type TestStack } from '../support/stack.js';
import { currentStack } from '../support/current.js';

let stack: TestStack;

describe('admin API', () => {
  beforeAll(() => {
    stack = currentStack();
  });

  it('payments admin API needs the admin token, directly and through the gateway', async () => {
    for (const [base, path] of [
      [stack.url('payments'), '/admin/faults'],
      [stack.gateway, '/admin/payments/faults'],
    ] as const) {
      const denied = await stack.api('PUT', path, { base, body: { errorRate: 1 } });
      expect(denied.status, path).toBe(401);
      const wrong = await stack.api('GET', path, {
        base,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}x` },
      });
      expect(wrong.status, path).toBe(401);
      const bad = await stack.api('PUT', path, {
        base,
        body: { errorRate: 3 },
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(bad.status, path).toBe(400);
      expect(bad.body.message).toContain('body.errorRate');
      const now = await stack.api('GET', path, {
        base,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(now.body, path).toEqual({ errorRate: 0, latencyMs: 0 });
    }
  });
});
