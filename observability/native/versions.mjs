// Reads observability/versions.env, the single place backend versions are pinned, so the native
// stack builds exactly what docker compose pulls.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const observabilityDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const versionsFile = join(observabilityDir, 'versions.env');

/**
 * @param {string} [file]
 * @returns {Record<string, string>}
 */
export function readVersions(file = versionsFile) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    out[line.slice(0, eq).trim()] = line
      .slice(eq + 1)
      .trim()
      .replace(/^["']|["']$/g, '');
  }
  return out;
}

/**
 * @param {Record<string, string>} versions
 * @param {string} name
 */
export function requireVersion(versions, name) {
  const v = versions[name];
  if (!v) throw new Error(`${name} is not set in ${versionsFile}`);
  return v;
}
