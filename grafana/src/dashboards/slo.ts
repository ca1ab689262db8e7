import {
  ConstantVariableBuilder,
  RowBuilder,
  type DashboardBuilder,
} from '@grafana/grafana-foundation-sdk/dashboard';

import { stat, timeseries } from '../panels/panels.js';
import { increase, series, sum } from '../queries/promql.js';
import { dashboardUids } from '../services.js';
import { serviceVariable, skeleton } from './skeleton.js';

const HTTP = 'http_server_request_duration_seconds';
const THIS = 'service_name="$service"';

// The objectives of observability/prometheus/rules/slo.yml, whose burn-rate alerts these panels
// explain: 99.9% of requests answer without 5xx; 99% finish within 500 ms.
export const AVAILABILITY_OBJECTIVE = 0.999;
export const LATENCY_OBJECTIVE = 0.99;
export const LATENCY_THRESHOLD_SECONDS = 0.5;

/**
 * A "bad events / all events" ratio over `window`, NaN-free (no traffic means nothing bad).
 * increase() over fixed windows rather than rate() over $__rate_interval: for burn rates the
 * window is the point of the measurement (the multi-window alerts of the SRE workbook).
 */
function badRatioOver(bad: string, all: string, window: string): string {
  const numerator = sum(increase(bad, window));
  const denominator = sum(increase(all, window));
  return `((${numerator} or vector(0)) / (${denominator} > 0) or vector(0))`;
}

const all = series(`${HTTP}_count`, THIS);
const failed = series(`${HTTP}_count`, THIS, 'http_response_status_code=~"5.."');

/** Share of requests answered with 5xx over `window`. */
export function errorRatioOver(window: string): string {
  return badRatioOver(failed, all, window);
}

/** Share of requests slower than the latency threshold over `window`: 1 - (fast / all). */
export function slowRatioOver(window: string): string {
  const fast = sum(
    increase(series(`${HTTP}_bucket`, THIS, `le="${LATENCY_THRESHOLD_SECONDS}"`), window),
  );
  const total = sum(increase(all, window));
  return `((1 - ${fast} / (${total} > 0)) or vector(0))`;
}

const availabilityBudget = '(1 - $availability_objective)';
const latencyBudget = '(1 - $latency_objective)';

const burnLines = [
  { value: 6, color: 'orange' },
  { value: 14.4, color: 'red' },
];

const windows = [
  { long: '1h', short: '5m', factor: 14.4, action: 'pages' },
  { long: '6h', short: '30m', factor: 6, action: 'pages' },
  { long: '3d', short: '6h', factor: 1, action: 'opens a ticket' },
];

/** SLO: availability and latency objectives of one service, error budgets and burn rates. */
export function slo(): DashboardBuilder {
  const d = skeleton(
    dashboardUids.slo,
    'SLO',
    'Availability (no 5xx) and latency (within 500 ms) objectives of one service: error budget left over the selected range and burn rates over the windows of the multi-window burn-rate alerts.',
  )
    .withVariable(serviceVariable('service'))
    .withVariable(
      new ConstantVariableBuilder('availability_objective')
        .description('Share of requests that must not answer 5xx (as in the alert rules).')
        .value(String(AVAILABILITY_OBJECTIVE)),
    )
    .withVariable(
      new ConstantVariableBuilder('latency_objective')
        .description(
          `Share of requests that must finish within ${LATENCY_THRESHOLD_SECONDS * 1000} ms (as in the alert rules).`,
        )
        .value(String(LATENCY_OBJECTIVE)),
    );

  d.withRow(new RowBuilder('Availability: 99.9% of requests without 5xx'));
  d.withPanel(
    stat({
      title: 'Availability',
      description:
        'Share of $service requests not answered with a 5xx over the selected time range (objective 99.9%).',
      unit: 'percentunit',
      width: 6,
      thresholds: [
        { value: null, color: 'red' },
        { value: AVAILABILITY_OBJECTIVE, color: 'green' },
      ],
      targets: [{ expr: `1 - ${errorRatioOver('$__range')}`, legend: 'availability' }],
    }),
  );
  d.withPanel(
    stat({
      title: 'Availability error budget remaining',
      description:
        'Share of the availability error budget (0.1% of requests) not yet spent over the selected range; below 0 the objective is missed.',
      unit: 'percentunit',
      width: 6,
      thresholds: [
        { value: null, color: 'red' },
        { value: 0, color: 'orange' },
        { value: 0.5, color: 'green' },
      ],
      targets: [
        {
          expr: `1 - ${errorRatioOver('$__range')} / ${availabilityBudget}`,
          legend: 'budget left',
        },
      ],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Availability burn rates',
      description:
        'How fast the availability budget burns: 1 spends exactly the budget over 30 days. Alerts page when both windows of a pair are above its factor (1h and 5m above 14.4; 6h and 30m above 6) and open a ticket for 3d and 6h above 1.',
      unit: 'none',
      width: 12,
      min: 0,
      thresholdLines: burnLines,
      targets: ['5m', '30m', '1h', '6h', '3d'].map((w) => ({
        expr: `${errorRatioOver(w)} / ${availabilityBudget}`,
        legend: w,
      })),
    }),
  );

  d.withRow(new RowBuilder('Latency: 99% of requests within 500 ms'));
  d.withPanel(
    stat({
      title: 'Requests within 500 ms',
      description:
        'Share of $service requests that finished within 500 ms over the selected range (objective 99%), from the le="0.5" histogram bucket.',
      unit: 'percentunit',
      width: 6,
      thresholds: [
        { value: null, color: 'red' },
        { value: LATENCY_OBJECTIVE, color: 'green' },
      ],
      targets: [{ expr: `1 - ${slowRatioOver('$__range')}`, legend: 'within 500 ms' }],
    }),
  );
  d.withPanel(
    stat({
      title: 'Latency error budget remaining',
      description:
        'Share of the latency error budget (1% of requests may be slower than 500 ms) not yet spent over the selected range.',
      unit: 'percentunit',
      width: 6,
      thresholds: [
        { value: null, color: 'red' },
        { value: 0, color: 'orange' },
        { value: 0.5, color: 'green' },
      ],
      targets: [
        { expr: `1 - ${slowRatioOver('$__range')} / ${latencyBudget}`, legend: 'budget left' },
      ],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Latency burn rates',
      description:
        'How fast the latency budget burns over each alert window; same factors as availability (14.4, 6, 1).',
      unit: 'none',
      width: 12,
      min: 0,
      thresholdLines: burnLines,
      targets: ['5m', '30m', '1h', '6h', '3d'].map((w) => ({
        expr: `${slowRatioOver(w)} / ${latencyBudget}`,
        legend: w,
      })),
    }),
  );

  d.withRow(new RowBuilder('Alert windows'));
  for (const w of windows) {
    d.withPanel(
      stat({
        title: `Availability burn ${w.long} / ${w.short}`,
        description: `Burn rate over ${w.long} and ${w.short}. The alert ${w.action} when both are above ${w.factor}.`,
        unit: 'none',
        width: 8,
        thresholds: [
          { value: null, color: 'green' },
          { value: w.factor, color: 'red' },
        ],
        targets: [
          { expr: `${errorRatioOver(w.long)} / ${availabilityBudget}`, legend: w.long },
          { expr: `${errorRatioOver(w.short)} / ${availabilityBudget}`, legend: w.short },
        ],
      }),
    );
  }
  return d;
}
