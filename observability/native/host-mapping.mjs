// The one transform from the compose-oriented configs to the native stack's: every known
// compose hostname becomes 127.0.0.1 (same ports), and whatever refers to a backend that does
// not run natively (Loki, Grafana) is removed together with the object that holds it (a scrape
// target's static_config, then its now target-less scrape job). No hand-written native copies.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import YAML from 'yaml';

/** Compose hostnames that exist natively, all on 127.0.0.1 with the same ports. */
export const NATIVE_HOSTS = [
  'gateway',
  'users',
  'orders',
  'payments',
  'inventory',
  'shipping',
  'loadgen',
  'jaeger',
  'prometheus',
  'postgres',
  'redis',
  'rabbitmq',
];

/** Compose hostnames with no native counterpart (Loki is replaced by VictoriaLogs natively). */
export const COMPOSE_ONLY_HOSTS = ['loki', 'grafana'];

const NATIVE_ADDRESS = '127.0.0.1';
const DROP = Symbol('drop');

/** @param {string[]} hosts */
function hostPortPattern(hosts) {
  // host:port as a whole word, optionally inside a URL (http://prometheus:9090/...).
  return new RegExp(`(?<![\\w.-])(${hosts.join('|')}):(\\d+)(?![\\w.-])`, 'g');
}
const nativePattern = hostPortPattern(NATIVE_HOSTS);
const composeOnlyPattern = hostPortPattern(COMPOSE_ONLY_HOSTS);

/**
 * @param {string} text
 * @returns {string}
 */
export function mapHostPorts(text) {
  return text.replace(nativePattern, (_m, _host, port) => `${NATIVE_ADDRESS}:${port}`);
}

/**
 * @param {unknown} value
 * @returns {unknown}
 */
function walk(value) {
  if (typeof value === 'string') {
    composeOnlyPattern.lastIndex = 0;
    if (composeOnlyPattern.test(value)) return DROP;
    return mapHostPorts(value);
  }
  if (Array.isArray(value)) {
    const mapped = value.map(walk).filter((v) => v !== DROP);
    // A list emptied by the mapping (targets: [loki:3100]) means its owner has nothing to do.
    return value.length > 0 && mapped.length === 0 ? DROP : mapped;
  }
  if (value && typeof value === 'object') {
    /** @type {Record<string, unknown>} */
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      const mapped = walk(v);
      if (mapped === DROP) return DROP;
      out[k] = mapped;
    }
    return out;
  }
  return value;
}

/**
 * Maps a parsed config (any YAML document) to its native form.
 * @param {unknown} doc
 * @returns {unknown}
 */
export function mapConfig(doc) {
  const mapped = walk(doc);
  if (mapped === DROP) throw new Error('the whole config refers to compose-only hosts');
  return mapped;
}

/**
 * Reads a compose-oriented YAML config, maps it, and writes the native copy.
 * Prometheus' rule_files are made absolute, since the copy lives in another directory.
 * @param {string} source
 * @param {string} destination
 * @returns {unknown} the mapped document
 */
export function writeNativeConfig(source, destination) {
  const doc = /** @type {Record<string, unknown>} */ (
    mapConfig(YAML.parse(readFileSync(source, 'utf8')))
  );
  if (Array.isArray(doc.rule_files)) {
    doc.rule_files = doc.rule_files.map((p) =>
      isAbsolute(String(p)) ? p : resolve(dirname(source), String(p)),
    );
  }
  mkdirSync(dirname(destination), { recursive: true });
  writeFileSync(
    destination,
    `# Generated from ${source} by observability/native/host-mapping.mjs; edit the source.\n` +
      YAML.stringify(doc, { lineWidth: 0 }),
  );
  return doc;
}
