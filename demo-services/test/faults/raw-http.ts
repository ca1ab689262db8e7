// Requests that fetch would not send as written (absolute-form targets, backslashes, dot
// segments): written byte for byte on a socket, the answer read back.
import { connect } from 'node:net';

export interface RawAnswer {
  status: number;
  body: string;
}

export function rawRequest(
  port: number,
  requestLine: string,
  headers: Record<string, string> = {},
  body = '',
): Promise<RawAnswer> {
  const lines = [
    requestLine,
    `Host: 127.0.0.1:${port}`,
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ...(body ? [`Content-Length: ${Buffer.byteLength(body)}`] : []),
  ];
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(15_000, () => socket.destroy(new Error('no answer in 15 s')));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      const split = text.indexOf('\r\n\r\n');
      resolve({ status, body: split < 0 ? '' : text.slice(split + 4) });
    });
    // write, not end: a half-closed socket may be dropped before an asynchronous answer is sent;
    // `Connection: close` has the server close it once it has answered
    socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
  });
}
