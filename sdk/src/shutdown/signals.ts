/**
 * Flushes on SIGTERM/SIGINT, then lets the signal do what it would have done without the SDK:
 * if the app has its own handler the process is left to it; otherwise the signal is re-raised
 * with the default action restored, so the exit status is the usual one.
 */
export function installSignalHandlers(flush: () => Promise<void>): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    let handling = false;
    const onSignal = (): void => {
      if (handling) return;
      handling = true;
      flush()
        .catch(() => undefined)
        .finally(() => {
          process.removeListener(signal, onSignal);
          const appHandlers = process.listenerCount(signal);
          if (appHandlers === 0) process.kill(process.pid, signal);
        });
    };
    process.on(signal, onSignal);
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
