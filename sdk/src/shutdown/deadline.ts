/** Resolves when `work` settles or after `ms`, whichever comes first; never rejects. */
export function withDeadline(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((done) => {
    // A referenced timer: the process waits for the flush, but never longer than the deadline.
    const timer = setTimeout(done, ms);
    work.then(
      () => {
        clearTimeout(timer);
        done();
      },
      () => {
        clearTimeout(timer);
        done();
      },
    );
  });
}
