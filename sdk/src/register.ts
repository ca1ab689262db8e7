/**
 * `node --import @o11y/sdk/register app.js`, `node -r @o11y/sdk/register app.js` or
 * `require('@o11y/sdk/register')` as an app's first line: starts the SDK from the environment.
 * CommonJS on purpose, so the same file serves --require, require() and --import.
 */
import { isMainThread } from 'node:worker_threads';
import { REGISTER_OPTIONS, start } from './start';

// Worker threads (pino's transport among them) inherit preloads; the SDK belongs to the main thread.
if (isMainThread) start(REGISTER_OPTIONS);
