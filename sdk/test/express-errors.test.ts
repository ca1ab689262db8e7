import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectHandlerError } from './support/framework-checks';
import { OtlpReceiver } from './support/otlp-receiver';
import { baseEnv, FIXTURES, killAll, startFixture } from './support/processes';

const receiver = new OtlpReceiver();
let endpoint: string;
beforeAll(async () => {
  endpoint = await receiver.start();
});
afterAll(async () => {
  killAll();
  await receiver.stop();
});

describe.each([
  ['express 5', FIXTURES],
  ['express 4', join(FIXTURES, 'express4')],
])('an %s app whose handlers fail', (_name, cwd) => {
  it('records the error on the server span however it reached express, and keeps traceresponse', async () => {
    const app = await startFixture(join(FIXTURES, 'express-errors.cjs'), {
      cwd,
      preload: ['-r', '@o11y/sdk/register'],
      env: baseEnv(endpoint),
    });
    await expectHandlerError(receiver, app.port, '/thrown/1', '/thrown/:id');
    await expectHandlerError(receiver, app.port, '/next/1', '/next/:id');
    await expectHandlerError(receiver, app.port, '/handled/1', '/handled/:id');
    // express 4 does not catch a rejected promise: that request never gets an answer there.
    if (cwd === FIXTURES)
      await expectHandlerError(receiver, app.port, '/rejected/1', '/rejected/:id');
    await app.stop();
  });
});
