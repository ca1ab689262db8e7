import type { Instrumentation, InstrumentationBase } from '@opentelemetry/instrumentation';
import { appDirectory } from '../config/app-package';
import { warnOnce } from '../config/warn';
import { InstalledPackages } from './installed-packages';
import { TABLE, type Row } from './table';

/** The packages an instrumentation hooks: what the ES module loader hook must wrap for it. */
function moduleNames(instrumentation: Instrumentation): string[] {
  const definitions = (instrumentation as Partial<InstrumentationBase>).getModuleDefinitions?.();
  return definitions?.map((d) => d.name) ?? [];
}

/**
 * The instrumentations to enable, and the module names the ESM hook has to wrap for them. A row
 * loads only when the app can resolve its library; when the app named the instrumentations it
 * wants, one it cannot use gets a warning. `esmLibrary` names a library the app uses that is
 * published as ES modules only: the loader hook is needed for it even in a CommonJS app.
 */
export function selectInstrumentations(
  names: Set<string>,
  named = false,
): { instrumentations: Instrumentation[]; esmModules: string[]; esmLibrary?: string } {
  const instrumentations: Instrumentation[] = [];
  const esmModules = new Set<string>();
  // The app's packages (not the SDK's): from its entry's folder and the working directory.
  const installed = new InstalledPackages(new Set([appDirectory(), process.cwd()]));
  let esmLibrary: string | undefined;
  for (const name of names) {
    const row = (TABLE as Record<string, Row | undefined>)[name];
    if (row === undefined) {
      warnOnce(
        `instr:${name}`,
        `instrumentation ${JSON.stringify(name)} is not bundled with @o11y/sdk; it stays off`,
      );
      continue;
    }
    const target = row.targets?.find((t) => installed.has(t));
    if (row.targets !== undefined && target === undefined) {
      if (named)
        warnOnce(
          `instr:${name}`,
          `instrumentation ${name} is enabled but this app cannot resolve ${row.targets.join(' or ')} from ${appDirectory()}; it stays off`,
        );
      continue;
    }
    try {
      if (target !== undefined && !target.endsWith('*') && installed.isEsm(target))
        esmLibrary ??= target;
      for (const instrumentation of [row.load()].flat()) {
        instrumentations.push(instrumentation);
        for (const m of moduleNames(instrumentation)) esmModules.add(m);
      }
    } catch (err) {
      warnOnce(
        `instr:${name}`,
        `instrumentation ${name} failed to load (${(err as Error).message}); it stays off`,
      );
    }
  }
  return { instrumentations, esmModules: [...esmModules], esmLibrary };
}
