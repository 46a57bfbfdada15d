/**
 * Just enough DER to read a certificate's extensions: Node's X509Certificate does not expose arbitrary
 * extensions. Every length is checked against its enclosing element, so malformed input throws a RangeError
 * and never reads out of bounds.
 */

interface Tlv {
  tag: number;
  /** Content bytes. */
  value: Buffer;
  /** Offset just past the element. */
  end: number;
}

/** One element starting at `offset` of `buf`. */
export function readTlv(buf: Buffer, offset = 0): Tlv {
  if (offset + 2 > buf.length) throw new RangeError('truncated DER element');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new RangeError('multi-byte DER tags are not supported');
  let length = buf[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4 || start + n > buf.length) throw new RangeError('bad DER length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[start + i]!;
    start += n;
  }
  if (start + length > buf.length) throw new RangeError('DER element overruns its container');
  return { tag, value: buf.subarray(start, start + length), end: start + length };
}

/** The elements inside a constructed element's content. */
export function children(content: Buffer): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < content.length;) {
    const t = readTlv(content, at);
    out.push(t);
    at = t.end;
  }
  return out;
}

/** Dotted form of an OBJECT IDENTIFIER's content bytes. */
export function oidString(content: Buffer): string {
  if (content.length === 0) throw new RangeError('empty OID');
  const parts: number[] = [];
  let n = 0;
  for (const b of content) {
    n = n * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(n);
      n = 0;
    }
  }
  const first = parts.shift()!;
  const a = first < 80 ? Math.floor(first / 40) : 2;
  return [a, first - a * 40, ...parts].join('.');
}

/** extnID -> extnValue (the OCTET STRING's content, itself DER) of a DER certificate's extensions. */
export function certificateExtensions(der: Buffer): Map<string, Buffer> {
  const cert = readTlv(der);
  const tbs = children(cert.value)[0];
  if (!tbs || tbs.tag !== 0x30) throw new RangeError('not a certificate');
  const out = new Map<string, Buffer>();
  const explicit = children(tbs.value).find((e) => e.tag === 0xa3);
  if (!explicit) return out;
  const list = children(explicit.value)[0];
  if (!list || list.tag !== 0x30) return out;
  for (const ext of children(list.value)) {
    const parts = children(ext.value);
    const id = parts[0];
    const value = parts[parts.length - 1];
    if (id?.tag !== 0x06 || value?.tag !== 0x04) continue;
    out.set(oidString(id.value), value.value);
  }
  return out;
}
