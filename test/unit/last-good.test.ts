import { describe, expect, it, vi } from 'vitest';

import { DatabaseOutage, LastGoodFiles } from '../../src/content/last-good.js';
import type { StoredFile } from '../../src/content/serve-file.js';

const file = (name: string, body: Buffer | null = null): StoredFile => ({
  name,
  localPath: `/media/${name}`,
  size: body?.length ?? 10,
  contentType: 'application/octet-stream',
  etag: '"1-a"',
  lastModified: null,
  mtimeSeconds: 0,
  body,
});

describe('LastGoodFiles', () => {
  it('keeps the newest resolution of each path, without the bytes of small files', () => {
    const lastGood = new LastGoodFiles(10);
    lastGood.record('a/x', file('artifact/01/old', Buffer.from('old')));
    lastGood.record('a/x', file('artifact/02/new', Buffer.from('new')));
    expect(lastGood.get('a/x')).toMatchObject({ name: 'artifact/02/new', body: null, size: 3 });
    lastGood.forget('a/x');
    expect(lastGood.get('a/x')).toBeUndefined();
  });

  it('is bounded: past its size the oldest resolution goes first, a re-recorded path counts as new', () => {
    const lastGood = new LastGoodFiles(3);
    for (const p of ['p1', 'p2', 'p3']) lastGood.record(p, file(p));
    lastGood.record('p1', file('p1'));
    lastGood.record('p4', file('p4'));
    expect(['p1', 'p2', 'p3', 'p4'].filter((p) => lastGood.get(p) !== undefined)).toEqual(['p1', 'p3', 'p4']);
    lastGood.clear();
    expect(lastGood.get('p4')).toBeUndefined();
  });
});

describe('DatabaseOutage', () => {
  it('is active for retryMs after a failure, and says when a failure starts an outage', () => {
    vi.useFakeTimers();
    try {
      const outage = new DatabaseOutage(2000);
      expect(outage.active()).toBe(false);
      expect(outage.failed()).toBe(true);
      vi.advanceTimersByTime(1500);
      expect(outage.active()).toBe(true);
      expect(outage.failed()).toBe(false);
      vi.advanceTimersByTime(1999);
      expect(outage.active()).toBe(true);
      vi.advanceTimersByTime(2);
      expect(outage.active()).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
