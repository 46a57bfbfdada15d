// The calibration column of bench/content: a bare Node HTTP server, N cluster processes, serving a prebuffered
// small file and streaming large ones with createReadStream in 1 MiB chunks; about the ceiling of Node without
// sendfile. Usage (by bench/content): bare-server-child.ts <port> <processes> <dir>
import cluster from 'node:cluster';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';

const [port, processes, dir] = process.argv.slice(2) as [string, string, string];

if (cluster.isPrimary) {
  for (let i = 0; i < Number(processes); i++) cluster.fork();
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const small = readFileSync(path.join(dir, 'small.bin'));
  const bigPath = path.join(dir, 'big.bin');
  const bigSize = statSync(bigPath).size;
  createServer((req, res) => {
    if (req.url === '/small.bin') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': small.length });
      res.end(small);
    } else if (req.url === '/big.bin') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bigSize });
      createReadStream(bigPath, { highWaterMark: 1024 * 1024 }).pipe(res);
    } else {
      res.writeHead(404).end();
    }
  }).listen(Number(port), '127.0.0.1');
}
