// Child processes for the scrape test: started with the SDK's one line, stopped for sure.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';

// The OS may hand a closed port out again: a stack that got the same port twice had one service
// answer the other's readiness check. Never return a port twice in one test run.
const handedOut = new Set<number>();

export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => resolve(port));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** An OTLP/HTTP endpoint that accepts and discards everything, so exports succeed quietly. */
export async function startOtlpSink(): Promise<{ url: string; stop(): Promise<void> }> {
  const server: Server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Started {
  child: ChildProcess;
  output: string[];
  /** Resolves with the first stdout match of `ready`. */
  ready: Promise<RegExpExecArray>;
  stop(): Promise<void>;
}

export function startNode(
  args: string[],
  options: { cwd: string; env: Record<string, string>; ready: RegExp; timeoutMs: number },
): Started {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`not ready after ${options.timeoutMs} ms:\n${output.join('')}`)),
      options.timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString('utf8'));
      const m = options.ready.exec(output.join(''));
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before being ready:\n${output.join('')}`));
    });
  });
  ready.catch(() => undefined);
  return {
    child,
    output,
    ready,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
