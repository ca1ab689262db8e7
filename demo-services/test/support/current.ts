// One stack per test file, shared by the suites that file imports: starting six processes is the
// slow part of these tests, so a file starts them once.
import { afterAll, beforeAll } from 'vitest';
import { TestStack, type StackOptions } from './stack.js';

let current: TestStack | undefined;

/** Call at the top level of a test file: root hooks run before the hooks of every suite. */
export function useStack(options: StackOptions = {}): void {
  beforeAll(async () => {
    current = await TestStack.start(options);
  }, 180_000);
  afterAll(async () => {
    await current?.stop();
    current = undefined;
  }, 60_000);
}

export function currentStack(): TestStack {
  if (!current) throw new Error('no test stack: the test file must call useStack()');
  return current;
}
