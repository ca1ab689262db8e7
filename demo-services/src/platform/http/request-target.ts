// The request target, checked before anything routes on it. A request line may carry an absolute
// URL (`POST http://elsewhere/api/v1/auth/login`): HTTP/1.1 servers must accept that form, but
// only its path and query are ever used, so nothing downstream can mistake the client's authority
// for a destination. Paths that mean different things to different parsers (backslashes, encoded
// slashes or dots, dot segments, NUL) are refused: a gateway that forwards them lets a client
// walk out of the route it was matched on.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { trace } from '../telemetry/index.js';

// eslint-disable-next-line no-control-regex -- control characters are what this refuses
const AMBIGUOUS = /\\|%5c|%2f|%2e|%00|[\u0000-\u001f\u007f]/i;

/** The origin-form target (path and query) of a raw request target, or why it is refused. */
export function originForm(target: string): { path: string } | { refused: string } {
  let path = target;
  if (!target.startsWith('/')) {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return { refused: 'the request target is neither a path nor an absolute URL' };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return { refused: 'the request target is not an http URL' };
    // the raw path: `new URL` has already resolved dot segments, which must be seen to be refused
    const afterAuthority = target.slice(url.protocol.length + 2);
    const slash = afterAuthority.search(/[/?#]/);
    path = slash < 0 ? '/' : afterAuthority.slice(slash);
    if (!path.startsWith('/')) path = `/${path}`;
  }
  const pathname = path.split(/[?#]/, 1)[0] ?? '';
  if (path.startsWith('//')) return { refused: 'the path starts with an empty segment' };
  if (AMBIGUOUS.test(pathname))
    return {
      refused: 'the path contains a backslash, an encoded slash or dot, or a control character',
    };
  if (pathname.split('/').some((segment) => segment === '.' || segment === '..'))
    return { refused: 'the path contains a dot segment' };
  return { path };
}

/**
 * The server's request listener: the request target is made origin-form (or refused with a JSON
 * 400) before express sees it. It has to be here, not in a middleware: express's router reads the
 * target once when it starts routing, and would keep routing on the absolute URL.
 */
export function originFormListener(app: (req: IncomingMessage, res: ServerResponse) => void) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const result = originForm(req.url ?? '/');
    if ('refused' in result) {
      res.writeHead(400, { 'content-type': 'application/json; charset=utf-8' });
      res.end(
        JSON.stringify({
          error: 'invalid_path',
          message: result.refused,
          traceId: trace.getActiveSpan()?.spanContext().traceId,
        }),
      );
      return;
    }
    req.url = result.path;
    app(req, res);
  };
}
