import {
  RowBuilder,
  TextBoxVariableBuilder,
  type DashboardBuilder,
} from '@grafana/grafana-foundation-sdk/dashboard';

import { lokiVariable } from '../panels/datasources.js';
import { logs, lokiTimeseries, timeseries } from '../panels/panels.js';
import { errorRatio, quantile, requestRate } from '../queries/promql.js';
import { dashboardUids } from '../services.js';
import { serviceVariable, skeleton } from './skeleton.js';

const HTTP = 'http_server_request_duration_seconds';
const CLIENT = 'http_client_request_duration_seconds';
const THIS = 'service_name="$service"';
const ROUTE = ['http_request_method', 'http_route'];
const ROUTE_LEGEND = '{{http_request_method}} {{http_route}}';

/** Service detail: one service's routes, its outbound dependencies and its logs. */
export function serviceDetail(): DashboardBuilder {
  const d = skeleton(
    dashboardUids.service,
    'Service detail',
    'Per-route rate, errors and latency of one service, the services it calls (from the HTTP client histogram) and its logs from Loki.',
  )
    .withVariable(lokiVariable())
    .withVariable(serviceVariable('service'))
    .withVariable(
      new TextBoxVariableBuilder('search')
        .label('Log search')
        .description('Only log lines containing this text (empty: all lines).')
        .defaultValue(''),
    );

  d.withRow(new RowBuilder('Overview'));
  d.withPanel(
    timeseries({
      title: 'Request rate',
      description: 'HTTP requests per second served by $service.',
      unit: 'reqps',
      width: 6,
      min: 0,
      targets: [{ expr: requestRate(HTTP, [THIS]), legend: 'requests/s' }],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Error ratio',
      description: 'Share of requests answered with a 5xx status.',
      unit: 'percentunit',
      width: 6,
      min: 0,
      targets: [{ expr: errorRatio(HTTP, [THIS]), legend: '5xx share' }],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Latency P50 / P95 / P99',
      description:
        'Quantiles of the HTTP server request duration over all routes. Dots are exemplars that open the trace in Jaeger.',
      unit: 's',
      width: 12,
      min: 0,
      targets: [0.5, 0.95, 0.99].map((q) => ({
        expr: quantile(q, HTTP, [THIS]),
        legend: `P${Math.round(q * 100)}`,
        exemplar: q === 0.99,
      })),
    }),
  );

  d.withRow(new RowBuilder('Routes'));
  d.withPanel(
    timeseries({
      title: 'Request rate by route',
      description:
        'Requests per second per method and route template. Unknown paths are grouped as "unmatched".',
      unit: 'reqps',
      width: 8,
      min: 0,
      targets: [{ expr: requestRate(HTTP, [THIS], ROUTE), legend: ROUTE_LEGEND }],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Error ratio by route',
      description: "Share of each route's requests answered with a 5xx status.",
      unit: 'percentunit',
      width: 8,
      min: 0,
      targets: [{ expr: errorRatio(HTTP, [THIS], ROUTE), legend: ROUTE_LEGEND }],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Responses by status code',
      description:
        'Responses per second by HTTP status code: 4xx are rejected bad requests, 5xx are failures.',
      unit: 'reqps',
      width: 8,
      min: 0,
      stacked: true,
      targets: [
        {
          expr: requestRate(HTTP, [THIS], ['http_response_status_code']),
          legend: '{{http_response_status_code}}',
        },
      ],
    }),
  );
  for (const q of [0.5, 0.95, 0.99]) {
    d.withPanel(
      timeseries({
        title: `P${Math.round(q * 100)} latency by route`,
        description: `${Math.round(q * 100)}th percentile of request duration per route. Dots are exemplars linking to traces.`,
        unit: 's',
        width: 8,
        min: 0,
        targets: [{ expr: quantile(q, HTTP, [THIS], ROUTE), legend: ROUTE_LEGEND, exemplar: true }],
      }),
    );
  }

  d.withRow(new RowBuilder('Outbound dependencies'));
  const DEP = ['server_address'];
  d.withPanel(
    timeseries({
      title: 'Outbound call rate by dependency',
      description:
        'HTTP calls per second that $service makes, by the server it calls (from the HTTP client histogram).',
      unit: 'reqps',
      width: 8,
      min: 0,
      targets: [{ expr: requestRate(CLIENT, [THIS], DEP), legend: '{{server_address}}' }],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Outbound error ratio by dependency',
      description: 'Share of outbound calls that got a 5xx answer, by dependency.',
      unit: 'percentunit',
      width: 8,
      min: 0,
      targets: [{ expr: errorRatio(CLIENT, [THIS], DEP), legend: '{{server_address}}' }],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Outbound latency P50 / P95 / P99 by dependency',
      description:
        'Quantiles of outbound call duration as $service sees it, by dependency (includes network and retries inside one call).',
      unit: 's',
      width: 8,
      min: 0,
      targets: [0.5, 0.95, 0.99].map((q) => ({
        expr: quantile(q, CLIENT, [THIS], DEP),
        legend: `{{server_address}} P${Math.round(q * 100)}`,
      })),
    }),
  );

  d.withRow(new RowBuilder('Logs'));
  const lines = `{service_name="$service"} |= "$search"`;
  d.withPanel(
    lokiTimeseries({
      title: 'Log lines by severity',
      description:
        'Log lines per second of $service by severity (OTLP severity_text, kept by Loki as structured metadata).',
      unit: 'short',
      width: 24,
      height: 6,
      stacked: true,
      targets: [
        {
          expr: `sum by (severity_text) (count_over_time(${lines} [$__auto])) or on() vector(0)`,
          legend: '{{severity_text}}',
        },
      ],
    }),
  );
  d.withPanel(
    logs({
      title: 'Logs',
      description:
        'Logs of $service from Loki, newest first. Open a line: its trace_id links to the trace in Jaeger.',
      unit: 'short',
      width: 24,
      height: 14,
      expr: lines,
    }),
  );
  return d;
}
