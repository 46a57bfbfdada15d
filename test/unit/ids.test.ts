import { describe, expect, it } from 'vitest';

import { apiPrefix, formatTimestamp, hrefPath, isUuid, parsePrn, prn } from '../../src/core/ids.js';

describe('hrefs, PRNs and timestamps', () => {
  it('builds the API prefix from API_ROOT', () => {
    expect(apiPrefix('/pulp/')).toBe('/pulp/api/v3/');
    expect(apiPrefix('/')).toBe('/api/v3/');
  });

  it('takes the path of relative and absolute hrefs, always with a trailing slash', () => {
    expect(hrefPath('/pulp/api/v3/tasks/1/')).toBe('/pulp/api/v3/tasks/1/');
    expect(hrefPath('/pulp/api/v3/tasks/1')).toBe('/pulp/api/v3/tasks/1/');
    expect(hrefPath('http://pulp.example:8080/pulp/api/v3/tasks/1/?x=1')).toBe('/pulp/api/v3/tasks/1/');
    expect(hrefPath('tasks/1/')).toBeNull();
  });

  it('round-trips PRNs naming the concrete model', () => {
    const id = '0190b1f4-8a4c-7a43-9f43-7f1f3a1c2b3d';
    expect(prn('file.filerepository', id)).toBe(`prn:file.filerepository:${id}`);
    expect(parsePrn(`prn:file.filerepository:${id}`)).toEqual({ model: 'file.filerepository', pk: id });
    expect(parsePrn(`prn:auth.user:12`)).toEqual({ model: 'auth.user', pk: '12' });
    expect(parsePrn('/pulp/api/v3/tasks/')).toBeNull();
    expect(isUuid(id)).toBe(true);
    expect(isUuid('12')).toBe(false);
  });

  it('renders timestamps with microseconds and Z, as Pulp does', () => {
    expect(formatTimestamp('2026-08-19 13:12:05.123456+00')).toBe('2026-08-19T13:12:05.123456Z');
    expect(formatTimestamp('2026-08-19 13:12:05+00')).toBe('2026-08-19T13:12:05.000000Z');
    expect(formatTimestamp('2026-08-19 13:12:05.1+00')).toBe('2026-08-19T13:12:05.100000Z');
    expect(formatTimestamp(new Date('2026-08-19T13:12:05.123Z'))).toBe('2026-08-19T13:12:05.123000Z');
    expect(formatTimestamp(null)).toBeNull();
  });
});
