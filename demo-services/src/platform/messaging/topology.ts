// RabbitMQ topology: one topic exchange for domain events, one durable queue per consumer, and a
// dead-letter exchange/queue for messages that can never be processed. Every name carries a
// prefix so several stacks can share one broker.
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
  }
}

export async function deleteTopology(channel: Channel, prefix: string): Promise<void> {
  const n = topologyNames(prefix);
  for (const b of bindings(prefix)) await channel.deleteQueue(b.queue);
  await channel.deleteQueue(n.deadLetterQueue);
  await channel.deleteExchange(n.exchange);
  await channel.deleteExchange(n.deadLetterExchange);
}
