// Interactive API docs served by the gateway from the locally installed swagger-ui-dist (no CDN):
// one entry per service, each service's own /openapi.json, with only its public paths.
import express, { type Express } from 'express';
import { createRequire } from 'node:module';
import type { ServiceClient } from '../platform/resilience/client.js';

const require = createRequire(import.meta.url);
const swaggerUiDir = (
  require('swagger-ui-dist') as { getAbsoluteFSPath(): string }
).getAbsoluteFSPath();

export function mountDocs(
  app: Express,
  services: ServiceClient[],
  ownDocument: () => unknown,
): void {
  const specs = ['gateway', ...services.map((s) => s.dependency)];
  app.get('/docs/swagger-initializer.js', (_req, res) => {
    const urls = specs.map((name) => ({ name, url: `/docs/specs/${name}.json` }));
    res.type('application/javascript').send(
      `window.onload = function () {
  window.ui = SwaggerUIBundle({ urls: ${JSON.stringify(urls)}, dom_id: '#swagger-ui', deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' });
};`,
    );
  });
  app.get('/docs/specs/:name.json', async (req, res) => {
    const name = req.params.name;
    if (name === 'gateway') {
      res.json(ownDocument());
      return;
    }
    const client = services.find((s) => s.dependency === name);
    if (!client) {
      res.status(404).json({ error: 'not_found', message: `no API named ${name}` });
      return;
    }
    try {
      const upstream = await client.request<{ paths?: Record<string, unknown> }>(
        'GET',
        '/openapi.json',
      );
      const doc = upstream.body;
      // Only what the gateway exposes; "Try it out" then goes through the gateway.
      const paths = Object.fromEntries(
        Object.entries(doc.paths ?? {}).filter(([p]) => p.startsWith('/api/v1/')),
      );
      res.json({ ...doc, paths, servers: [{ url: '/' }] });
    } catch {
      res.status(503).json({ error: 'service_unavailable', message: `${name} is unavailable` });
    }
  });
  app.get('/docs', (req, res, next) => {
    if (!req.originalUrl.endsWith('/')) res.redirect(301, '/docs/');
    else next();
  });
  app.use('/docs', express.static(swaggerUiDir, { index: 'index.html' }));
}
