// OTLP/HTTP receiver that acknowledges every export at once, so the exporter side of the app is
// measured and not a backend. Counts requests, bytes, spans (server spans apart) and log records
// per signal from the protobuf framing only; GET /stats returns the counts.
import http from 'node:http';
import { countJson, countProtobuf } from './otlp-count.mjs';

const blank = () => ({ requests: 0, bytes: 0, items: 0, server: 0, undecodable: 0 });
const stats = { traces: blank(), logs: blank(), metrics: blank(), other: blank() };

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(stats));
    return;
  }
  const signal = /\/v1\/(traces|logs|metrics)$/.exec(req.url ?? '')?.[1] ?? 'other';
  const json = (req.headers['content-type'] ?? '').includes('json');
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const s = stats[signal];
    s.requests += 1;
    s.bytes += body.length;
    if (signal === 'traces' || signal === 'logs') {
      try {
        const c = json ? countJson(body.toString('utf8'), signal) : countProtobuf(body, signal);
        s.items += c.items;
        s.server += c.server;
      } catch {
        s.undecodable += 1;
      }
    }
    // An empty protobuf message is a valid Export*ServiceResponse; JSON clients get {}.
    res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
    res.end(json ? '{}' : '');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
