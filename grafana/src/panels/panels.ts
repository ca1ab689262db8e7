// Panel factories: every panel gets a title, a description and a unit (dashboard-linter rules),
// its datasource through the dashboard variable, visible legends, and refIds on its targets
// (the foundation SDK sets none).
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  GraphThresholdsStyleConfigBuilder,
  GraphThresholdsStyleMode,
  StackingConfigBuilder,
  StackingMode,
  LegendDisplayMode,
  LegendPlacement,
  LogsSortOrder,
  SortOrder,
  TooltipDisplayMode,
  VisibilityMode,
  BigValueGraphMode,
  BigValueColorMode,
  ReduceDataOptionsBuilder,
  VizLegendOptionsBuilder,
  VizTooltipOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardLinkBuilder,
  MappingType,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  type ValueMapping,
} from '@grafana/grafana-foundation-sdk/dashboard';
import * as logsPanel from '@grafana/grafana-foundation-sdk/logs';
import * as lokiQuery from '@grafana/grafana-foundation-sdk/loki';
import * as promQuery from '@grafana/grafana-foundation-sdk/prometheus';
import * as statPanel from '@grafana/grafana-foundation-sdk/stat';
import * as stateTimelinePanel from '@grafana/grafana-foundation-sdk/statetimeline';
import * as timeseriesPanel from '@grafana/grafana-foundation-sdk/timeseries';

import { loki, prometheus } from './datasources.js';

export interface PromTarget {
  expr: string;
  legend: string;
  /** Ask Prometheus for exemplars (trace ids) with this query. */
  exemplar?: boolean;
  /** One value at the end of the range instead of a series (stat panels). */
  instant?: boolean;
}

export interface PanelCommon {
  title: string;
  description: string;
  unit: string;
  width: number;
  height?: number;
  links?: { title: string; url: string }[];
}

const refIds = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function refId(index: number): string {
  const id = refIds[index];
  if (id === undefined) throw new Error('a panel has more targets than refIds');
  return id;
}

function promTargets(targets: PromTarget[]): cog.Builder<cog.Dataquery>[] {
  return targets.map((t, i) => {
    const q = new promQuery.DataqueryBuilder()
      .datasource(prometheus)
      .expr(t.expr)
      .legendFormat(t.legend)
      .refId(refId(i));
    if (t.exemplar === true) q.exemplar(true);
    if (t.instant === true) q.instant();
    else q.range();
    return q;
  });
}

function dataLinks(links: PanelCommon['links']): DashboardLinkBuilder[] {
  return (links ?? []).map((l) => new DashboardLinkBuilder(l.title).url(l.url));
}

export interface TimeseriesOptions extends PanelCommon {
  targets: PromTarget[];
  min?: number;
  max?: number;
  stacked?: boolean;
  /** Horizontal threshold lines (value, colour), e.g. burn-rate alert levels. */
  thresholdLines?: { value: number; color: string }[];
}

export function timeseries(o: TimeseriesOptions): timeseriesPanel.PanelBuilder {
  const p = new timeseriesPanel.PanelBuilder()
    .title(o.title)
    .description(o.description)
    .unit(o.unit)
    .datasource(prometheus)
    .span(o.width)
    .height(o.height ?? 8)
    .lineWidth(1)
    .fillOpacity(o.stacked === true ? 30 : 10)
    .showPoints(VisibilityMode.Never)
    .legend(
      new VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(LegendDisplayMode.List)
        .placement(LegendPlacement.Bottom)
        .calcs([]),
    )
    .tooltip(
      new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending),
    )
    .targets(promTargets(o.targets));
  if (o.stacked === true) p.stacking(new StackingConfigBuilder().mode(StackingMode.Normal));
  if (o.min !== undefined) p.min(o.min);
  if (o.max !== undefined) p.max(o.max);
  if (o.links) p.dataLinks(dataLinks(o.links));
  if (o.thresholdLines) {
    p.thresholds(
      new ThresholdsConfigBuilder()
        .mode(ThresholdsMode.Absolute)
        .steps([
          { value: null, color: 'green' },
          ...o.thresholdLines.map((t) => ({ value: t.value, color: t.color })),
        ]),
    );
    p.thresholdsStyle(
      new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Dashed),
    );
  }
  return p;
}

export interface StatOptions extends PanelCommon {
  targets: PromTarget[];
  thresholds?: { value: number | null; color: string }[];
  mappings?: ValueMapping[];
}

export function stat(o: StatOptions): statPanel.PanelBuilder {
  const p = new statPanel.PanelBuilder()
    .title(o.title)
    .description(o.description)
    .unit(o.unit)
    .datasource(prometheus)
    .span(o.width)
    .height(o.height ?? 5)
    .graphMode(BigValueGraphMode.None)
    .colorMode(BigValueColorMode.Value)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .targets(promTargets(o.targets.map((t) => ({ ...t, instant: true }))));
  if (o.thresholds)
    p.thresholds(new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(o.thresholds));
  if (o.mappings) p.mappings(o.mappings);
  if (o.links) p.dataLinks(dataLinks(o.links));
  return p;
}

/** Value mappings that show a numeric state as text in a colour (e.g. circuit breaker states). */
export function stateMappings(
  states: { value: number; text: string; color: string }[],
): ValueMapping[] {
  const options: Record<string, { text: string; color: string; index: number }> = {};
  states.forEach((s, index) => {
    options[String(s.value)] = { text: s.text, color: s.color, index };
  });
  return [{ type: MappingType.ValueToText, options }];
}

export interface StateTimelineOptions extends PanelCommon {
  targets: PromTarget[];
  mappings: ValueMapping[];
}

export function stateTimeline(o: StateTimelineOptions): stateTimelinePanel.PanelBuilder {
  return new stateTimelinePanel.PanelBuilder()
    .title(o.title)
    .description(o.description)
    .unit(o.unit)
    .datasource(prometheus)
    .span(o.width)
    .height(o.height ?? 8)
    .mappings(o.mappings)
    .showValue(VisibilityMode.Auto)
    .mergeValues(true)
    .legend(
      new VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(LegendDisplayMode.List)
        .placement(LegendPlacement.Bottom)
        .calcs([]),
    )
    .targets(promTargets(o.targets));
}

export interface LogsOptions extends PanelCommon {
  expr: string;
}

export function logs(o: LogsOptions): logsPanel.PanelBuilder {
  return new logsPanel.PanelBuilder()
    .title(o.title)
    .description(o.description)
    .unit(o.unit)
    .datasource(loki)
    .span(o.width)
    .height(o.height ?? 12)
    .showTime(true)
    .wrapLogMessage(true)
    .enableLogDetails(true)
    .sortOrder(LogsSortOrder.Descending)
    .targets([
      new lokiQuery.DataqueryBuilder().datasource(loki).expr(o.expr).refId('A').maxLines(1000),
    ]);
}

export interface LokiTimeseriesOptions extends PanelCommon {
  targets: { expr: string; legend: string }[];
  stacked?: boolean;
}

/** A time series of a LogQL metric query (e.g. log lines per second by severity). */
export function lokiTimeseries(o: LokiTimeseriesOptions): timeseriesPanel.PanelBuilder {
  return new timeseriesPanel.PanelBuilder()
    .title(o.title)
    .description(o.description)
    .unit(o.unit)
    .datasource(loki)
    .span(o.width)
    .height(o.height ?? 8)
    .fillOpacity(o.stacked === true ? 60 : 10)
    .showPoints(VisibilityMode.Never)
    .legend(
      new VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(LegendDisplayMode.List)
        .placement(LegendPlacement.Bottom)
        .calcs([]),
    )
    .targets(
      o.targets.map((t, i) =>
        new lokiQuery.DataqueryBuilder()
          .datasource(loki)
          .expr(t.expr)
          .legendFormat(t.legend)
          .refId(refId(i)),
      ),
    );
}
