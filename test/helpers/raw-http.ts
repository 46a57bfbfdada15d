import { type ChildProcess, spawn } from 'node:child_process';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';

import { freePort } from './global-setup.js';

/**
 * A TCP server that answers each connection with what `respond` writes on the raw socket, for responses no
 * well-behaved HTTP server sends: bodies cut short, wrong Content-Length, HTTP/1.0 without a length, stalls.
 */
export class RawHttpServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  requests = 0;
  baseUrl = '';

  constructor(private readonly respond: (socket: Socket, path: string, n: number) => void) {}

  async start(): Promise<this> {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      let head = '';
      socket.on('data', (d: Buffer) => {
        head += d.toString('latin1');
        let end = head.indexOf('\r\n\r\n');
        while (end >= 0) {
          const path = /^GET (\S+)/.exec(head)?.[1] ?? '/';
          head = head.slice(end + 4);
          this.respond(socket, path, ++this.requests);
          end = head.indexOf('\r\n\r\n');
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

/** `python3 -m http.server` on `dir`: an HTTP/1.0 server closing every connection, as many simple mirrors. */
export async function startPythonHttpServer(dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error('python3 -m http.server exited');
    const up = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) throw new Error('python3 -m http.server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
