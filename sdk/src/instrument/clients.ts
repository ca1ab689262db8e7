/* eslint-disable @typescript-eslint/no-require-imports -- each loader requires its package only when called: table.ts calls it only when the app can resolve the library */
import {
  context,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';

// The upstream instrumentations that @opentelemetry/auto-instrumentations-node is made of, for
// databases, caches, brokers and RPC. `requireParentSpan` where the package offers it: a pool's
// own background work (health checks, reconnects) outside any request is not a trace anyone reads.

export function pg(): Instrumentation {
  const { PgInstrumentation } =
    require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  return new PgInstrumentation({ requireParentSpan: true });
}

export function mysql2(): Instrumentation {
  const { MySQL2Instrumentation } =
    require('@opentelemetry/instrumentation-mysql2') as typeof import('@opentelemetry/instrumentation-mysql2');
  return new MySQL2Instrumentation();
}

export function mysql(): Instrumentation {
  const { MySQLInstrumentation } =
    require('@opentelemetry/instrumentation-mysql') as typeof import('@opentelemetry/instrumentation-mysql');
  return new MySQLInstrumentation();
}

/** A tracer whose spans without a valid parent (work outside any trace) are not recorded. */
function parentOnly(tracer: Tracer): Tracer {
  const startSpan = (name: string, options?: SpanOptions, ctx: Context = context.active()): Span =>
    options?.root !== true && isSpanContextValid(trace.getSpanContext(ctx) ?? INVALID_SPAN_CONTEXT)
      ? tracer.startSpan(name, options, ctx)
      : trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
  const startActiveSpan = (name: string, ...rest: unknown[]): unknown => {
    const fn = rest.pop() as (span: Span) => unknown;
    const [options, ctx = context.active()] = rest as [SpanOptions | undefined, Context?];
    const span = startSpan(name, options, ctx);
    return context.with(trace.setSpan(ctx, span), fn, undefined, span);
  };
  return { startSpan, startActiveSpan };
}

/** node-redis 2 to 5 (`redis`, `@redis/client`). */
export function redis(): Instrumentation {
  const { RedisInstrumentation } =
    require('@opentelemetry/instrumentation-redis') as typeof import('@opentelemetry/instrumentation-redis');
  // requireParentSpan covers commands but not node-redis 4/5's `redis-connect` span, a root span
  // at every startup (upstream's agent exports it too). Its tracer drops parentless spans; the
  // commands run during the connect then see that non-recording span and are dropped as well.
  class ParentOnlyRedis extends RedisInstrumentation {
    override setTracerProvider(provider: TracerProvider): void {
      super.setTracerProvider({
        getTracer: (...args: Parameters<TracerProvider['getTracer']>) =>
          parentOnly(provider.getTracer(...args)),
      });
    }
  }
  return new ParentOnlyRedis({ requireParentSpan: true });
}

export function ioredis(): Instrumentation {
  const { IORedisInstrumentation } =
    require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis');
  return new IORedisInstrumentation({ requireParentSpan: true });
}

export function mongodb(): Instrumentation {
  const { MongoDBInstrumentation } =
    require('@opentelemetry/instrumentation-mongodb') as typeof import('@opentelemetry/instrumentation-mongodb');
  return new MongoDBInstrumentation({ requireParentSpan: true });
}

export function mongoose(): Instrumentation {
  const { MongooseInstrumentation } =
    require('@opentelemetry/instrumentation-mongoose') as typeof import('@opentelemetry/instrumentation-mongoose');
  return new MongooseInstrumentation({ requireParentSpan: true });
}

export function knex(): Instrumentation {
  const { KnexInstrumentation } =
    require('@opentelemetry/instrumentation-knex') as typeof import('@opentelemetry/instrumentation-knex');
  return new KnexInstrumentation({ requireParentSpan: true });
}

export function tedious(): Instrumentation {
  const { TediousInstrumentation } =
    require('@opentelemetry/instrumentation-tedious') as typeof import('@opentelemetry/instrumentation-tedious');
  return new TediousInstrumentation();
}

export function cassandra(): Instrumentation {
  const { CassandraDriverInstrumentation } =
    require('@opentelemetry/instrumentation-cassandra-driver') as typeof import('@opentelemetry/instrumentation-cassandra-driver');
  return new CassandraDriverInstrumentation();
}

export function memcached(): Instrumentation {
  const { MemcachedInstrumentation } =
    require('@opentelemetry/instrumentation-memcached') as typeof import('@opentelemetry/instrumentation-memcached');
  return new MemcachedInstrumentation();
}

export function amqplib(): Instrumentation {
  const { AmqplibInstrumentation } =
    require('@opentelemetry/instrumentation-amqplib') as typeof import('@opentelemetry/instrumentation-amqplib');
  return new AmqplibInstrumentation();
}

export function kafkajs(): Instrumentation {
  const { KafkaJsInstrumentation } =
    require('@opentelemetry/instrumentation-kafkajs') as typeof import('@opentelemetry/instrumentation-kafkajs');
  return new KafkaJsInstrumentation();
}

/** @grpc/grpc-js, client and server. */
export function grpc(): Instrumentation {
  const { GrpcInstrumentation } =
    require('@opentelemetry/instrumentation-grpc') as typeof import('@opentelemetry/instrumentation-grpc');
  return new GrpcInstrumentation();
}

export function graphql(): Instrumentation {
  const { GraphQLInstrumentation } =
    require('@opentelemetry/instrumentation-graphql') as typeof import('@opentelemetry/instrumentation-graphql');
  // Resolver spans for trivial fields (a property read) would outnumber everything else.
  return new GraphQLInstrumentation({ ignoreTrivialResolveSpans: true });
}

/** @aws-sdk v3 clients. */
export function awsSdk(): Instrumentation {
  const { AwsInstrumentation } =
    require('@opentelemetry/instrumentation-aws-sdk') as typeof import('@opentelemetry/instrumentation-aws-sdk');
  return new AwsInstrumentation();
}

export function socketIo(): Instrumentation {
  const { SocketIoInstrumentation } =
    require('@opentelemetry/instrumentation-socket.io') as typeof import('@opentelemetry/instrumentation-socket.io');
  return new SocketIoInstrumentation();
}
