import { type RawBuilder, sql } from 'kysely';

import { ValidationError } from '../core/errors.js';
import type { Filter } from '../plugin-api/filters.js';

/** Pulp refuses expressions above this complexity (1 per term, 1 per NOT, 1 per run of one operator). */
export const MAX_Q_COMPLEXITY = 8;

export type QNode =
  | { kind: 'term'; name: string; value: string }
  | { kind: 'not'; child: QNode }
  | { kind: 'and' | 'or'; children: QNode[] };

type Token = { type: 'word' | 'string' | 'eq' | 'open' | 'close'; text: string; at: number };

function fail(message: string): never {
  throw new ValidationError({ q: [message] });
}

const BARE = /[A-Za-z0-9.,_\-*]/;

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i] as string;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '(' || ch === ')') {
      tokens.push({ type: ch === '(' ? 'open' : 'close', text: ch, at: i++ });
    } else if (ch === '=') {
      tokens.push({ type: 'eq', text: ch, at: i++ });
    } else if (ch === '"' || ch === "'") {
      const start = i++;
      let text = '';
      while (i < input.length && input[i] !== ch) {
        if (input[i] === '\\' && i + 1 < input.length) i++;
        text += input[i++];
      }
      if (i >= input.length) fail(`Unterminated quoted value starting at position ${start}.`);
      i++;
      tokens.push({ type: 'string', text, at: start });
    } else if (BARE.test(ch)) {
      const start = i;
      while (i < input.length && BARE.test(input[i] as string)) i++;
      tokens.push({ type: 'word', text: input.slice(start, i), at: start });
    } else {
      fail(`Unexpected character '${ch}' at position ${i}.`);
    }
  }
  return tokens;
}

/** Parses a `q` expression: terms `filter=value`, `NOT` > `AND` > `OR`, parentheses. */
export function parseQExpression(input: string): QNode {
  const tokens = tokenize(input);
  let pos = 0;
  const peek = () => tokens[pos];
  const isOp = (t: Token | undefined, op: string) => t?.type === 'word' && t.text === op;

  const binary = (op: 'and' | 'or', next: () => QNode): QNode => {
    const children = [next()];
    while (isOp(peek(), op.toUpperCase())) {
      pos++;
      children.push(next());
    }
    return children.length === 1 ? (children[0] as QNode) : { kind: op, children };
  };
  const parseOr = (): QNode => binary('or', parseAnd);
  const parseAnd = (): QNode => binary('and', parseNot);
  const parseNot = (): QNode => {
    if (isOp(peek(), 'NOT')) {
      pos++;
      return { kind: 'not', child: parseNot() };
    }
    return parsePrimary();
  };
  const parsePrimary = (): QNode => {
    const t = peek();
    if (!t) fail('Unexpected end of expression.');
    if (t.type === 'open') {
      pos++;
      const inner = parseOr();
      if (peek()?.type !== 'close') fail(`Expected ')' at position ${peek()?.at ?? input.length}.`);
      pos++;
      return inner;
    }
    if (t.type !== 'word' || ['AND', 'OR', 'NOT'].includes(t.text)) fail(`Expected a filter at position ${t.at}.`);
    pos++;
    if (peek()?.type !== 'eq') fail(`Expected '=' after '${t.text}'.`);
    pos++;
    const v = peek();
    if (!v || (v.type !== 'word' && v.type !== 'string')) fail(`Expected a value for '${t.text}'.`);
    pos++;
    return { kind: 'term', name: t.text, value: v.text };
  };

  if (tokens.length === 0) fail('The expression is empty.');
  const tree = parseOr();
  const rest = peek();
  if (rest) fail(`Unexpected '${rest.text}' at position ${rest.at}.`);
  return tree;
}

/** Complexity as Pulp counts it: `a AND b AND c` is one AND group, 3 + 1 = 4. */
export function qComplexity(node: QNode): number {
  if (node.kind === 'term') return 1;
  if (node.kind === 'not') return 1 + qComplexity(node.child);
  return 1 + node.children.reduce((n, c) => n + qComplexity(c), 0);
}

const NOT_ALLOWED = new Set(['q', 'ordering', 'limit', 'offset', 'fields', 'exclude_fields']);

/**
 * Compiles a `q` expression over the endpoint's own filters into one SQL condition. Every problem (syntax,
 * complexity, unknown filter, bad value) is a 400 on `q`.
 */
export async function compileQExpression(expression: string, filters: Filter[]): Promise<RawBuilder<boolean>> {
  const tree = parseQExpression(expression);
  const complexity = qComplexity(tree);
  if (complexity > MAX_Q_COMPLEXITY) fail(`Filter expression exceeds allowed complexity of ${MAX_Q_COMPLEXITY}.`);
  const byName = new Map(filters.map((f) => [f.name, f]));

  const compile = async (node: QNode): Promise<RawBuilder<boolean>> => {
    if (node.kind === 'term') {
      const filter = NOT_ALLOWED.has(node.name) ? undefined : byName.get(node.name);
      if (!filter) fail(`Filter '${node.name}' does not exist.`);
      try {
        return await filter.apply([node.value]);
      } catch (err) {
        if (err instanceof ValidationError) {
          const messages = Array.isArray(err.fields) ? err.fields : Object.values(err.fields).flat().map(String);
          fail(`${node.name}: ${messages.join(' ')}`);
        }
        throw err;
      }
    }
    if (node.kind === 'not') return sql<boolean>`(NOT ${await compile(node.child)})`;
    const parts: RawBuilder<boolean>[] = [];
    for (const child of node.children) parts.push(await compile(child));
    return sql<boolean>`(${sql.join(parts, node.kind === 'and' ? sql` AND ` : sql` OR `)})`;
  };
  return compile(tree);
}
