/* eslint-disable @typescript-eslint/no-require-imports -- required lazily on purpose: only what is used is loaded, which keeps startup fast */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { appDirectory } from '../config/app-package';
import { warnOnce } from '../config/warn';
import { ClientSpans } from '../http/client-spans';
import { ExpressRoutes } from '../http/express-routes';
import { FetchSpans } from '../http/fetch-spans';
import { ServerSpans } from '../http/server-spans';

interface Candidate {
  /** Package the app must be able to resolve; undefined for Node built-ins. */
  target?: string;
  /** Module names the ESM hook must wrap for this instrumentation. */
  esm: string[];
  load: () => Instrumentation | Instrumentation[];
}

// Each instrumentation is required only when it will be used: importing them all is what makes
// upstream's auto-instrumentations slow to start.
const CANDIDATES: Record<string, Candidate> = {
  http: {
    // The SDK's own: patched in place for CommonJS and ES modules alike (no loader hook needed).
    esm: [],
    load: () => [new ServerSpans(), new ClientSpans()],
  },
  express: {
    target: 'express',
    esm: ['express'],
    // The SDK's own: route templates only (no layer spans, nothing wrapped per request).
    load: () => new ExpressRoutes(),
  },
  undici: {
    esm: [],
    // The SDK's own, from undici's diagnostics channels (Node's fetch included).
    load: () => new FetchSpans(),
  },
  pg: {
    target: 'pg',
    esm: ['pg', 'pg-pool'],
    load: () => {
      const { PgInstrumentation } =
        require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
      return new PgInstrumentation({ requireParentSpan: true });
    },
  },
  amqplib: {
    target: 'amqplib',
    esm: ['amqplib'],
    load: () => {
      const { AmqplibInstrumentation } =
        require('@opentelemetry/instrumentation-amqplib') as typeof import('@opentelemetry/instrumentation-amqplib');
      return new AmqplibInstrumentation();
    },
  },
  ioredis: {
    target: 'ioredis',
    esm: ['ioredis'],
    load: () => {
      const { IORedisInstrumentation } =
        require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis');
      return new IORedisInstrumentation({ requireParentSpan: true });
    },
  },
  pino: {
    target: 'pino',
    esm: ['pino'],
    load: () => {
      const { PinoInstrumentation } =
        require('@opentelemetry/instrumentation-pino') as typeof import('@opentelemetry/instrumentation-pino');
      // Correlation only: the SDK's transport is the one path that ships log lines.
      return new PinoInstrumentation({ disableLogSending: true });
    },
  },
};

/** Whether the app itself (not the SDK) can resolve a package. */
export function appCanResolve(pkg: string): boolean {
  for (const dir of new Set([appDirectory(), process.cwd()])) {
    try {
      createRequire(join(dir, 'noop.js')).resolve(pkg);
      return true;
    } catch {
      // try the next base directory
    }
  }
  return false;
}

/** The instrumentations to enable, and the module names the ESM hook has to wrap for them. */
export function selectInstrumentations(names: Set<string>): {
  instrumentations: Instrumentation[];
  esmModules: string[];
} {
  const instrumentations: Instrumentation[] = [];
  const esmModules: string[] = [];
  for (const name of names) {
    const c = CANDIDATES[name];
    if (c === undefined) {
      warnOnce(
        `instr:${name}`,
        `instrumentation ${JSON.stringify(name)} is not bundled with @o11y/sdk; it stays off`,
      );
      continue;
    }
    if (c.target !== undefined && !appCanResolve(c.target)) continue;
    try {
      instrumentations.push(...[c.load()].flat());
      esmModules.push(...c.esm);
    } catch (err) {
      warnOnce(
        `instr:${name}`,
        `instrumentation ${name} failed to load (${(err as Error).message}); it stays off`,
      );
    }
  }
  return { instrumentations, esmModules };
}
