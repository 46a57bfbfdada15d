/**
 * The `condition_expression` language of drf-access-policy, as Pulp's default policies write it:
 * operands are condition references (`is_private`, `has_namespace_or_obj_perms:container.view_containerdistribution`)
 * or the constants `True` / `False`, combined with `not` (binds tightest), `and`, then `or`, and parentheses.
 * A condition reference is letters, digits, `_`, `.` and `:`; the text after its first colon is the argument.
 */
export type ConditionNode =
  | { type: 'condition'; name: string; arg: string }
  | { type: 'const'; value: boolean }
  | { type: 'not'; operand: ConditionNode }
  | { type: 'and' | 'or'; operands: ConditionNode[] };

/** A `condition_expression` that does not parse; the statement grants nothing. */
export class ConditionSyntaxError extends Error {
  constructor(
    readonly expression: string,
    readonly position: number,
    reason: string,
  ) {
    super(`condition_expression ${JSON.stringify(expression)}: ${reason} at ${position}`);
    this.name = 'ConditionSyntaxError';
  }
}

interface Token {
  text: string;
  at: number;
}

const TOKEN = /\s*(?:(\(|\))|([A-Za-z0-9_.:]+))/y;

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < expression.length) {
    if (/^\s*$/.test(expression.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(expression);
    if (!m) {
      const bad = at + (/^\s*/.exec(expression.slice(at))?.[0].length ?? 0);
      throw new ConditionSyntaxError(expression, bad, `unexpected character ${JSON.stringify(expression[bad])}`);
    }
    const text = (m[1] ?? m[2])!;
    tokens.push({ text, at: TOKEN.lastIndex - text.length });
    at = TOKEN.lastIndex;
  }
  return tokens;
}

/** A condition reference as a `condition` entry writes it: `name` or `name:arg`. */
export function conditionReference(text: string): { name: string; arg: string } {
  const sep = text.indexOf(':');
  return sep < 0 ? { name: text, arg: '' } : { name: text.slice(0, sep), arg: text.slice(sep + 1) };
}

const KEYWORDS = new Set(['and', 'or', 'not', '(', ')']);

/** Parses one expression; throws ConditionSyntaxError on anything the language does not allow. */
export function parseConditionExpression(expression: string): ConditionNode {
  const tokens = tokenize(expression);
  let i = 0;
  const peek = () => tokens[i]?.text;
  const fail = (reason: string): never => {
    throw new ConditionSyntaxError(expression, tokens[i]?.at ?? expression.length, reason);
  };

  const binary = (type: 'and' | 'or', next: () => ConditionNode): ConditionNode => {
    const operands = [next()];
    while (peek() === type) {
      i++;
      operands.push(next());
    }
    return operands.length === 1 ? operands[0]! : { type, operands };
  };
  const orExpr = (): ConditionNode => binary('or', andExpr);
  const andExpr = (): ConditionNode => binary('and', notExpr);
  const notExpr = (): ConditionNode => {
    if (peek() === 'not') {
      i++;
      return { type: 'not', operand: notExpr() };
    }
    return atom();
  };
  const atom = (): ConditionNode => {
    const token = peek();
    if (token === undefined) return fail('expected a condition');
    if (token === '(') {
      i++;
      const inner = orExpr();
      if (peek() !== ')') fail("expected ')'");
      i++;
      return inner;
    }
    if (KEYWORDS.has(token)) return fail(`unexpected '${token}'`);
    i++;
    if (token === 'True' || token === 'False') return { type: 'const', value: token === 'True' };
    const ref = conditionReference(token);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(ref.name)) {
      i--;
      return fail(`invalid condition name '${ref.name}'`);
    }
    return { type: 'condition', ...ref };
  };

  const node = orExpr();
  if (i < tokens.length) fail(`unexpected '${peek()}'`);
  return node;
}

const parsed = new Map<string, ConditionNode | ConditionSyntaxError>();

/** parseConditionExpression, remembered per text (policies are few and evaluated on every request). */
export function cachedConditionExpression(expression: string): ConditionNode | ConditionSyntaxError {
  let hit = parsed.get(expression);
  if (!hit) {
    try {
      hit = parseConditionExpression(expression);
    } catch (err) {
      if (!(err instanceof ConditionSyntaxError)) throw err;
      hit = err;
    }
    // Stored policies are user data: keep the cache from growing without bound.
    if (parsed.size > 1000) parsed.clear();
    parsed.set(expression, hit);
  }
  return hit;
}

/**
 * Evaluates a parsed expression, left to right with short-circuit (`a or b` does not evaluate `b` once `a`
 * holds), each condition through `check`.
 */
export async function evaluateCondition(
  node: ConditionNode,
  check: (name: string, arg: string) => Promise<boolean>,
): Promise<boolean> {
  switch (node.type) {
    case 'const':
      return node.value;
    case 'condition':
      return check(node.name, node.arg);
    case 'not':
      return !(await evaluateCondition(node.operand, check));
    case 'and':
      for (const o of node.operands) if (!(await evaluateCondition(o, check))) return false;
      return true;
    case 'or':
      for (const o of node.operands) if (await evaluateCondition(o, check)) return true;
      return false;
  }
}
