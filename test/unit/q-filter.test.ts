import { describe, expect, it } from 'vitest';

import { ValidationError } from '../../src/core/errors.js';
import { parseQExpression, qComplexity } from '../../src/api/q-filter.js';

function qError(expression: string): string {
  try {
    parseQExpression(expression);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return ((err as ValidationError).fields as Record<string, string[]>).q?.[0] ?? '';
  }
  throw new Error('expected a q error');
}

describe('q expressions', () => {
  it('parses a term with a bare value', () => {
    expect(parseQExpression('name__startswith=foo-1.2_*')).toEqual({
      kind: 'term',
      name: 'name__startswith',
      value: 'foo-1.2_*',
    });
  });

  it('parses quoted values with spaces, equals signs and slashes', () => {
    expect(parseQExpression('pulp_label_select="env=prod"')).toEqual({
      kind: 'term',
      name: 'pulp_label_select',
      value: 'env=prod',
    });
    expect(parseQExpression("name='a b/c'")).toEqual({ kind: 'term', name: 'name', value: 'a b/c' });
    expect(parseQExpression('name="say \\"hi\\""')).toEqual({ kind: 'term', name: 'name', value: 'say "hi"' });
  });

  it('binds NOT tighter than AND and AND tighter than OR', () => {
    expect(parseQExpression('a=1 OR NOT b=2 AND c=3')).toEqual({
      kind: 'or',
      children: [
        { kind: 'term', name: 'a', value: '1' },
        {
          kind: 'and',
          children: [
            { kind: 'not', child: { kind: 'term', name: 'b', value: '2' } },
            { kind: 'term', name: 'c', value: '3' },
          ],
        },
      ],
    });
  });

  it('honours parentheses', () => {
    expect(parseQExpression('(a=1 OR b=2) AND c=3')).toEqual({
      kind: 'and',
      children: [
        {
          kind: 'or',
          children: [
            { kind: 'term', name: 'a', value: '1' },
            { kind: 'term', name: 'b', value: '2' },
          ],
        },
        { kind: 'term', name: 'c', value: '3' },
      ],
    });
  });

  it('counts complexity as Pulp does: a run of one operator counts once', () => {
    expect(qComplexity(parseQExpression('a=1'))).toBe(1);
    expect(qComplexity(parseQExpression('a=1 AND b=2 AND c=3'))).toBe(4);
    expect(qComplexity(parseQExpression('NOT a=1'))).toBe(2);
    expect(qComplexity(parseQExpression('(a=1 OR b=2) AND NOT c=3'))).toBe(1 + 3 + 2);
  });

  it.each([
    ['', 'empty'],
    ['name', 'missing value'],
    ['name=', 'missing value after ='],
    ['(a=1', 'unclosed parenthesis'],
    ['a=1 b=2', 'missing operator'],
    ['a=1 AND', 'dangling operator'],
    ['a="unterminated', 'unterminated quote'],
    ['a=/pulp/api/', 'unquoted slash'],
  ])('refuses %j (%s) with a 400 on q', (expression) => {
    expect(qError(expression)).not.toBe('');
  });
});
