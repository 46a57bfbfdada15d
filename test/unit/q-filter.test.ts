import { describe, expect, it } from 'vitest';

import { renderError } from '../../src/api/errors.js';
import { parseQExpression, qComplexity } from '../../src/api/q-filter.js';
import { ValidationError } from '../../src/core/errors.js';

/** What the API answers for a refused expression: the status and body the one error mapping renders. */
function qRefusal(expression: string): { status: number; body: unknown } {
  try {
    parseQExpression(expression);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    const { status, body } = renderError(err);
    return { status, body };
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
    ['', 'The expression is empty.'],
    ['name', "Expected '=' after 'name'."],
    ['name=', "Expected a value for 'name'."],
    ['(a=1', "Expected ')' at position 4."],
    ['a=1 b=2', "Unexpected 'b' at position 4."],
    ['a=1 AND', 'Unexpected end of expression.'],
    ['AND a=1', 'Expected a filter at position 0.'],
    ['a="unterminated', 'Unterminated quoted value starting at position 2.'],
    ['a=/pulp/api/', "Unexpected character '/' at position 2."],
  ])('refuses %j with a 400 on q: %s', (expression, message) => {
    expect(qRefusal(expression)).toEqual({ status: 400, body: { q: [message] } });
  });
});
