import { RowBuilder, type DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';

import { timeseries } from '../panels/panels.js';
import { errorRatio, quantile, requestRate } from '../queries/promql.js';
import { dashboardUids } from '../services.js';
import { serviceDetailUrl, serviceVariable, skeleton } from './skeleton.js';

const HTTP = 'http_server_request_duration_seconds';
const SERVICE_VARIABLE = 'service_name';
// The selected services; inside the repeated row Grafana narrows it to that row's one service.
const selected = `service_name=~"$${SERVICE_VARIABLE}"`;
const ROW_SERVICE = `$${SERVICE_VARIABLE}`;

/** Services overview: RED for the selected services at once, then one row per service. */
export function overview(): DashboardBuilder {
  const d = skeleton(
    dashboardUids.overview,
    'Services overview',
    'Rate, errors and latency (P50/P95/P99) of every instrumented service Prometheus scrapes. Latency panels carry exemplars: click a dot to open its trace in Jaeger.',
  ).withVariable(serviceVariable(SERVICE_VARIABLE));

  d.withRow(new RowBuilder('Selected services'));
  d.withPanel(
    timeseries({
      title: 'Request rate by service',
      description: 'HTTP requests served per second by each service (all routes and status codes).',
      unit: 'reqps',
      width: 8,
      min: 0,
      targets: [
        {
          expr: requestRate(HTTP, [selected], ['service_name']),
          legend: '{{service_name}}',
        },
      ],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Error ratio by service',
      description:
        "Share of HTTP requests answered with a 5xx status, per service. 4xx are the caller's mistakes and are not counted.",
      unit: 'percentunit',
      width: 8,
      min: 0,
      targets: [
        {
          expr: errorRatio(HTTP, [selected], ['service_name']),
          legend: '{{service_name}}',
        },
      ],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'P99 latency by service',
      description:
        '99th percentile of HTTP server request duration per service, from the histogram buckets. Dots are exemplars linking to traces.',
      unit: 's',
      width: 8,
      min: 0,
      targets: [
        {
          expr: quantile(0.99, HTTP, [selected], ['service_name']),
          legend: '{{service_name}}',
          exemplar: true,
        },
      ],
    }),
  );

  // One row per selected service, repeated by Grafana with every panel below it up to the next
  // row (none: it is the last), each copy with $service_name narrowed to its one service.
  const links = [
    { title: `Open ${ROW_SERVICE} detail`, url: serviceDetailUrl(`\${${SERVICE_VARIABLE}}`) },
  ];
  d.withRow(new RowBuilder(ROW_SERVICE).repeat(SERVICE_VARIABLE));
  d.withPanel(
    timeseries({
      title: `${ROW_SERVICE}: request rate`,
      description: `HTTP requests per second served by ${ROW_SERVICE}.`,
      unit: 'reqps',
      width: 6,
      min: 0,
      links,
      targets: [{ expr: requestRate(HTTP, [selected]), legend: 'requests/s' }],
    }),
  );
  d.withPanel(
    timeseries({
      title: `${ROW_SERVICE}: error ratio`,
      description: `Share of ${ROW_SERVICE}'s HTTP requests answered with a 5xx status (0 when it served none).`,
      unit: 'percentunit',
      width: 6,
      min: 0,
      links,
      targets: [{ expr: errorRatio(HTTP, [selected]), legend: '5xx share' }],
    }),
  );
  d.withPanel(
    timeseries({
      title: `${ROW_SERVICE}: latency P50 / P95 / P99`,
      description: `Quantiles of ${ROW_SERVICE}'s HTTP server request duration. Dots are exemplars: each links to the trace of one request in Jaeger.`,
      unit: 's',
      width: 12,
      min: 0,
      links,
      targets: [0.5, 0.95, 0.99].map((q) => ({
        expr: quantile(q, HTTP, [selected]),
        legend: `P${Math.round(q * 100)}`,
        // The three quantiles share one selector, hence the same exemplars: fetch them once.
        exemplar: q === 0.99,
      })),
    }),
  );
  return d;
}
