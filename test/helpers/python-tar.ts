import { gzipSync } from 'node:zlib';

/** One member of a test tar: a regular file unless `type` says otherwise ('2' symlink, '5' directory). */
export interface TarMember {
  name: string;
  data?: Buffer | string;
  type?: '0' | '2' | '5';
  linkname?: string;
  /** Size written in the header instead of the real one (to build lying archives). */
  declaredSize?: number;
}

/**
 * A minimal ustar writer for test fixtures (sdists and hostile archives); names past 100 bytes get a pax
 * `path` record, as Python's tarfile writes them.
 */
export function tarGz(members: TarMember[]): Buffer {
  const blocks: Buffer[] = [];
  for (const m of members) {
    const data = Buffer.from(m.data ?? '');
    if (Buffer.byteLength(m.name) > 100) {
      const record = paxRecord('path', m.name);
      blocks.push(header('././@PaxHeader', record.length, 'x', ''), pad(record));
    }
    blocks.push(header(m.name.slice(0, 100), m.declaredSize ?? data.length, m.type ?? '0', m.linkname ?? ''));
    if (data.length > 0) blocks.push(pad(data));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return Buffer.from(`${len}${body}`);
}

function pad(data: Buffer): Buffer {
  const rest = data.length % 512;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(512 - rest)]);
}

function header(name: string, size: number, type: string, linkname: string): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  h.write(size.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
  h.write('14500000000\0', 136, 'latin1');
  h.write('        ', 148, 'latin1');
  h.write(type, 156, 'latin1');
  h.write(linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return h;
}
