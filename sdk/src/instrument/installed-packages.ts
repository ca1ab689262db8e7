import { readdirSync, readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

// Which packages the app can resolve decides which instrumentations load. Asking Node's resolver
// (createRequire().resolve) for each of ~30 packages cost 12 ms at startup, mostly failed
// lookups probing every node_modules folder up the tree. Listing those folders once and checking
// names against the lists answers the same question in well under a millisecond.

type WithPaths = typeof Module & { _nodeModulePaths?: (from: string) => string[] };

function listing(dir: string): Set<string> {
  try {
    return new Set(readdirSync(dir));
  } catch {
    return new Set();
  }
}

/** The packages installed where `bases` resolve bare specifiers from: node_modules folders up the tree, and NODE_PATH. */
export class InstalledPackages {
  private readonly folders: string[];
  private readonly lists = new Map<string, Set<string>>();
  private readonly fallback: ((pkg: string) => boolean) | undefined;

  constructor(bases: Iterable<string>) {
    const nodeModulePaths = (Module as WithPaths)._nodeModulePaths;
    const folders = new Set<string>();
    for (const base of bases)
      if (nodeModulePaths !== undefined) for (const f of nodeModulePaths(base)) folders.add(f);
    for (const f of (process.env.NODE_PATH ?? '').split(delimiter)) if (f !== '') folders.add(f);
    this.folders = [...folders];
    // Yarn Plug'n'Play has no node_modules to list, and a Node without _nodeModulePaths is
    // unknown ground: ask the resolver there.
    if ((process.versions as { pnp?: string }).pnp !== undefined || nodeModulePaths === undefined) {
      const requires = [...bases].map((b) => createRequire(join(b, 'noop.js')));
      this.fallback = (pkg) =>
        requires.some((r) => {
          try {
            r.resolve(pkg);
            return true;
          } catch {
            return false;
          }
        });
    }
  }

  /** Whether `pkg` is installed; `@scope/prefix*` matches any package of the scope with that prefix. */
  has(pkg: string): boolean {
    const slash = pkg.startsWith('@') ? pkg.indexOf('/') : -1;
    const scope = slash > 0 ? pkg.slice(0, slash) : undefined;
    const name = slash > 0 ? pkg.slice(slash + 1) : pkg;
    const prefix = scope !== undefined && name.endsWith('*') ? name.slice(0, -1) : undefined;
    if (this.fallback !== undefined) return prefix === undefined && this.fallback(pkg);
    for (const folder of this.folders) {
      const top = this.list(folder);
      if (scope === undefined) {
        if (top.has(name)) return true;
        continue;
      }
      if (!top.has(scope)) continue;
      const scoped = this.list(join(folder, scope));
      if (prefix === undefined ? scoped.has(name) : [...scoped].some((n) => n.startsWith(prefix)))
        return true;
    }
    return false;
  }

  /**
   * Whether an installed package is published as ES modules only (`"type": "module"`): what it
   * imports (express under NestJS 12, say) is patched only through the ES module loader hook,
   * even in a CommonJS app.
   */
  isEsm(pkg: string): boolean {
    for (const folder of this.folders) {
      try {
        const json = JSON.parse(readFileSync(join(folder, pkg, 'package.json'), 'utf8')) as {
          type?: string;
        };
        return json.type === 'module';
      } catch {
        // not in this folder
      }
    }
    return false;
  }

  private list(dir: string): Set<string> {
    let names = this.lists.get(dir);
    if (names === undefined) this.lists.set(dir, (names = listing(dir)));
    return names;
  }
}
