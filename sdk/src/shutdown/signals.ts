/**
 * Flushes on SIGTERM/SIGINT, then lets the signal do what it would have done without the SDK:
 * if the app has its own handler the process is left to it; otherwise the signal is re-raised
 * with the default action restored, so the exit status is the usual one. `flush` is given the
 * time the signal arrived (performance.now()) and must settle within the shutdown deadline.
 */
export function installSignalHandlers(flush: (receivedAt: number) => Promise<void>): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    let handling = false;
    const onSignal = (): void => {
      if (handling) return;
      handling = true;
      const receivedAt = performance.now();
      // Counted now, not after the flush: an app's `process.once` handler is gone by then, yet
      // its graceful shutdown is under way and must not be cut short.
      const appHandlers = process.listenerCount(signal) - 1;
      flush(receivedAt)
        .catch(() => undefined)
        .finally(() => {
          process.removeListener(signal, onSignal);
          if (appHandlers === 0 && process.listenerCount(signal) === 0)
            process.kill(process.pid, signal);
        });
    };
    // First in line, so that every app handler (even a `once` one) is still counted when it fires.
    process.prependListener(signal, onSignal);
  }
}

/** Flushes once when the event loop empties, so short scripts export what they did and still exit promptly. */
export function installExitFlush(flush: () => Promise<void>): void {
  let done = false;
  process.on('beforeExit', () => {
    if (done) return;
    done = true;
    void flush();
  });
}
