/**
 * The part of jq that header guards use: paths (`.a.b`, `.a[0]`, `.a[]`, `.["k"]`), pipes, `select(...)`,
 * `==`/`!=`, `and`/`or`, literals. Pulp evaluates jq_filter with the jq library and compares the first
 * result; this subset avoids a native dependency. Anything else is a parse error and denies access.
 */
type Json = unknown;
type Node =
  | { kind: 'path'; steps: Array<{ key: string | number } | { each: true }> }
  | { kind: 'literal'; value: Json }
  | { kind: 'pipe'; left: Node; right: Node }
  | { kind: 'compare'; op: '==' | '!='; left: Node; right: Node }
  | { kind: 'logic'; op: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'select'; cond: Node };

const MAX_RESULTS = 10_000;

class Parser {
  private pos = 0;
  constructor(private readonly src: string) {}

  parse(): Node {
    const node = this.pipe();
    this.ws();
    if (this.pos !== this.src.length) throw new Error(`unexpected '${this.src.slice(this.pos, this.pos + 10)}'`);
    return node;
  }

  private ws(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos] ?? '')) this.pos++;
  }

  private eat(token: string): boolean {
    this.ws();
    if (this.src.startsWith(token, this.pos)) {
      this.pos += token.length;
      return true;
    }
    return false;
  }

  private pipe(): Node {
    let left = this.or();
    while (this.eat('|')) left = { kind: 'pipe', left, right: this.or() };
    return left;
  }

  private or(): Node {
    let left = this.and();
    while (this.keyword('or')) left = { kind: 'logic', op: 'or', left, right: this.and() };
    return left;
  }

  private and(): Node {
    let left = this.compare();
    while (this.keyword('and')) left = { kind: 'logic', op: 'and', left, right: this.compare() };
    return left;
  }

  private keyword(word: string): boolean {
    this.ws();
    const re = new RegExp(`^${word}(?![A-Za-z0-9_])`);
    if (re.test(this.src.slice(this.pos))) {
      this.pos += word.length;
      return true;
    }
    return false;
  }

  private compare(): Node {
    const left = this.term();
    if (this.eat('==')) return { kind: 'compare', op: '==', left, right: this.term() };
    if (this.eat('!=')) return { kind: 'compare', op: '!=', left, right: this.term() };
    return left;
  }

  private term(): Node {
    this.ws();
    const c = this.src[this.pos];
    if (c === '.') return this.path();
    if (c === '(') {
      this.pos++;
      const inner = this.pipe();
      if (!this.eat(')')) throw new Error("expected ')'");
      return inner;
    }
    if (this.keyword('select')) {
      if (!this.eat('(')) throw new Error("expected '('");
      const cond = this.pipe();
      if (!this.eat(')')) throw new Error("expected ')'");
      return { kind: 'select', cond };
    }
    return { kind: 'literal', value: this.literal() };
  }

  private literal(): Json {
    this.ws();
    const rest = this.src.slice(this.pos);
    const m = /^(?:"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true(?![\w])|false(?![\w])|null(?![\w]))/.exec(
      rest,
    );
    if (!m) throw new Error(`unexpected '${rest.slice(0, 10)}'`);
    this.pos += m[0].length;
    return JSON.parse(m[0]) as Json;
  }

  private path(): Node {
    const steps: Array<{ key: string | number } | { each: true }> = [];
    this.pos++; // the leading '.'
    const ident = () => {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.pos));
      if (!m) return null;
      this.pos += m[0].length;
      return m[0];
    };
    const first = ident();
    if (first !== null) steps.push({ key: first });
    for (;;) {
      if (this.src[this.pos] === '.' && /[A-Za-z_"]/.test(this.src[this.pos + 1] ?? '')) {
        this.pos++;
        if (this.src[this.pos] === '"') steps.push({ key: this.literal() as string });
        else steps.push({ key: ident() as string });
      } else if (this.src[this.pos] === '[') {
        this.pos++;
        if (this.eat(']')) {
          steps.push({ each: true });
          continue;
        }
        const key = this.literal();
        if (typeof key !== 'string' && !(typeof key === 'number' && Number.isInteger(key)))
          throw new Error('bad index');
        if (!this.eat(']')) throw new Error("expected ']'");
        steps.push({ key });
      } else {
        return { kind: 'path', steps };
      }
    }
  }
}

function deepEqual(a: Json, b: Json): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function truthy(v: Json): boolean {
  return v !== false && v !== null && v !== undefined;
}

function evaluate(node: Node, input: Json): Json[] {
  switch (node.kind) {
    case 'literal':
      return [node.value];
    case 'path': {
      let values: Json[] = [input];
      for (const step of node.steps) {
        const next: Json[] = [];
        for (const v of values) {
          if ('each' in step) {
            if (Array.isArray(v)) next.push(...(v as unknown[]));
            else if (v && typeof v === 'object') next.push(...Object.values(v as Record<string, unknown>));
            else throw new Error('cannot iterate');
          } else if (v === null || v === undefined) {
            next.push(null);
          } else if (typeof step.key === 'number') {
            if (!Array.isArray(v)) throw new Error('cannot index');
            next.push((v as Json[])[step.key < 0 ? v.length + step.key : step.key] ?? null);
          } else {
            if (typeof v !== 'object' || Array.isArray(v)) throw new Error('cannot index');
            next.push(Object.prototype.hasOwnProperty.call(v, step.key) ? (v as Record<string, Json>)[step.key] : null);
          }
          if (next.length > MAX_RESULTS) throw new Error('too many results');
        }
        values = next;
      }
      return values;
    }
    case 'pipe':
      return evaluate(node.left, input).flatMap((v) => evaluate(node.right, v));
    case 'compare': {
      const out: Json[] = [];
      for (const r of evaluate(node.right, input))
        for (const l of evaluate(node.left, input)) out.push(node.op === '==' ? deepEqual(l, r) : !deepEqual(l, r));
      return out;
    }
    case 'logic': {
      const out: Json[] = [];
      for (const l of evaluate(node.left, input)) {
        if (node.op === 'and' && !truthy(l)) out.push(false);
        else if (node.op === 'or' && truthy(l)) out.push(true);
        else for (const r of evaluate(node.right, input)) out.push(truthy(r));
      }
      return out;
    }
    case 'select':
      return evaluate(node.cond, input).some(truthy) ? [input] : [];
  }
}

/** Compiles a filter once; throws on syntax this subset does not understand. */
export function compileJq(expression: string): (input: Json) => Json[] {
  if (expression.length > 4096) throw new Error('filter too long');
  const ast = new Parser(expression).parse();
  return (input) => evaluate(ast, input);
}
