/**
 * Whether a framework error stands for a 4xx the app meant to send (`ctx.throw(404)`, a Boom
 * `forbidden`, a NestJS `NotFoundException`, a fastify validation error): an answer, not an
 * exception, so it gets no `exception` event. The status is read where each framework keeps it.
 */
export function isClientError(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const e = error as {
    statusCode?: unknown;
    status?: unknown;
    output?: { statusCode?: unknown };
    getStatus?: () => unknown;
  };
  let status = e.output?.statusCode ?? e.statusCode ?? e.status;
  if (status === undefined && typeof e.getStatus === 'function') {
    try {
      status = e.getStatus();
    } catch {
      return false;
    }
  }
  return typeof status === 'number' && status >= 400 && status < 500;
}
