// OTLP/HTTP receiver that acknowledges every export at once, so the exporter side of the app is
// measured and not the backend. Counts requests and bytes per signal; GET /stats returns them.
import http from 'node:http';

const stats = {
  traces: { requests: 0, bytes: 0 },
  logs: { requests: 0, bytes: 0 },
  metrics: { requests: 0, bytes: 0 },
  other: { requests: 0, bytes: 0 },
};

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(stats));
    return;
  }
  const signal = /\/v1\/(traces|logs|metrics)$/.exec(req.url ?? '')?.[1] ?? 'other';
  let bytes = 0;
  req.on('data', (chunk) => (bytes += chunk.length));
  req.on('end', () => {
    stats[signal].requests += 1;
    stats[signal].bytes += bytes;
    // An empty protobuf message is a valid Export*ServiceResponse; JSON clients get {}.
    const json = (req.headers['content-type'] ?? '').includes('json');
    res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
    res.end(json ? '{}' : '');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
