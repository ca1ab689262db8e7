import type { OtlpProtocol } from './options';
import { warnOnce } from './warn';

// Reading one environment variable: trimmed, validated, a bad value reported once and replaced.

export type Env = Record<string, string | undefined>;

/** A variable's trimmed value; set but empty counts as unset, as the spec says. */
export function raw(env: Env, name: string): string | undefined {
  const v = env[name];
  if (v === undefined) return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

export function bad(name: string, value: string, used: string | number | boolean, why = ''): void {
  warnOnce(
    `env:${name}=${value}`,
    `${name}=${JSON.stringify(value)} is invalid${why ? ` (${why})` : ''}; using ${String(used)} instead`,
  );
}

export function boolEnv(env: Env, name: string, def: boolean): boolean {
  const v = raw(env, name);
  if (v === undefined) return def;
  const l = v.toLowerCase();
  if (l === 'true' || l === '1') return true;
  if (l === 'false' || l === '0') return false;
  bad(name, v, def, 'expected true or false');
  return def;
}

export function intEnv(env: Env, name: string, def: number, min: number, max: number): number {
  const v = raw(env, name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    bad(name, v, def, `expected an integer from ${min} to ${max}`);
    return def;
  }
  return n;
}

export function urlValue(name: string, v: string | undefined, def: string): string {
  if (v === undefined) return def;
  try {
    const u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    return v;
  } catch {
    bad(name, v, def, 'expected an http(s) URL');
    return def;
  }
}

export function protocolValue(
  name: string,
  v: string | undefined,
  def: OtlpProtocol,
): OtlpProtocol {
  if (v === undefined) return def;
  if (v === 'http/protobuf' || v === 'http/json') return v;
  bad(name, v, def, 'supported: http/protobuf, http/json');
  return def;
}
