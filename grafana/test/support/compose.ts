// docker-compose.yml as the compose tests read it: the parsed file (merge keys applied), the
// document with its comments (a hardening exception must say why, next to where it is made).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isNode, isScalar, isSeq, parse, parseDocument } from 'yaml';

import { repoDir } from './paths.js';

export interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  command?: string[];
  entrypoint?: string[];
  healthcheck?: { test: string[] };
  logging?: { driver: string; options?: Record<string, string> };
  deploy?: {
    resources?: { limits?: { memory?: string; cpus?: string | number; pids?: number } };
  };
  restart?: string;
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
  cap_add?: string[];
  security_opt?: string[];
  tmpfs?: string[];
  privileged?: boolean;
}

export interface Compose {
  name?: string;
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

export const composePath = join(repoDir, 'docker-compose.yml');
export const composeText = readFileSync(composePath, 'utf8');
export const compose = parse(composeText, { merge: true }) as Compose;
export const services = Object.entries(compose.services);
export const composeDoc = parseDocument(composeText, { merge: true });

/** The comment written right above `key` in a service (or above the first item of its list). */
export function commentAt(service: string, key: string): string {
  const services = composeDoc.get('services');
  const svc = isMap(services) ? services.get(service) : undefined;
  if (!isMap(svc)) return '';
  const pair = svc.items.find((p) => isScalar(p.key) && p.key.value === key);
  if (!pair || !isScalar(pair.key)) return '';
  const list = isSeq(pair.value) ? pair.value : undefined;
  const first: unknown = list?.items[0];
  return (
    pair.key.commentBefore ??
    list?.commentBefore ??
    (isNode(first) ? first.commentBefore : undefined) ??
    ''
  ).trim();
}
