import { RowBuilder, type DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';

import { stat, stateMappings, stateTimeline, timeseries } from '../panels/panels.js';
import { counterRate, gauge, increase, orZero, series, sum } from '../queries/promql.js';
import { dashboardUids } from '../services.js';
import { skeleton } from './skeleton.js';

/** Resilience and sagas: breakers, retries, rejections, saga outcomes, outbox and queues. */
export function resilience(): DashboardBuilder {
  const d = skeleton(
    dashboardUids.resilience,
    'Resilience and sagas',
    'Circuit breakers, retries, bulkhead/timeout/rate-limit rejections, order saga outcomes and compensations, outbox backlog and message consumption.',
  );

  d.withRow(new RowBuilder('Service calls'));
  d.withPanel(
    stateTimeline({
      title: 'Circuit breaker state',
      description:
        'State of each circuit breaker a service keeps per dependency: closed (calls pass), open (calls fail fast), half-open (one trial call).',
      unit: 'none',
      width: 24,
      mappings: stateMappings([
        { value: 0, text: 'closed', color: 'green' },
        { value: 1, text: 'open', color: 'red' },
        { value: 2, text: 'half-open', color: 'yellow' },
      ]),
      targets: [
        {
          expr: gauge('max', 'resilience_circuit_breaker_state', ['service_name', 'dependency']),
          legend: '{{service_name}} -> {{dependency}}',
        },
      ],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Retries',
      description:
        'Retried calls per second, by calling service and dependency. Retries use exponential backoff with jitter.',
      unit: 'ops',
      width: 12,
      min: 0,
      targets: [
        {
          expr: counterRate('resilience_retries_total', ['service_name', 'dependency']),
          legend: '{{service_name}} -> {{dependency}}',
        },
      ],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Rejected calls by reason',
      description:
        'Calls refused before or while reaching a dependency, per second: breaker_open (failing fast), bulkhead_full (too many concurrent calls), timeout.',
      unit: 'ops',
      width: 12,
      min: 0,
      stacked: true,
      targets: [
        {
          expr: counterRate('resilience_rejections_total', [
            'service_name',
            'dependency',
            'reason',
          ]),
          legend: '{{service_name}} -> {{dependency}} {{reason}}',
        },
      ],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Gateway rate-limit rejections',
      description:
        'Requests per second the gateway refused with 429 because a client went over its rate limit (counted in Redis).',
      unit: 'reqps',
      width: 12,
      min: 0,
      targets: [{ expr: counterRate('rate_limit_rejections_total'), legend: 'rejected/s' }],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Injected payment faults',
      description:
        'Faults currently injected into payments through its admin API: the share of charges that fail and the added latency.',
      unit: 'percentunit',
      width: 12,
      min: 0,
      targets: [
        { expr: gauge('max', 'payments_fault_error_rate'), legend: 'error rate' },
        { expr: gauge('max', 'payments_fault_latency_seconds'), legend: 'added latency (s)' },
      ],
    }).overrideByName('added latency (s)', [{ id: 'unit', value: 's' }]),
  );

  d.withRow(new RowBuilder('Sagas'));
  d.withPanel(
    stat({
      title: 'Saga outcomes in range',
      description:
        'Order sagas that ended confirmed or cancelled (after compensation) during the selected range.',
      unit: 'short',
      width: 8,
      targets: [
        {
          expr: orZero(`round(${sum(increase('saga_outcomes_total', '$__range'), ['outcome'])})`, [
            'outcome',
          ]),
          legend: '{{outcome}}',
        },
      ],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Saga outcomes',
      description:
        'Order sagas finishing per second, by outcome: confirmed, or cancelled after its completed steps were compensated.',
      unit: 'ops',
      width: 8,
      min: 0,
      targets: [{ expr: counterRate('saga_outcomes_total', ['outcome']), legend: '{{outcome}}' }],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Compensations by step',
      description:
        'Compensating actions per second: release_inventory undoes a reservation, refund_payment undoes a charge.',
      unit: 'ops',
      width: 8,
      min: 0,
      targets: [{ expr: counterRate('saga_compensations_total', ['step']), legend: '{{step}}' }],
    }),
  );

  d.withRow(new RowBuilder('Messaging'));
  d.withPanel(
    timeseries({
      title: 'Outbox backlog',
      description:
        'Events written to the orders outbox (in the same transaction as the order) and not yet published to RabbitMQ. It should drain to 0; growth means the broker is unreachable.',
      unit: 'short',
      width: 12,
      min: 0,
      targets: [{ expr: gauge('max', series('outbox_pending_events')), legend: 'pending events' }],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Dead-letter queue',
      description:
        'Messages that failed every retry and wait in the dead-letter queue. Anything above 0 is an event some service never acted on: fix the cause, then re-drive them (`node demo-services/dist/main.js redrive`).',
      unit: 'short',
      width: 12,
      min: 0,
      targets: [
        {
          expr: gauge('max', series('messaging_dead_letter_messages'), ['queue']),
          legend: '{{queue}}',
        },
      ],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Messages consumed by outcome',
      description:
        'Messages consumed per second, by service, queue and outcome: processed, duplicate (skipped by the idempotent consumer), retried (parked in the retry queue with a growing delay) or dead_lettered.',
      unit: 'ops',
      width: 24,
      min: 0,
      targets: [
        {
          expr: counterRate('messages_consumed_total', ['service_name', 'queue', 'outcome']),
          legend: '{{service_name}} {{queue}} {{outcome}}',
        },
      ],
    }),
  );
  return d;
}
