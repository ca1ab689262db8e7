import { createServer, type Server } from 'node:http';
import { registry } from './registry';
import { warn } from '../config/warn';

/** The SDK's own metrics server, if one is listening (its requests are never traced). */
export let metricsServer: Server | undefined;

/**
 * Serves `/metrics` on its own port. The server is unref'd so it never keeps a finished
 * process alive, and a port that is taken produces a warning rather than a crash.
 */
export function startMetricsServer(
  port: number,
  host: string | undefined,
): Promise<Server | undefined> {
  return new Promise((resolveStart) => {
    const server = createServer((req, res) => {
      if (req.url !== '/metrics' && !req.url?.startsWith('/metrics?')) {
        res.statusCode = 404;
        res.end('Not found: metrics are at /metrics\n');
        return;
      }
      registry
        .metrics()
        .then((body) => {
          res.setHeader('Content-Type', registry.contentType);
          res.end(body);
        })
        .catch((err: unknown) => {
          res.statusCode = 500;
          res.end(String(err));
        });
    });
    metricsServer = server;
    server.on('error', (err: NodeJS.ErrnoException) => {
      warn(
        `metrics server could not listen on ${host ?? '*'}:${port} (${err.code ?? err.message}); /metrics is not served, mount metricsHandler on your app instead`,
      );
      metricsServer = undefined;
      resolveStart(undefined);
    });
    server.listen({ port, host }, () => {
      server.unref();
      resolveStart(server);
    });
    server.unref();
  });
}

/** Port actually bound (useful with port 0). */
export function metricsPort(): number | undefined {
  const a = metricsServer?.address();
  return a && typeof a === 'object' ? a.port : undefined;
}
