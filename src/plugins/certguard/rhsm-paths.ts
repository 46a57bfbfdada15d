import { inflateSync } from 'node:zlib';

import { certificateExtensions, readTlv } from './der.js';

/*
 * The content paths an RHSM entitlement certificate grants, as pulp_certguard/rhsm/rhsm_check_path.py reads
 * them. v1 certificates list paths in `1.3.6.1.4.1.2312.9.2.<n>.1.6` (UTF8String); v3 certificates (major
 * version >= 3 in `.9.6`) carry one compressed tree in `.9.7`: a zlib stream of NUL-separated words, then a
 * node count and a bit stream that Huffman-codes, node by node, each (word, child node) edge and an empty
 * word ending the node. Both Huffman trees give the i-th item weight i.
 */

const RH_OID = '1.3.6.1.4.1.2312.9';
const VERSION_OID = `${RH_OID}.6`;
const ENTITLEMENT_OID = `${RH_OID}.7`;
const V1_PATH_OID = /^1\.3\.6\.1\.4\.1\.2312\.9\.2\.\d+\.1\.6$/;
/** Bounds on attacker-supplied trees: real certificates hold a few thousand nodes. */
const MAX_NODES = 1_000_000;
const MAX_INFLATED = 16 * 1024 * 1024;

type Tree<T> = { left: Tree<T> | T; right: Tree<T> | T; node: true };
export type PathTree = Map<string, PathTree>;

const isNode = <T>(x: Tree<T> | T): x is Tree<T> =>
  typeof x === 'object' && x !== null && (x as { node?: unknown }).node === true;

/** Huffman tree over `items` where item i weighs i+1; equal weights keep insertion order (a serial). */
export function buildHuffmanTree<T>(items: T[]): Tree<T> {
  type Entry = [weight: number, serial: number, value: Tree<T> | T];
  const heap: Entry[] = [];
  const less = (a: Entry, b: Entry) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
  const push = (e: Entry) => {
    heap.push(e);
    for (let i = heap.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!less(heap[i]!, heap[p]!)) break;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  };
  const pop = (): Entry | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };
  let serial = 1;
  for (const v of items) {
    push([serial, serial, v]);
    serial++;
  }
  for (;;) {
    const l = pop();
    if (!l) throw new RangeError('empty Huffman tree');
    const r = pop();
    if (!r) {
      if (!isNode(l[2])) throw new RangeError('a Huffman tree needs two items');
      return l[2];
    }
    push([l[0] + r[0], serial++, { left: l[2], right: r[2], node: true }]);
  }
}

class Bits {
  private at = 0;
  constructor(private readonly data: Buffer) {}
  next(): boolean {
    const byte = this.data[this.at >> 3];
    if (byte === undefined) throw new RangeError('path data ended early');
    const bit = (byte << (this.at & 7)) & 0x80;
    this.at++;
    return bit !== 0;
  }
}

function decode<T>(tree: Tree<T>, bits: Bits): T {
  let n: Tree<T> | T = tree;
  while (isNode(n)) n = bits.next() ? n.right : n.left;
  return n;
}

/** A DER-style length prefix (short or long form) and the bytes after it (Pulp's split_count). */
function splitCount(v: Buffer): [number, Buffer] {
  if (v.length === 0) throw new RangeError('missing count');
  const first = v[0]!;
  if (!(first & 0x80)) return [first, v.subarray(1)];
  const n = first - 128;
  if (n > 4 || v.length < n + 1) throw new RangeError('bad count');
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + v[i + 1]!;
  return [len, v.subarray(n + 1)];
}

function utf8String(der: Buffer): string {
  const t = readTlv(der);
  if (t.tag !== 0x0c) throw new RangeError('expected a UTF8String');
  return t.value.toString('utf8');
}

/** The v3 entitlement's path tree (`.9.7`): an OCTET STRING holding the zlib stream and the coded tree. */
export function entitlementTree(ext: Buffer): PathTree {
  const octets = readTlv(ext);
  if (octets.tag !== 0x04) throw new RangeError('expected an OCTET STRING');
  const { buffer: lex, engine } = inflateSync(octets.value, {
    info: true,
    maxOutputLength: MAX_INFLATED,
  }) as unknown as {
    buffer: Buffer;
    engine: { bytesWritten: number };
  };
  const [nodeCount, pathData] = splitCount(octets.value.subarray(engine.bytesWritten));
  if (nodeCount < 1 || nodeCount > MAX_NODES) throw new RangeError('bad node count');
  const words = lex.toString('utf8').split('\0');
  if (words.length < 2) throw new RangeError('too few words');
  const wordTree = buildHuffmanTree(words);
  const nodes: PathTree[] = Array.from({ length: nodeCount }, () => new Map<string, PathTree>());
  const addressTree = nodeCount > 2 ? buildHuffmanTree(nodes.slice(1)) : null;
  const bits = new Bits(pathData);
  for (const node of nodes) {
    for (;;) {
      const word = decode(wordTree, bits);
      if (word === '') break;
      if (node.has(word)) throw new RangeError('duplicate edge');
      // One child node only: Pulp's tree builder cannot code it, so neither can a valid certificate.
      if (!addressTree) throw new RangeError('a path tree needs at least two child nodes');
      node.set(word, decode(addressTree, bits));
    }
  }
  return nodes[0]!;
}

function treeAllows(node: PathTree, segments: string[], depth = 0): boolean {
  if (node.size === 0) return true;
  if (depth >= segments.length || depth > 256) return false;
  const segment = segments[depth]!;
  for (const [key, child] of node)
    if ((key === segment || key.startsWith('$')) && treeAllows(child, segments, depth + 1)) return true;
  return false;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function v1Allows(paths: string[], normalized: string): boolean {
  return paths.some((p) => {
    const trimmed = p.replace(/^\/+|\/+$/g, '');
    const pattern = `^${trimmed
      .split(/\$[^/]*/)
      .map(escape)
      .join('[^/]+')}($|/)`;
    return new RegExp(pattern).test(normalized);
  });
}

/** Pulp's check_path: the normalized request path must fall under a path the certificate grants. */
export function certificateAllowsPath(der: Buffer, path: string): boolean {
  const ext = certificateExtensions(der);
  const normalized = path.replace(/^\/+|\/+$/g, '').replace(/\/+/g, '/');
  const version = ext.has(VERSION_OID) ? utf8String(ext.get(VERSION_OID)!) : '1.0';
  if (Number.parseInt(version.split('.')[0] ?? '', 10) >= 3) {
    const tree = ext.get(ENTITLEMENT_OID);
    if (!tree) return false;
    return treeAllows(entitlementTree(tree), normalized.split('/'));
  }
  // Pulp asserts a v1 entitlement (its order name extension) before reading v1 paths.
  if (!ext.has(`${RH_OID}.4.1`)) return false;
  const paths: string[] = [];
  for (const [oid, value] of ext) if (V1_PATH_OID.test(oid)) paths.push(utf8String(value));
  return v1Allows(paths, normalized);
}
