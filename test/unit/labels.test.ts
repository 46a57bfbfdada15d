import { describe, expect, it } from 'vitest';

import { ValidationError } from '../../src/core/errors.js';
import { validateLabels } from '../../src/plugin-api/resource-fields.js';

describe('validateLabels', () => {
  it('accepts word characters, spaces, dots and hyphens in keys, and null values', () => {
    expect(validateLabels({ 'a b.c-d_e': 'v', n: null })).toEqual({ 'a b.c-d_e': 'v', n: null });
    expect(validateLabels('{"env":"prod"}')).toEqual({ env: 'prod' });
  });

  it('refuses other key characters, parentheses in values, non-objects and bad JSON on pulp_labels', () => {
    for (const bad of [{ 'a/b': 'v' }, { k: 'a(b' }, { k: 1 }, ['x'], 'nope', '{bad']) {
      try {
        validateLabels(bad);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(ValidationError);
        expect(Object.keys((err as ValidationError).fields)).toEqual(['pulp_labels']);
      }
    }
  });
});
