/* eslint-disable @typescript-eslint/no-require-imports -- required lazily on purpose: only what is used is loaded, which keeps startup fast */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { InstrumentationName } from '../config/env';

const clients = () => require('./clients') as typeof import('./clients');
const loggers = () => require('./loggers') as typeof import('./loggers');

export interface Row {
  /**
   * Packages the app must be able to resolve, any one of them, for this row to load; none for
   * Node built-ins. The ES module names the loader hook wraps come from the instrumentation's own
   * module definitions (select.ts), so they are not repeated here.
   */
  targets?: string[];
  load: () => Instrumentation | Instrumentation[];
}

// Every instrumentation the SDK bundles. Each is required only when it will be used: importing
// them all is what makes upstream's auto-instrumentations slow to start. The request path (http,
// fetch, route templates) is the SDK's own, where upstream's cost was measured (see each module);
// everything else is the upstream package that @opentelemetry/auto-instrumentations-node uses.
export const TABLE: Record<InstrumentationName, Row> = {
  // Node built-ins, patched in place for CommonJS and ES modules alike.
  http: {
    load: () => {
      const { ServerSpans } =
        require('./http/server-spans') as typeof import('./http/server-spans');
      const { ClientSpans } =
        require('./http/client-spans') as typeof import('./http/client-spans');
      return [new ServerSpans(), new ClientSpans()];
    },
  },
  undici: {
    // From undici's diagnostics channels: Node's fetch, and undici itself.
    load: () => {
      const { FetchSpans } = require('./http/fetch-spans') as typeof import('./http/fetch-spans');
      return new FetchSpans();
    },
  },

  // Web frameworks: route templates and handler errors onto the server span (frameworks/).
  express: {
    targets: ['express'],
    load: () => {
      const m = require('./frameworks/express') as typeof import('./frameworks/express');
      return new m.ExpressRoutes();
    },
  },
  fastify: {
    targets: ['fastify'],
    load: () => {
      const m = require('./frameworks/fastify') as typeof import('./frameworks/fastify');
      return new m.FastifyRoutes();
    },
  },
  koa: {
    targets: ['koa'],
    load: () => {
      const m = require('./frameworks/koa') as typeof import('./frameworks/koa');
      return new m.KoaRoutes();
    },
  },
  hapi: {
    targets: ['@hapi/hapi'],
    load: () => {
      const m = require('./frameworks/hapi') as typeof import('./frameworks/hapi');
      return new m.HapiRoutes();
    },
  },
  'nestjs-core': {
    targets: ['@nestjs/core'],
    load: () => {
      const m = require('./frameworks/nest') as typeof import('./frameworks/nest');
      return new m.NestErrors();
    },
  },

  // Databases, caches, brokers and RPC (clients.ts).
  pg: { targets: ['pg'], load: () => clients().pg() },
  mysql2: { targets: ['mysql2'], load: () => clients().mysql2() },
  mysql: { targets: ['mysql'], load: () => clients().mysql() },
  redis: { targets: ['redis', '@redis/client'], load: () => clients().redis() },
  ioredis: { targets: ['ioredis'], load: () => clients().ioredis() },
  mongodb: { targets: ['mongodb'], load: () => clients().mongodb() },
  mongoose: { targets: ['mongoose'], load: () => clients().mongoose() },
  knex: { targets: ['knex'], load: () => clients().knex() },
  tedious: { targets: ['tedious'], load: () => clients().tedious() },
  'cassandra-driver': {
    targets: ['cassandra-driver'],
    load: () => clients().cassandra(),
  },
  memcached: { targets: ['memcached'], load: () => clients().memcached() },
  amqplib: { targets: ['amqplib'], load: () => clients().amqplib() },
  kafkajs: { targets: ['kafkajs'], load: () => clients().kafkajs() },
  grpc: { targets: ['@grpc/grpc-js'], load: () => clients().grpc() },
  graphql: { targets: ['graphql'], load: () => clients().graphql() },
  'aws-sdk': {
    // An app on the v3 SDK depends on at least one client package, under npm and pnpm alike; the
    // @smithy packages the instrumentation hooks are only hoisted under npm.
    targets: ['@aws-sdk/client-*'],
    load: () => clients().awsSdk(),
  },
  'socket.io': { targets: ['socket.io'], load: () => clients().socketIo() },

  // Loggers: trace correlation on every record, and shipping over OTLP once (loggers.ts).
  pino: { targets: ['pino'], load: () => loggers().pino() },
  winston: { targets: ['winston'], load: () => loggers().winston() },
  bunyan: { targets: ['bunyan'], load: () => loggers().bunyan() },
};
