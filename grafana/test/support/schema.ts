// The foundation SDK ships no JSON schema for dashboards; its schema is its TypeScript types
// (generated from Grafana's own CUE kinds). So each committed JSON file is checked against those
// types by the TypeScript compiler: the JSON is embedded as an object literal typed as the SDK's
// Dashboard, with panels typed by plugin (timeseries, stat, logs, state-timeline options) and
// targets as Prometheus or Loki queries. Excess-property checks make unknown keys errors too.
import { dirname, join } from 'node:path';
import ts from 'typescript';

import { grafanaDir } from './paths.js';

const preamble = `
import type { Dashboard, FieldConfig, FieldConfigSource, Panel, RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';
import type * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import type * as loki from '@grafana/grafana-foundation-sdk/loki';
import type * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import type * as stat from '@grafana/grafana-foundation-sdk/stat';
import type * as logs from '@grafana/grafana-foundation-sdk/logs';
import type * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';

type Fn = (...args: never[]) => unknown;
type IsAny<T> = 0 extends 1 & T ? true : false;
// What a value of type T looks like in JSON: string enums as their values, no methods.
type Json<T> = IsAny<T> extends true
  ? unknown
  : T extends Fn
    ? never
    : T extends string
      ? \`\${T}\`
      : T extends number | boolean | null | undefined
        ? T
        : T extends readonly (infer U)[]
          ? Json<U>[]
          : T extends object
            ? { [K in keyof T as T[K] extends Fn ? never : K]: Json<T[K]> }
            : T;

type Query = Json<prometheus.Dataquery> | Json<loki.dataquery>;
type FieldConfigOf<Custom> = {
  defaults: Json<Omit<FieldConfig, 'custom'>> & { custom?: Custom };
  overrides: Json<FieldConfigSource['overrides']>;
};
type PanelBase = Json<Omit<Panel, 'type' | 'options' | 'fieldConfig' | 'targets'>> & { targets?: Query[] };
type NoCustom = Record<string, never>;
type TypedPanel =
  | (PanelBase & { type: 'timeseries'; options?: Json<timeseries.Options>; fieldConfig?: FieldConfigOf<Json<timeseries.FieldConfig>> })
  | (PanelBase & { type: 'stat'; options?: Json<stat.Options>; fieldConfig?: FieldConfigOf<NoCustom> })
  | (PanelBase & { type: 'logs'; options?: Json<logs.Options>; fieldConfig?: FieldConfigOf<NoCustom> })
  | (PanelBase & { type: 'state-timeline'; options?: Json<statetimeline.Options>; fieldConfig?: FieldConfigOf<Json<statetimeline.FieldConfig>> });
type Row = Json<Omit<RowPanel, 'panels'>> & { panels: TypedPanel[] };
type DashboardJson = Json<Omit<Dashboard, 'panels'>> & { panels?: (TypedPanel | Row)[] };

export const dashboard: DashboardJson = `;

const options: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2023,
  types: [],
};

/** Type errors of each dashboard JSON text against the SDK's types (empty when valid). */
export function checkAgainstSdkTypes(
  files: { file: string; text: string }[],
): Map<string, string[]> {
  const dir = join(grafanaDir, 'test', 'schema-check');
  const virtual = new Map(
    files.map((f) => [
      join(dir, `${f.file.replace(/\.json$/, '')}.ts`),
      `${preamble}${f.text.trimEnd()};\n`,
    ]),
  );
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, onError, create) => {
    const text = virtual.get(name);
    return text !== undefined
      ? ts.createSourceFile(name, text, version)
      : getSourceFile(name, version, onError, create);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => virtual.has(name) || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => virtual.get(name) ?? readFile(name);
  // The virtual files' folder does not exist: resolve packages from grafana/ (same node_modules).
  host.getCurrentDirectory = () => dirname(dir);
  const program = ts.createProgram([...virtual.keys()], options, host);
  const out = new Map<string, string[]>(files.map((f) => [f.file, []]));
  for (const [path] of virtual) {
    const file =
      files.find((f) => path.endsWith(`${f.file.replace(/\.json$/, '')}.ts`))?.file ?? path;
    const diagnostics = ts.getPreEmitDiagnostics(program, program.getSourceFile(path));
    out.set(
      file,
      diagnostics.map((d) => {
        const where =
          d.file && d.start !== undefined
            ? d.file.getLineAndCharacterOfPosition(d.start)
            : undefined;
        const line = where ? where.line + 1 - preamble.split('\n').length + 1 : 0;
        return `${file}:${line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      }),
    );
  }
  return out;
}
