// The dependency behind the realistic route: answers at once, in its own process so that its CPU
// is not counted as the app's.
import http from 'node:http';

const body = JSON.stringify({ status: 'in_stock', sku: 'A-1' });
const server = http.createServer((_req, res) => {
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
