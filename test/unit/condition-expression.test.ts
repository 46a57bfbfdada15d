import { describe, expect, it } from 'vitest';

import {
  cachedConditionExpression,
  type ConditionNode,
  ConditionSyntaxError,
  conditionReference,
  evaluateCondition,
  parseConditionExpression,
} from '../../src/api/rbac/condition-expression.js';
import { definePlugin } from '../../src/plugin-api/define-plugin.js';
import { buildRegistry } from '../../src/plugin-api/registry.js';

const cond = (name: string, arg = ''): ConditionNode => ({ type: 'condition', name, arg });

/** Evaluates with conditions true when listed, recording the order in which they were asked. */
async function run(expression: string, truths: string[]): Promise<{ value: boolean; asked: string[] }> {
  const asked: string[] = [];
  const value = await evaluateCondition(parseConditionExpression(expression), async (name, arg) => {
    const ref = arg ? `${name}:${arg}` : name;
    asked.push(ref);
    return truths.includes(ref);
  });
  return { value, asked };
}

describe('condition_expression parser', () => {
  it('reads a lone condition with its argument after the first colon', () => {
    expect(parseConditionExpression('has_namespace_or_obj_perms:container.view_containerdistribution')).toEqual(
      cond('has_namespace_or_obj_perms', 'container.view_containerdistribution'),
    );
    expect(conditionReference('a:b:c')).toEqual({ name: 'a', arg: 'b:c' });
  });

  it('binds not tighter than and, and and tighter than or (Pulp: not is_private or has_...)', () => {
    expect(parseConditionExpression('not is_private or has_perm:x.y')).toEqual({
      type: 'or',
      operands: [{ type: 'not', operand: cond('is_private') }, cond('has_perm', 'x.y')],
    });
    expect(parseConditionExpression('a or b and c')).toEqual({
      type: 'or',
      operands: [cond('a'), { type: 'and', operands: [cond('b'), cond('c')] }],
    });
  });

  it('groups with parentheses, nested, and chains same operators flat', () => {
    expect(parseConditionExpression('(a or b) and not (c and (d))')).toEqual({
      type: 'and',
      operands: [
        { type: 'or', operands: [cond('a'), cond('b')] },
        { type: 'not', operand: { type: 'and', operands: [cond('c'), cond('d')] } },
      ],
    });
    expect(parseConditionExpression('a and b and c')).toEqual({
      type: 'and',
      operands: [cond('a'), cond('b'), cond('c')],
    });
    expect(parseConditionExpression('not not a')).toEqual({
      type: 'not',
      operand: { type: 'not', operand: cond('a') },
    });
  });

  it('knows the constants True and False, and tolerates any whitespace', () => {
    expect(parseConditionExpression('  True\tand\n(False)  ')).toEqual({
      type: 'and',
      operands: [
        { type: 'const', value: true },
        { type: 'const', value: false },
      ],
    });
  });

  it.each([
    ['', 'expected a condition'],
    ['a and', 'expected a condition'],
    ['a b', "unexpected 'b'"],
    ['(a or b', "expected ')'"],
    ['a)', "unexpected ')'"],
    ['and a', "unexpected 'and'"],
    ['a && b', 'unexpected character "&"'],
    ['is_private()', "unexpected '('"],
    ['container.view_x', "invalid condition name 'container.view_x'"],
    [':x', "invalid condition name ''"],
  ])('refuses %j (%s)', (expression, reason) => {
    let error: unknown;
    try {
      parseConditionExpression(expression);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConditionSyntaxError);
    expect((error as Error).message).toContain(reason);
  });

  it('remembers parses and refusals by text', () => {
    const first = cachedConditionExpression('x or y');
    expect(cachedConditionExpression('x or y')).toBe(first);
    expect(cachedConditionExpression('x or')).toBeInstanceOf(ConditionSyntaxError);
  });
});

describe('condition_expression evaluation', () => {
  it('follows boolean logic', async () => {
    expect((await run('not is_private or has_perm:p', [])).value).toBe(true);
    expect((await run('not is_private or has_perm:p', ['is_private'])).value).toBe(false);
    expect((await run('not is_private or has_perm:p', ['is_private', 'has_perm:p'])).value).toBe(true);
    expect((await run('(a or b) and not c', ['b'])).value).toBe(true);
    expect((await run('(a or b) and not c', ['b', 'c'])).value).toBe(false);
    expect((await run('False or True', [])).value).toBe(true);
  });

  it('stops at the first operand that decides, left to right', async () => {
    expect((await run('a or b or c', ['a'])).asked).toEqual(['a']);
    expect((await run('a and b and c', ['a'])).asked).toEqual(['a', 'b']);
    expect((await run('a or b', ['b'])).asked).toEqual(['a', 'b']);
  });
});

describe('plugin access policy conditions in the registry', () => {
  const plugin = (name: string, conditions: Record<string, () => boolean>) =>
    definePlugin({ name, module: `${name}.app`, rbac: { conditions } });

  it('refuses two plugins declaring one condition name, and a malformed name, reporting both', () => {
    const a = plugin('alpha', { shared_check: () => true });
    const b = plugin('beta', { shared_check: () => false, 'bad name': () => true });
    expect(() => buildRegistry([a, b], ['alpha', 'beta'])).toThrow(
      /condition 'shared_check' is already declared by 'alpha'[\s\S]*condition name 'bad name' must match/,
    );
  });
});
