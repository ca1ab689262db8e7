// The one express 5 app every variant runs. It is CommonJS so that upstream's `--require` register
// can patch it as documented; `--import @o11y/sdk/register` supports CommonJS apps too.
// BENCH_LOGGER=sdk logs through the SDK's logger (the one a user of @o11y/sdk would use);
// otherwise plain pino, which upstream's pino instrumentation picks up by itself.
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose, see above */
const http = require('node:http');
const express = require('express');

const logger =
  process.env.BENCH_LOGGER === 'sdk'
    ? require(process.env.BENCH_SDK_MODULE ?? '@o11y/sdk').logger
    : require('pino')();
const stub = new URL(process.env.BENCH_STUB_URL ?? 'http://127.0.0.1:1/');
const agent = new http.Agent({ keepAlive: true });

const app = express();

app.get('/hello', (_req, res) => {
  res.json({ hello: 'world' });
});

// Stands for a typical handler: a little asynchronous work, one call to a dependency, one log line.
app.get('/realistic', async (_req, res, next) => {
  try {
    await new Promise((resolve) => setTimeout(resolve, 1));
    const upstream = await callStub();
    logger.info({ upstream: upstream.status }, 'order looked up');
    res.json({ id: 42, status: 'ok', upstream: upstream.status });
  } catch (err) {
    next(err);
  }
});

function callStub() {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: stub.hostname, port: stub.port, path: '/item', agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve(JSON.parse(body)));
    });
    req.on('error', reject);
  });
}

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
// Exit on SIGTERM without waiting for open keep-alive sockets, so --cpu-prof gets written.
process.on('SIGTERM', () => {
  server.close();
  process.exit(0);
});
