// Hello world, instrumented by the one line:
//   node -r @o11y/sdk/register examples/hello.cjs
// then: curl -i localhost:3000/hello/world  (see the traceresponse header)
//       curl localhost:9464/metrics
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS example */
const http = require('node:http');
const { logger } = require('@o11y/sdk');

http
  .createServer((req, res) => {
    logger.info({ url: req.url }, 'hello');
    res.end('hello\n');
  })
  .listen(3000, () => logger.info('listening on :3000'));
