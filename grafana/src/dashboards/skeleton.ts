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

/** Where the service list comes from: every process that runs the SDK exposes it from startup. */
export const SERVICE_LIST_QUERY = 'label_values(process_start_time_seconds, service_name)';

/**
 * A service picker over every `service_name` Prometheus has (no names written here, so a user's
 * own services appear as soon as they are scraped, idle ones included). `service` picks one (its
 * name is what alert links use: `?var-service=`); `service_name` picks many, All by default.
 * A process that serves no HTTP is listed too: its HTTP panels show 0, which is what it served.
 */
export function serviceVariable(name: 'service' | 'service_name'): QueryVariableBuilder {
  const multi = name === 'service_name';
  const v = new QueryVariableBuilder(name)
    .label(multi ? 'Services' : 'Service')
    .datasource(prometheus)
    .query(SERVICE_LIST_QUERY)
    .definition(SERVICE_LIST_QUERY)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(multi)
    .includeAll(multi);
  // All as `.+` rather than the listed names: a service that appeared since the list was last
  // refreshed still counts, and the URL stays short with many services. A single pick has no
  // default: Grafana selects the first service it finds.
  if (multi) v.allValue('.+').current({ selected: true, text: ['All'], value: ['$__all'] });
  return v;
}

/** URL of the service detail dashboard for one service, keeping the time range. */
export function serviceDetailUrl(service: string): string {
  return `/d/o11y-service/service-detail?var-service=${service}&\${__url_time_range}`;
}
