import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';

import { prometheus, prometheusVariable } from '../panels/datasources.js';

export const TAG = 'o11y';

/** Common frame of every dashboard: uid, tags, time, links to its siblings, the datasource variable. */
export function skeleton(uid: string, title: string, description: string): DashboardBuilder {
  return (
    new DashboardBuilder(title)
      .uid(uid)
      .description(description)
      .tags([TAG])
      // Provisioned from files: edits in the UI could not be saved back, so do not invite them.
      .readonly()
      .tooltip(DashboardCursorSync.Crosshair)
      .time({ from: 'now-1h', to: 'now' })
      .refresh('30s')
      .timezone('browser')
      .link(
        new DashboardLinkBuilder('Dashboards')
          .type(DashboardLinkType.Dashboards)
          .tags([TAG])
          .asDropdown(true)
          .includeVars(false)
          .keepTime(true),
      )
      // Grafana's built-in annotations (alerts, manual notes): without this entry the JSON has
      // an empty annotations object where Grafana expects a list.
      .annotation(
        new AnnotationQueryBuilder()
          .name('Annotations & Alerts')
          .builtIn(1)
          .datasource({ type: 'grafana', uid: '-- Grafana --' })
          .enable(true)
          .hide(true)
          .iconColor('rgba(0, 211, 255, 1)')
          .type('dashboard'),
      )
      .withVariable(prometheusVariable())
  );
}

/**
 * `$service`: every process that runs the SDK, found from a metric each one exposes from startup
 * (so an idle service is still listed). `exclude` drops processes that serve no HTTP.
 */
export function serviceVariable(options: {
  multi: boolean;
  exclude?: readonly string[];
}): QueryVariableBuilder {
  const v = new QueryVariableBuilder('service')
    .label('Service')
    .datasource(prometheus)
    .query('label_values(process_start_time_seconds, service_name)')
    .definition('label_values(process_start_time_seconds, service_name)')
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(options.multi)
    .includeAll(options.multi);
  if (options.exclude && options.exclude.length > 0)
    v.regex(`/^(?!(${options.exclude.join('|')})$).*/`);
  if (options.multi) v.current({ selected: true, text: ['All'], value: ['$__all'] });
  else v.current({ selected: true, text: 'gateway', value: 'gateway' });
  return v;
}

/** URL of the service detail dashboard for one service, keeping the time range. */
export function serviceDetailUrl(service: string): string {
  return `/d/o11y-service/service-detail?var-service=${service}&\${__url_time_range}`;
}
