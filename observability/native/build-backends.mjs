#!/usr/bin/env node
// Builds the native backends (Prometheus + promtool, Jaeger v2, VictoriaLogs) and the workflow
// linter (actionlint) from their Go modules at the versions pinned in observability/versions.env,
// once: binaries are cached per name, version and build flags, so every later run only checks
// that the files exist.
//
// Loki is deliberately absent: its Go module is AGPL and may not be built here. VictoriaLogs
// (Apache-2.0, native OTLP logs ingestion) stands in for it natively; compose keeps Loki.
//
// Usage: node observability/native/build-backends.mjs [prometheus|jaeger|victoria-logs|actionlint ...]
// Env:   O11Y_CACHE_DIR (default $HOME/.cache/o11y), GO (default "go").
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readVersions, requireVersion, versionsFile } from './versions.mjs';

// Jaeger's v2.x.y tags are not valid Go module versions (the module has no /v2 suffix). Up to
// v2.13.0 every v2 tag sits on the same commit as a v1 tag, which IS a module version; later v2
// tags are only reachable as commits (pseudo-versions), which the module proxy available here
// refuses to serve. So: v2 tag -> module version, or -> commit where no v1 tag exists.
// Add a line when bumping JAEGER_VERSION (`git tag --points-at v2.x.y` / `git rev-parse v2.x.y^{commit}`).
export const JAEGER_MODULE_VERSIONS = {
  '2.10.0': 'v1.73.0',
  '2.11.0': 'v1.74.0',
  '2.12.0': 'v1.75.0',
  '2.13.0': 'v1.76.0',
  '2.20.0': '798e4b0fcf22609e381df764a01461affd813e1e',
};

/** Root of the binary cache; outside the repo by default so fresh CI clones reuse it. */
export function cacheDir() {
  return process.env.O11Y_CACHE_DIR || join(homedir(), '.cache', 'o11y');
}

/**
 * @typedef {{ name: string, version: string, module: string, moduleVersion: string,
 *   packages: string[], binaries: string[], tags: string[], ldflags: string,
 *   replaces: string[] }} BackendSpec
 */

// Applied to every build. -trimpath keeps the build machine's paths out of the binaries.
// -s -w drops the symbol table and DWARF data: nobody attaches a debugger to these binaries,
// panics still print file:line (that comes from pclntab), and the binaries shrink by about a
// third, which is what a CI cache uploads and downloads on every miss.
export const COMMON_GOFLAGS = ['-trimpath'];
export const COMMON_LDFLAGS = '-s -w';

/**
 * Prometheus build tags. `remove_all_sd` drops every service discovery plugin under plugins/
 * (cloud and orchestrator SDKs: AWS, Azure, GCE, OCI, OpenStack, Consul, Docker...), which are
 * most of what a cold build downloads and compiles; static, file and HTTP discovery stay, as
 * they are built in (plugins/minimum.go). The native stack scrapes fixed targets only, and a
 * test checks that prometheus.yml keeps to the mechanisms this build has. To add one back, add
 * its `enable_<name>_sd` tag here.
 */
export const PROMETHEUS_TAGS = ['remove_all_sd'];

/**
 * @param {Record<string, string>} [versions]
 * @returns {BackendSpec[]}
 */
export function backendSpecs(versions = readVersions()) {
  const prom = requireVersion(versions, 'PROMETHEUS_VERSION');
  const [major, minor, patch] = prom.split('.');
  if (major !== '3' || minor === undefined || patch === undefined) {
    throw new Error(`PROMETHEUS_VERSION=${prom}: expected 3.x.y (published as module v0.3xx.y)`);
  }
  const jaeger = requireVersion(versions, 'JAEGER_VERSION');
  const jaegerModuleVersion = /** @type {Record<string, string>} */ (JAEGER_MODULE_VERSIONS)[
    jaeger
  ];
  if (!jaegerModuleVersion) {
    throw new Error(
      `JAEGER_VERSION=${jaeger} has no known module version; add it to JAEGER_MODULE_VERSIONS in ` +
        'observability/native/build-backends.mjs',
    );
  }
  const vl = requireVersion(versions, 'VICTORIALOGS_VERSION');
  const actionlint = requireVersion(versions, 'ACTIONLINT_VERSION');
  return [
    {
      name: 'prometheus',
      version: prom,
      module: 'github.com/prometheus/prometheus',
      moduleVersion: `v0.${Number(minor) + 300}.${patch}`,
      packages: ['cmd/prometheus', 'cmd/promtool'],
      binaries: ['prometheus', 'promtool'],
      tags: PROMETHEUS_TAGS,
      replaces: [],
      // Fills prometheus_build_info and --version, which the module build leaves empty.
      ldflags: `-X github.com/prometheus/common/version.Version=${prom}`,
    },
    {
      name: 'jaeger',
      version: jaeger,
      module: 'github.com/jaegertracing/jaeger',
      moduleVersion: jaegerModuleVersion,
      packages: ['cmd/jaeger'],
      binaries: ['jaeger'],
      // No lean variant exists: the module has no build tags for its components, and the
      // component list (cmd/jaeger/internal/components.go) and the storage extension are in
      // internal packages that no other module may import to assemble a smaller binary.
      tags: [],
      ldflags: '',
      // Jaeger's go.mod pins sarama with a replace directive, which `go install mod@version`
      // refuses; the build then runs in a generated wrapper module that repeats it.
      replaces: ['github.com/Shopify/sarama => github.com/Shopify/sarama v1.33.0'],
    },
    {
      name: 'victoria-logs',
      version: vl,
      module: 'github.com/VictoriaMetrics/VictoriaLogs',
      moduleVersion: `v${vl}`,
      packages: ['app/victoria-logs'],
      binaries: ['victoria-logs'],
      tags: [],
      replaces: [],
      ldflags: '',
    },
    {
      // Lints .github/workflows in `npm test`. Built like the backends so that the version is
      // pinned in the same file and a fresh clone needs nothing beyond Go.
      name: 'actionlint',
      version: actionlint,
      module: 'github.com/rhysd/actionlint',
      moduleVersion: `v${actionlint}`,
      packages: ['cmd/actionlint'],
      binaries: ['actionlint'],
      tags: [],
      replaces: [],
      ldflags: '',
    },
  ];
}

/**
 * Short hash of everything that decides what the build produces besides name and version
 * (module version, packages, tags, linker flags, replaces, common Go flags), so a binary built
 * with other flags is never taken for this one. The Go toolchain version is left out on purpose:
 * a toolchain update does not change what the backends do for this project, and would otherwise
 * cost every machine a full rebuild.
 * @param {BackendSpec} spec
 */
export function buildKey(spec) {
  const plan = {
    module: spec.module,
    moduleVersion: spec.moduleVersion,
    packages: spec.packages,
    tags: spec.tags,
    ldflags: [COMMON_LDFLAGS, spec.ldflags].filter(Boolean).join(' '),
    replaces: spec.replaces,
    goflags: COMMON_GOFLAGS,
  };
  return createHash('sha256').update(JSON.stringify(plan)).digest('hex').slice(0, 10);
}

/** @param {BackendSpec} spec */
export function backendDir(spec) {
  return join(cacheDir(), 'backends', `${spec.name}-${spec.version}-${buildKey(spec)}`);
}

/**
 * The command that builds one backend, for messages that tell a person what to run.
 * @param {BackendSpec} spec
 */
export function buildCommand(spec) {
  return `node observability/native/build-backends.mjs ${spec.name}`;
}

/** @param {BackendSpec} spec */
export function isBuilt(spec) {
  const dir = backendDir(spec);
  return (
    existsSync(join(dir, 'build-info.json')) && spec.binaries.every((b) => existsSync(join(dir, b)))
  );
}

/**
 * Paths of every binary, keyed by binary name; throws if one is not built.
 * @param {BackendSpec[]} [specs]
 * @returns {Record<string, string>}
 */
export function binaryPaths(specs = backendSpecs()) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const spec of specs) {
    if (!isBuilt(spec)) {
      throw new Error(`${spec.name} ${spec.version} is not built; run: ${buildCommand(spec)}`);
    }
    for (const b of spec.binaries) out[b] = join(backendDir(spec), b);
  }
  return out;
}

/** @param {number} ms */
export function formatDuration(ms) {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** @param {number} pid */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * One build per backend at a time, across processes (a test run and the stack may race).
 * @param {string} lockDir
 * @param {(msg: string) => void} log
 */
async function acquireLock(lockDir, log) {
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      return () => rmSync(lockDir, { recursive: true, force: true });
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'EEXIST') throw err;
      let owner = 0;
      try {
        owner = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
      } catch {
        // pid not written yet: the owner is just starting
      }
      if (owner && !alive(owner)) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (!announced) {
        log(`waiting for another build (pid ${owner || '?'}) holding ${lockDir}`);
        announced = true;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

function goBinary() {
  return process.env.GO || 'go';
}

function goVersion() {
  const r = spawnSync(goBinary(), ['version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      `Go toolchain not found (${goBinary()}): the native backends are built from their Go ` +
        'modules; install Go >= 1.26 or set GO=/path/to/go',
    );
  }
  return r.stdout.trim();
}

/**
 * @param {BackendSpec} spec
 * @param {{ log?: (msg: string) => void, progressEveryMs?: number }} [opts]
 * @returns {Promise<{ built: boolean, seconds: number }>}
 */
export async function buildBackend(spec, opts = {}) {
  const log = opts.log ?? ((m) => console.log(`[backends] ${m}`));
  if (isBuilt(spec)) return { built: false, seconds: 0 };
  const root = join(cacheDir(), 'backends');
  mkdirSync(root, { recursive: true });
  const id = `${spec.name}-${spec.version}-${buildKey(spec)}`;
  const release = await acquireLock(join(root, `.lock-${id}`), log);
  try {
    if (isBuilt(spec)) return { built: false, seconds: 0 };
    const go = goVersion();
    const dir = backendDir(spec);
    const partial = `${dir}.partial`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    const logFile = join(root, `${id}.build.log`);
    const ldflags = [`-ldflags=${[COMMON_LDFLAGS, spec.ldflags].filter(Boolean).join(' ')}`];
    const tags = spec.tags.length ? [`-tags=${spec.tags.join(',')}`] : [];
    const flags = [...tags, ...ldflags];
    const env = {
      ...process.env,
      GOFLAGS: [process.env.GOFLAGS, ...COMMON_GOFLAGS].filter(Boolean).join(' '),
    };
    /** @type {{ args: string[], cwd?: string, env: NodeJS.ProcessEnv }[]} */
    let steps;
    if (spec.replaces.length === 0) {
      const targets = spec.packages.map((p) => `${spec.module}/${p}@${spec.moduleVersion}`);
      steps = [{ args: ['install', ...flags, ...targets], env: { ...env, GOBIN: partial } }];
    } else {
      // A throwaway module that requires the backend and repeats its replace directives.
      const wrapper = join(root, `.wrapper-${id}`);
      rmSync(wrapper, { recursive: true, force: true });
      mkdirSync(wrapper, { recursive: true });
      writeFileSync(
        join(wrapper, 'go.mod'),
        `module o11y.local/build/${spec.name}\n\ngo 1.24\n\n` +
          spec.replaces.map((r) => `replace ${r}\n`).join(''),
      );
      const wrapped = { cwd: wrapper, env: { ...env, GOFLAGS: `${env.GOFLAGS} -mod=mod` } };
      steps = [
        { args: ['get', `${spec.module}@${spec.moduleVersion}`], ...wrapped },
        {
          args: [
            'build',
            ...flags,
            '-o',
            `${partial}/`,
            ...spec.packages.map((p) => `${spec.module}/${p}`),
          ],
          ...wrapped,
        },
      ];
    }
    log(
      `building ${spec.name} ${spec.version} (${spec.module}@${spec.moduleVersion}` +
        `${spec.tags.length ? `, tags ${spec.tags.join(',')}` : ''}); ` +
        `first build takes minutes, log: ${logFile}`,
    );
    const started = Date.now();
    const out = createWriteStream(logFile);
    out.write(`${go}\n`);
    const timer = setInterval(
      () => log(`building ${spec.name} ${spec.version}: ${formatDuration(Date.now() - started)}`),
      opts.progressEveryMs ?? 20_000,
    );
    /** @type {number | null} */
    let code = 0;
    try {
      for (const step of steps) {
        out.write(
          `$ (cd ${step.cwd ?? '.'}) GOFLAGS='${step.env.GOFLAGS}' ${goBinary()} ${step.args.join(' ')}\n`,
        );
        const child = spawn(goBinary(), step.args, {
          cwd: step.cwd,
          env: step.env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        child.stdout.pipe(out, { end: false });
        child.stderr.pipe(out, { end: false });
        code = await new Promise((resolve, reject) => {
          child.on('error', reject);
          child.on('close', resolve);
        });
        if (code !== 0) break;
      }
    } finally {
      clearInterval(timer);
      await new Promise((r) => out.end(r));
    }
    const ms = Date.now() - started;
    if (code !== 0) {
      const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-25).join('\n');
      throw new Error(
        `building ${spec.name} ${spec.version} failed after ${formatDuration(ms)} ` +
          `(go exit ${code}). Last lines of ${logFile}:\n${tail}`,
      );
    }
    writeFileSync(
      join(partial, 'build-info.json'),
      JSON.stringify(
        {
          name: spec.name,
          version: spec.version,
          module: spec.module,
          moduleVersion: spec.moduleVersion,
          buildKey: buildKey(spec),
          tags: spec.tags,
          ldflags: ldflags[0],
          goflags: env.GOFLAGS,
          go,
          buildSeconds: Math.round(ms / 1000),
          builtAt: new Date().toISOString(),
        },
        null,
        2,
      ) + '\n',
    );
    rmSync(dir, { recursive: true, force: true });
    renameSync(partial, dir);
    log(`built ${spec.name} ${spec.version} in ${formatDuration(ms)} -> ${dir}`);
    return { built: true, seconds: Math.round(ms / 1000) };
  } finally {
    release();
  }
}

/**
 * Builds what is missing, one at a time (on a 2-core machine parallel Go builds only thrash).
 * @param {{ only?: string[], log?: (msg: string) => void }} [opts]
 * @returns {Promise<Record<string, string>>} binary name -> path
 */
export async function ensureBackends(opts = {}) {
  const specs = backendSpecs().filter((s) => !opts.only?.length || opts.only.includes(s.name));
  for (const spec of specs) await buildBackend(spec, opts);
  return binaryPaths(specs);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const only = process.argv.slice(2);
  const started = Date.now();
  try {
    const specs = backendSpecs().filter((s) => !only.length || only.includes(s.name));
    const known = backendSpecs().map((s) => s.name);
    const unknown = only.filter((n) => !known.includes(n));
    if (unknown.length) {
      throw new Error(`unknown name: ${unknown.join(' ')} (known: ${known.join(' ')})`);
    }
    for (const spec of specs) {
      await buildBackend(spec);
      const info = JSON.parse(readFileSync(join(backendDir(spec), 'build-info.json'), 'utf8'));
      console.log(
        `[backends] ${spec.name} ${spec.version}: ${backendDir(spec)} ` +
          `(first build took ${formatDuration(info.buildSeconds * 1000)})`,
      );
    }
    console.log(
      `[backends] ready in ${formatDuration(Date.now() - started)} (pins: ${versionsFile})`,
    );
  } catch (err) {
    console.error(`[backends] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
