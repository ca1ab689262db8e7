import { RowBuilder, type DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';

import { timeseries } from '../panels/panels.js';
import { errorRatio, quantile, requestRate } from '../queries/promql.js';
import { dashboardUids, services } from '../services.js';
import { serviceDetailUrl, skeleton } from './skeleton.js';

const HTTP = 'http_server_request_duration_seconds';
const everyHttpService = `service_name=~"${services.join('|')}"`;

/** Services overview: RED for all services at once, then one row per service. */
export function overview(): DashboardBuilder {
  const d = skeleton(
    dashboardUids.overview,
    'Services overview',
    'Rate, errors and latency (P50/P95/P99) of every demo service. Latency panels carry exemplars: click a dot to open its trace in Jaeger.',
  );

  d.withRow(new RowBuilder('All services'));
  d.withPanel(
    timeseries({
      title: 'Request rate by service',
      description: 'HTTP requests served per second by each service (all routes and status codes).',
      unit: 'reqps',
      width: 8,
      min: 0,
      targets: [
        {
          expr: requestRate(HTTP, [everyHttpService], ['service_name']),
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
          expr: errorRatio(HTTP, [everyHttpService], ['service_name']),
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
          expr: quantile(0.99, HTTP, [everyHttpService], ['service_name']),
          legend: '{{service_name}}',
          exemplar: true,
        },
      ],
    }),
  );

  for (const service of services) {
    const only = `service_name="${service}"`;
    const links = [{ title: `Open ${service} detail`, url: serviceDetailUrl(service) }];
    d.withRow(new RowBuilder(service));
    d.withPanel(
      timeseries({
        title: `${service}: request rate`,
        description: `HTTP requests per second served by ${service}.`,
        unit: 'reqps',
        width: 6,
        min: 0,
        links,
        targets: [{ expr: requestRate(HTTP, [only]), legend: 'requests/s' }],
      }),
    );
    d.withPanel(
      timeseries({
        title: `${service}: error ratio`,
        description: `Share of ${service}'s HTTP requests answered with a 5xx status (0 when it served none).`,
        unit: 'percentunit',
        width: 6,
        min: 0,
        links,
        targets: [{ expr: errorRatio(HTTP, [only]), legend: '5xx share' }],
      }),
    );
    d.withPanel(
      timeseries({
        title: `${service}: latency P50 / P95 / P99`,
        description: `Quantiles of ${service}'s HTTP server request duration. Dots are exemplars: each links to the trace of one request in Jaeger.`,
        unit: 's',
        width: 12,
        min: 0,
        links,
        targets: [0.5, 0.95, 0.99].map((q) => ({
          expr: quantile(q, HTTP, [only]),
          legend: `P${Math.round(q * 100)}`,
          // The three quantiles share one selector, hence the same exemplars: fetch them once.
          exemplar: q === 0.99,
        })),
      }),
    );
  }
  return d;
}
