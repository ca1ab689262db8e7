// The `floor` variant: the least a tracer can do for each served request, written for speed and
// for nothing else. It is a yardstick, not an SDK: no configuration, no sampling decision, no
// span API, no client spans, no logs, no shutdown flush, no error handling worth the name.
// Per request it does what the SDK's contract cannot do without: a context the app's handlers
// run in (AsyncLocalStorage), random trace and span ids (the caller's trace id when a
// `traceparent` came in), a `traceresponse` header, one histogram observation, and one OTLP
// protobuf span with the SDK's attributes, POSTed in batches of 512 to the same receiver. What
// it costs is the least any instrumentation with those outputs costs on this machine, so a
// target below it cannot be met by any SDK, only by measuring less. Self-contained (none of the
// SDK's code), so that it shares none of the SDK's costs.
/* eslint-disable @typescript-eslint/no-require-imports -- a --require preload */
'use strict';
const dc = require('node:diagnostics_channel');
const { AsyncLocalStorage } = require('node:async_hooks');
const http = require('node:http');
const { randomFillSync } = require('node:crypto');

const als = new AsyncLocalStorage();
const STATE = Symbol('floor');
const target = new URL('/v1/traces', process.env.OTEL_EXPORTER_OTLP_ENDPOINT);
const agent = new http.Agent({ keepAlive: true });

// Ids: random bytes drawn in bulk, read as one hex string per span.
const pool = Buffer.allocUnsafe(24 * 1024);
let poolPos = pool.length;
function randomHex() {
  if (poolPos === pool.length) {
    randomFillSync(pool);
    poolPos = 0;
  }
  poolPos += 24;
  return pool.toString('hex', poolPos - 24, poolPos);
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

dc.subscribe('http.server.request.start', ({ request, response, server }) => {
  if (server === metrics) return;
  const ids = randomHex();
  let traceId = ids.slice(0, 32);
  let parentId = '';
  const tp = request.headers.traceparent;
  if (tp !== undefined) {
    const m = TRACEPARENT.exec(tp);
    if (m !== null) [, traceId, parentId] = m;
  }
  const state = { traceId, spanId: ids.slice(32), parentId, start: performance.now() };
  request[STATE] = state;
  response.setHeader('traceresponse', `00-${traceId}-${state.spanId}-01`);
  als.enterWith(state);
});

// The histogram: one series per method, route and status, fixed buckets, latest exemplar.
const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const series = new Map();
function observe(key, seconds, state) {
  let s = series.get(key);
  if (s === undefined)
    series.set(key, (s = { counts: new Float64Array(BOUNDS.length + 1), sum: 0, exemplar: null }));
  let i = 0;
  while (i < BOUNDS.length && seconds > BOUNDS[i]) i++;
  s.counts[i] += 1;
  s.sum += seconds;
  s.exemplar = state;
}

// Served as Prometheus text on the metrics port, as the SDK serves its histogram.
const metrics = http.createServer((_req, res) => {
  let out = '# TYPE http_server_request_duration_seconds histogram\n';
  for (const [key, s] of series) {
    const [method, status, route] = key.split(' ');
    const labels = `http_request_method="${method}",http_route="${route}",http_response_status_code="${status}"`;
    let count = 0;
    for (let i = 0; i < s.counts.length; i++) {
      count += s.counts[i];
      const le = i < BOUNDS.length ? BOUNDS[i] : '+Inf';
      out += `http_server_request_duration_seconds_bucket{${labels},le="${le}"} ${count}\n`;
    }
    out += `http_server_request_duration_seconds_sum{${labels}} ${s.sum}\n`;
    out += `http_server_request_duration_seconds_count{${labels}} ${count}\n`;
  }
  res.end(out);
});
metrics.listen(Number(process.env.OTEL_EXPORTER_PROMETHEUS_PORT), '127.0.0.1').unref();

dc.subscribe('http.server.response.finish', ({ request, response }) => {
  const state = request[STATE];
  if (state === undefined) return;
  const end = performance.now();
  const route = request.route?.path ?? 'unmatched';
  const status = response.statusCode;
  observe(`${request.method} ${status} ${route}`, (end - state.start) / 1000, state);
  const host = request.headers.host ?? '';
  // `[::1]:8080`, `example.com:8080`, `example.com`
  let colon = host.lastIndexOf(':');
  if (colon < host.lastIndexOf(']')) colon = -1;
  const q = request.url.indexOf('?');
  const at = startSpan(state, `${request.method} ${route}`, end);
  attribute('http.request.method', request.method);
  attribute('url.scheme', 'http');
  attribute('network.protocol.version', request.httpVersion);
  attribute('url.path', q < 0 ? request.url : request.url.slice(0, q));
  attribute('server.address', colon < 0 ? host : host.slice(0, colon));
  attribute('server.port', colon < 0 ? 80 : Number(host.slice(colon + 1)));
  attribute('user_agent.original', request.headers['user-agent'] ?? '');
  attribute('client.address', request.socket.remoteAddress ?? '');
  attribute('http.route', route);
  attribute('http.response.status_code', status);
  endSpan(at);
});

// OTLP protobuf, written straight into the batch buffer.
let buf = Buffer.allocUnsafe(1 << 20);
let pos = 0;
let spans = 0;
const ORIGIN = performance.timeOrigin;

function varint(v) {
  while (v > 127) {
    buf[pos++] = (v & 127) | 128;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
}
// Strings are cut here so that every message stays within open()'s two length bytes.
const MAX_STRING = 2048;

function str(tag, s) {
  if (s.length > MAX_STRING) s = s.slice(0, MAX_STRING);
  buf[pos++] = tag;
  const n = s.length;
  if (n < 128) {
    // ASCII, the common case, copied by hand; anything else through Buffer#write.
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) break;
      buf[pos + 1 + i] = c;
    }
    if (i === n) {
      buf[pos] = n;
      pos += n + 1;
      return;
    }
  }
  const len = Buffer.byteLength(s);
  varint(len);
  pos += buf.write(s, pos, len, 'utf8');
}
function hexField(tag, h) {
  buf[pos++] = tag;
  buf[pos++] = h.length / 2;
  pos += buf.write(h, pos, h.length / 2, 'hex');
}
// fixed64 nanoseconds since the epoch from a performance.now() time, without BigInt.
function nanos(tag, ms) {
  buf[pos++] = tag;
  const epochMs = ORIGIN + ms;
  const sec = Math.floor(epochMs / 1000);
  const ns = Math.round((epochMs - sec * 1000) * 1e6);
  const a = sec * 1953125; // sec * 1e9 = a * 2^9, exact below 2^53
  let lo = (a % 8388608) * 512 + ns;
  let hi = Math.floor(a / 8388608);
  if (lo >= 4294967296) {
    lo -= 4294967296;
    hi += 1;
  }
  buf.writeUInt32LE(lo, pos);
  buf.writeUInt32LE(hi, pos + 4);
  pos += 8;
}
/** A length-delimited field whose length is written when it ends (two bytes: < 16 KiB). */
function open(tag) {
  buf[pos++] = tag;
  pos += 2;
  return pos;
}
function close(at) {
  const n = pos - at;
  buf[at - 2] = (n & 127) | 128;
  buf[at - 1] = n >> 7;
}

function startSpan(state, name, end) {
  if (pos > buf.length - 16384) flush();
  const at = open(0x12); // ScopeSpans.spans
  hexField(0x0a, state.traceId);
  hexField(0x12, state.spanId);
  if (state.parentId !== '') hexField(0x22, state.parentId);
  str(0x2a, name);
  buf[pos++] = 0x30; // kind: server
  buf[pos++] = 2;
  nanos(0x39, state.start);
  nanos(0x41, end);
  return at;
}

function attribute(key, value) {
  const kv = open(0x4a);
  str(0x0a, key);
  const v = open(0x12);
  if (typeof value === 'number') {
    buf[pos++] = 0x18; // int_value
    varint(value);
  } else str(0x0a, value);
  close(v);
  close(kv);
}

function endSpan(at) {
  close(at);
  if (++spans === 512) flush();
  else timer ??= setTimeout(flush, 1000);
}

let timer;
const RESOURCE = message(
  0x0a,
  message(
    0x0a,
    Buffer.concat([stringField(0x0a, 'service.name'), message(0x12, stringField(0x0a, 'bench'))]),
  ),
);
const SCOPE = message(0x0a, stringField(0x0a, 'floor'));

function flush() {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  if (spans === 0) return;
  const body = buf.subarray(0, pos);
  buf = Buffer.allocUnsafe(1 << 20);
  pos = 0;
  spans = 0;
  const request = message(
    0x0a,
    Buffer.concat([RESOURCE, message(0x12, Buffer.concat([SCOPE, body]))]),
  );
  const req = http.request(target, {
    method: 'POST',
    agent,
    headers: { 'content-type': 'application/x-protobuf', 'content-length': request.length },
  });
  req.on('response', (res) => res.resume());
  req.on('error', () => {});
  req.end(request);
}
function message(tag, body) {
  return Buffer.concat([Buffer.from([tag]), lengthOf(body.length), body]);
}
function stringField(tag, s) {
  return message(tag, Buffer.from(s));
}
function lengthOf(n) {
  const out = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}
