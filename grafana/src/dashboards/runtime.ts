import { RowBuilder, type DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';

import { stat, timeseries } from '../panels/panels.js';
import { counterRate, gauge, orZero, series, sum, rate } from '../queries/promql.js';
import { dashboardUids } from '../services.js';
import { serviceVariable, skeleton } from './skeleton.js';

const SELECTED = 'service_name=~"$service_name"';
const BY_SERVICE = ['service_name'];

/** Node.js runtime: event loop, GC, memory, CPU and restarts of every SDK-instrumented process. */
export function runtime(): DashboardBuilder {
  const d = skeleton(
    dashboardUids.runtime,
    'Node.js runtime',
    'Event loop lag, garbage collection, heap, CPU and restarts of the selected processes (prom-client default metrics served by the SDK).',
  ).withVariable(serviceVariable('service_name'));

  d.withRow(new RowBuilder('Health'));
  d.withPanel(
    stat({
      title: 'Restarts in range',
      description:
        'How many times each process started during the selected time range (changes of its start time). More than 0 means crashes or redeploys.',
      unit: 'short',
      width: 12,
      thresholds: [
        { value: null, color: 'green' },
        { value: 1, color: 'orange' },
      ],
      targets: [
        {
          expr: orZero(
            `max by (service_name) (changes(${series('process_start_time_seconds', SELECTED)}[$__range]))`,
            BY_SERVICE,
          ),
          legend: '{{service_name}}',
        },
      ],
    }),
  );
  d.withPanel(
    stat({
      title: 'Uptime',
      description: 'Time since each process started.',
      unit: 's',
      width: 12,
      targets: [
        {
          expr: orZero(
            `min by (service_name) (time() - ${series('process_start_time_seconds', SELECTED)})`,
            BY_SERVICE,
          ),
          legend: '{{service_name}}',
        },
      ],
    }),
  );

  d.withRow(new RowBuilder('Event loop'));
  d.withPanel(
    timeseries({
      title: 'Event loop lag P99',
      description:
        ' 99th percentile of event loop delay: how long a ready callback waited. Above ~100 ms every request of that process feels it.',
      unit: 's',
      width: 12,
      min: 0,
      targets: [
        {
          expr: gauge('max', series('nodejs_eventloop_lag_p99_seconds', SELECTED), BY_SERVICE),
          legend: '{{service_name}}',
        },
      ],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Event loop lag (mean)',
      description: 'Mean event loop delay over the sampling window.',
      unit: 's',
      width: 12,
      min: 0,
      targets: [
        {
          expr: gauge('max', series('nodejs_eventloop_lag_mean_seconds', SELECTED), BY_SERVICE),
          legend: '{{service_name}}',
        },
      ],
    }),
  );

  d.withRow(new RowBuilder('Garbage collection'));
  d.withPanel(
    timeseries({
      title: 'Time spent in GC',
      description:
        'Share of wall-clock time spent in garbage collection pauses, by process and GC kind (major, minor, incremental, weakcb).',
      unit: 'percentunit',
      width: 12,
      min: 0,
      targets: [
        {
          expr: counterRate(series('nodejs_gc_duration_seconds_sum', SELECTED), [
            'service_name',
            'kind',
          ]),
          legend: '{{service_name}} {{kind}}',
        },
      ],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'GC runs',
      description: 'Garbage collections per second, by process and kind.',
      unit: 'ops',
      width: 12,
      min: 0,
      targets: [
        {
          expr: counterRate(series('nodejs_gc_duration_seconds_count', SELECTED), [
            'service_name',
            'kind',
          ]),
          legend: '{{service_name}} {{kind}}',
        },
      ],
    }),
  );

  d.withRow(new RowBuilder('Memory and CPU'));
  d.withPanel(
    timeseries({
      title: 'Heap used',
      description:
        'V8 heap in use per process. A line that only grows between major GCs points at a leak.',
      unit: 'bytes',
      width: 8,
      min: 0,
      targets: [
        {
          expr: gauge('max', series('nodejs_heap_size_used_bytes', SELECTED), BY_SERVICE),
          legend: '{{service_name}} used',
        },
        {
          expr: gauge('max', series('nodejs_heap_size_total_bytes', SELECTED), BY_SERVICE),
          legend: '{{service_name}} total',
        },
      ],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Resident memory',
      description:
        'Resident set size of each process: heap, buffers and native memory together. Compare with the container memory limit.',
      unit: 'bytes',
      width: 8,
      min: 0,
      targets: [
        {
          expr: gauge('max', series('process_resident_memory_bytes', SELECTED), BY_SERVICE),
          legend: '{{service_name}}',
        },
      ],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'CPU usage',
      description: 'CPU time per second of wall-clock time (user + system); 100% is one full core.',
      unit: 'percentunit',
      width: 8,
      min: 0,
      targets: [
        {
          expr: orZero(
            sum(rate(series('process_cpu_seconds_total', SELECTED)), BY_SERVICE),
            BY_SERVICE,
          ),
          legend: '{{service_name}}',
        },
      ],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Active handles',
      description:
        'Open libuv handles (sockets, timers, files) per process. Steady growth means something is not being closed.',
      unit: 'short',
      width: 12,
      min: 0,
      targets: [
        {
          expr: gauge('max', series('nodejs_active_handles_total', SELECTED), BY_SERVICE),
          legend: '{{service_name}}',
        },
      ],
    }),
  );
  d.withPanel(
    timeseries({
      title: 'Telemetry dropped or failed',
      description:
        'Spans and log records the SDK dropped (queue full) and export failures per second. Non-zero means a backend is down or too slow; the app itself is unaffected.',
      unit: 'ops',
      width: 12,
      min: 0,
      targets: [
        {
          expr: counterRate(series('o11y_sdk_spans_dropped_total', SELECTED), BY_SERVICE),
          legend: '{{service_name}} spans dropped',
        },
        {
          expr: counterRate(series('o11y_sdk_log_records_dropped_total', SELECTED), BY_SERVICE),
          legend: '{{service_name}} log records dropped',
        },
        {
          expr: counterRate(series('o11y_sdk_export_failures_total', SELECTED), [
            'service_name',
            'signal',
          ]),
          legend: '{{service_name}} {{signal}} export failures',
        },
      ],
    }),
  );
  return d;
}
