import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { ValidationError } from '../../src/core/errors.js';
import { assertSafeRelativePath, relativePathProblem } from '../../src/core/safe-path.js';
import { FileSystemStorage } from '../../src/storage/filesystem.js';

describe('safe relative paths', () => {
  it('accepts canonical relative paths', () => {
    expect(relativePathProblem('a/b/c.txt')).toBeNull();
    expect(relativePathProblem('dir with space/file-1.0.tar.gz')).toBeNull();
  });

  it.each([
    ['', 'empty'],
    ['/etc/passwd', 'leading slash'],
    ['a/', 'trailing slash'],
    ['a/../../b', 'parent segment'],
    ['./a', 'dot segment'],
    ['a//b', 'empty segment'],
    ['a\\..\\b', 'backslash'],
    ['a\u0000b', 'NUL'],
    ['a?b', 'query'],
    [' a/b', 'leading whitespace'],
  ])('refuses %j (%s)', (p) => {
    expect(relativePathProblem(p)).not.toBeNull();
    expect(() => assertSafeRelativePath(p)).toThrow(ValidationError);
  });

  it('names the field in the error', () => {
    try {
      assertSafeRelativePath('../x', 'relative_path');
      expect.unreachable();
    } catch (err) {
      expect((err as ValidationError).fields).toHaveProperty('relative_path');
    }
  });

  it('keeps filesystem storage names inside the storage root', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'pulp-ts-storage-'));
    const storage = new FileSystemStorage(root);
    expect(storage.localPath('artifact/ab/cdef')).toBe(path.join(root, 'artifact/ab/cdef'));
    expect(() => storage.localPath('../outside')).toThrow(ValidationError);
    expect(() => storage.localPath('/etc/passwd')).toThrow(ValidationError);
  });
});
