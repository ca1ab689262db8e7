#!/usr/bin/env node
// Prints one version's section of CHANGELOG.md (Keep a Changelog layout) for a GitHub release's
// notes: the lines under "## [1.2.3] - 2026-01-31" up to the next "## " heading, without the
// heading and without the link definitions that close the file. Fails, naming the versions the
// changelog has, when the section is missing or empty, so a tag cannot be released without notes.
//
// Usage: node .github/scripts/release-notes.mjs <1.2.3 | v1.2.3 | Unreleased> [CHANGELOG.md]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// "## [1.2.3] - 2026-01-31", "## [Unreleased]", also without brackets or date.
const HEADING = /^##\s+\[?([^\]\s]+)\]?(?:\s+-\s+.*)?\s*$/;
// "[1.2.3]: https://github.com/.../compare/v1.2.2...v1.2.3"
const LINK_DEFINITION = /^\[[^\]]+\]:\s+\S+/;
const FENCE = /^\s*(```|~~~)/;

/** @param {string} version */
function normalise(version) {
  const v = version.trim().replace(/^v(?=\d)/, '');
  return v.toLowerCase() === 'unreleased' ? 'unreleased' : v;
}

/**
 * The versions that have a section, in file order.
 * @param {string} changelog
 * @returns {string[]}
 */
export function versions(changelog) {
  return sections(changelog).map((s) => s.version);
}

/** @param {string} changelog */
function sections(changelog) {
  /** @type {{ version: string, lines: string[] }[]} */
  const out = [];
  let inFence = false;
  for (const line of changelog.split(/\r?\n/)) {
    // A "## " inside a code block is an example, not the next section.
    if (FENCE.test(line)) inFence = !inFence;
    const heading = inFence ? null : HEADING.exec(line);
    if (heading?.[1]) out.push({ version: normalise(heading[1]), lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

/**
 * The body of one version's section, trimmed.
 * @param {string} changelog
 * @param {string} version
 * @returns {string}
 */
export function releaseNotes(changelog, version) {
  const wanted = normalise(version);
  const all = sections(changelog);
  const section = all.find((s) => s.version === wanted);
  if (!section) {
    throw new Error(
      `CHANGELOG.md has no section for ${version} (sections: ${all.map((s) => s.version).join(', ') || 'none'})`,
    );
  }
  const lines = [...section.lines];
  // The link definitions after the last section belong to the file, not to that version.
  while (lines.length) {
    const last = /** @type {string} */ (lines.at(-1));
    if (last.trim() === '' || LINK_DEFINITION.test(last)) lines.pop();
    else break;
  }
  const body = lines.join('\n').trim();
  if (!body) throw new Error(`the CHANGELOG.md section for ${version} is empty`);
  return body;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [version, file = 'CHANGELOG.md'] = process.argv.slice(2);
  try {
    if (!version) {
      throw new Error(
        'usage: node .github/scripts/release-notes.mjs <version|vX.Y.Z|Unreleased> [CHANGELOG.md]',
      );
    }
    process.stdout.write(`${releaseNotes(readFileSync(file, 'utf8'), version)}\n`);
  } catch (err) {
    console.error(`release-notes: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
