// RabbitMQ topology: one topic exchange for domain events, one durable queue per consumer, a retry
// queue beside each (a failed message waits there, for a delay set per message, then goes back to
// its queue), and a dead-letter exchange/queue for messages that can never be processed or that
// failed every retry. Every name carries a prefix so several stacks can share one broker.
import type { Channel } from 'amqplib';

export function topologyNames(prefix: string) {
  return {
    exchange: `${prefix}o11y.events`,
    deadLetterExchange: `${prefix}o11y.events.dlx`,
    deadLetterQueue: `${prefix}o11y.events.dlq`,
    queues: {
      shippingOrderConfirmed: `${prefix}shipping.order-confirmed`,
      shippingOrderCancelled: `${prefix}shipping.order-cancelled`,
      ordersOrderShipped: `${prefix}orders.order-shipped`,
    },
  };
}

/** Where a message of `queue` waits before its next attempt. */
export const retryQueueOf = (queue: string) => `${queue}.retry`;

export const bindings = (prefix: string) => {
  const n = topologyNames(prefix);
  return [
    { queue: n.queues.shippingOrderConfirmed, routingKey: 'order.confirmed' },
    { queue: n.queues.shippingOrderCancelled, routingKey: 'order.cancelled' },
    { queue: n.queues.ordersOrderShipped, routingKey: 'order.shipped' },
  ];
};

export async function assertTopology(channel: Channel, prefix: string): Promise<void> {
  const n = topologyNames(prefix);
  await channel.assertExchange(n.exchange, 'topic', { durable: true });
  await channel.assertExchange(n.deadLetterExchange, 'fanout', { durable: true });
  await channel.assertQueue(n.deadLetterQueue, { durable: true });
  await channel.bindQueue(n.deadLetterQueue, n.deadLetterExchange, '');
  for (const b of bindings(prefix)) {
    await channel.assertQueue(b.queue, {
      durable: true,
      arguments: { 'x-dead-letter-exchange': n.deadLetterExchange },
    });
    await channel.bindQueue(b.queue, n.exchange, b.routingKey);
    // No consumer: messages expire (per-message TTL) and are dead-lettered back to their queue
    // through the default exchange. Per-message TTLs only expire at the head of a queue, so a
    // short delay behind a long one waits longer: delays only ever grow, which a retry may.
    await channel.assertQueue(retryQueueOf(b.queue), {
      durable: true,
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': b.queue },
    });
  }
}

export async function deleteTopology(channel: Channel, prefix: string): Promise<void> {
  const n = topologyNames(prefix);
  for (const b of bindings(prefix)) {
    await channel.deleteQueue(b.queue);
    await channel.deleteQueue(retryQueueOf(b.queue));
  }
  await channel.deleteQueue(n.deadLetterQueue);
  await channel.deleteExchange(n.exchange);
  await channel.deleteExchange(n.deadLetterExchange);
}
