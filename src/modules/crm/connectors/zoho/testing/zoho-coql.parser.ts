/**
 * The subset of Zoho's COQL the fake understands, parsed the way Zoho documents it:
 * `select a, b from Module where <criteria> [order by f [asc|desc], …] [limit n [offset m] | limit m, n]`.
 * Criteria: `=`, `!=`, `<>`, `>`, `>=`, `<`, `<=`, `is [not] null`, `[not] in (…)`, `[not] like '…%'`,
 * `between x and y`; `and`/`or` with brackets, and (as Zoho requires) at most two criteria per
 * unbracketed level. String literals are single-quoted; `\'` and `\\` are escapes. WHERE is mandatory.
 */

export class CoqlError extends Error {
  constructor(
    readonly code: 'SYNTAX_ERROR' | 'INVALID_QUERY' | 'LIMIT_EXCEEDED',
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export type CoqlValue = string | number | boolean | null;
export type CoqlCondition =
  | { kind: 'and' | 'or'; left: CoqlCondition; right: CoqlCondition }
  | { kind: 'compare'; field: string; op: '=' | '!=' | '>' | '>=' | '<' | '<='; value: CoqlValue }
  | { kind: 'null'; field: string; negated: boolean }
  | { kind: 'in'; field: string; values: CoqlValue[]; negated: boolean }
  | { kind: 'like'; field: string; pattern: string; negated: boolean }
  | { kind: 'between'; field: string; low: CoqlValue; high: CoqlValue };

export type CoqlQuery = {
  columns: string[];
  module: string;
  where: CoqlCondition;
  orderBy: { field: string; direction: 'asc' | 'desc' }[];
  limit: number;
  offset: number;
};

type Token = { type: 'word' | 'string' | 'number' | 'symbol'; text: string; value?: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === "'" || ch === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new CoqlError('SYNTAX_ERROR', 'error occured while parsing the query', { near: text.slice(i, i + 20) });
        const c = text[j] as string;
        if (c === '\\' && j + 1 < text.length) {
          value += text[j + 1];
          j += 2;
          continue;
        }
        if (c === ch) break;
        value += c;
        j++;
      }
      tokens.push({ type: 'string', text: text.slice(i, j + 1), value });
      i = j + 1;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (['>=', '<=', '!=', '<>'].includes(two)) {
      tokens.push({ type: 'symbol', text: two === '<>' ? '!=' : two });
      i += 2;
      continue;
    }
    if ('(),=<>*'.includes(ch)) {
      tokens.push({ type: 'symbol', text: ch });
      i++;
      continue;
    }
    const number = /^-?\d+(\.\d+)?/.exec(text.slice(i));
    if (number) {
      tokens.push({ type: 'number', text: number[0] });
      i += number[0].length;
      continue;
    }
    const word = /^[A-Za-z_$!][A-Za-z0-9_.$]*/.exec(text.slice(i));
    if (word) {
      tokens.push({ type: 'word', text: word[0] });
      i += word[0].length;
      continue;
    }
    throw new CoqlError('SYNTAX_ERROR', 'error occured while parsing the query', { near: text.slice(i, i + 20) });
  }
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }
  private isWord(word: string): boolean {
    const t = this.peek();
    return t?.type === 'word' && t.text.toLowerCase() === word;
  }
  private isSymbol(symbol: string): boolean {
    const t = this.peek();
    return t?.type === 'symbol' && t.text === symbol;
  }
  private fail(expected: string): never {
    throw new CoqlError('SYNTAX_ERROR', 'error occured while parsing the query', { expected, near: this.peek()?.text ?? 'end of query' });
  }
  private word(word: string): void {
    if (!this.isWord(word)) this.fail(word);
    this.pos++;
  }
  private symbol(symbol: string): void {
    if (!this.isSymbol(symbol)) this.fail(symbol);
    this.pos++;
  }
  private ident(): string {
    const t = this.peek();
    if (t?.type !== 'word' || ['select', 'from', 'where', 'and', 'or', 'order', 'by', 'limit', 'offset', 'not', 'in', 'is', 'null', 'like', 'between'].includes(t.text.toLowerCase())) this.fail('a field name');
    this.pos++;
    return t.text;
  }
  private value(): CoqlValue {
    const t = this.peek();
    if (!t) this.fail('a value');
    this.pos++;
    if (t.type === 'string') return t.value ?? '';
    // Record ids are 19-digit integers: keep what a double cannot hold exactly as text.
    if (t.type === 'number') return Number.isSafeInteger(Number(t.text)) || t.text.includes('.') ? Number(t.text) : t.text;
    if (t.type === 'word' && /^(true|false)$/i.test(t.text)) return t.text.toLowerCase() === 'true';
    if (t.type === 'word' && /^null$/i.test(t.text)) return null;
    this.pos--;
    return this.fail('a value');
  }
  private integer(): number {
    const t = this.peek();
    if (t?.type !== 'number' || !/^\d+$/.test(t.text)) this.fail('a number');
    this.pos++;
    return Number(t.text);
  }

  query(): CoqlQuery {
    this.word('select');
    const columns = [this.ident()];
    while (this.isSymbol(',')) {
      this.pos++;
      columns.push(this.ident());
    }
    this.word('from');
    const module = this.ident();
    if (!this.isWord('where')) throw new CoqlError('SYNTAX_ERROR', 'where clause is mandatory', { clause: 'where' });
    this.pos++;
    const where = this.expression();
    const orderBy: CoqlQuery['orderBy'] = [];
    if (this.isWord('order')) {
      this.pos++;
      this.word('by');
      do {
        if (this.isSymbol(',')) this.pos++;
        const field = this.ident();
        let direction: 'asc' | 'desc' = 'asc';
        if (this.isWord('asc') || this.isWord('desc')) {
          direction = (this.peek()?.text.toLowerCase() as 'asc' | 'desc') ?? 'asc';
          this.pos++;
        }
        orderBy.push({ field, direction });
      } while (this.isSymbol(','));
    }
    let limit = 200;
    let offset = 0;
    if (this.isWord('limit')) {
      this.pos++;
      const first = this.integer();
      if (this.isSymbol(',')) {
        this.pos++;
        offset = first;
        limit = this.integer();
      } else {
        limit = first;
        if (this.isWord('offset')) {
          this.pos++;
          offset = this.integer();
        }
      }
    }
    if (this.peek()) this.fail('end of query');
    if (limit < 1 || limit > 2000) throw new CoqlError('LIMIT_EXCEEDED', 'limit must be between 1 and 2000', { limit });
    return { columns, module, where, orderBy, limit, offset };
  }

  /** One level: a single criterion, or two joined by and/or; more than two need brackets. */
  private expression(): CoqlCondition {
    const left = this.primary();
    if (!(this.isWord('and') || this.isWord('or'))) return left;
    const kind = this.peek()?.text.toLowerCase() as 'and' | 'or';
    this.pos++;
    const right = this.primary();
    if (this.isWord('and') || this.isWord('or')) {
      throw new CoqlError('SYNTAX_ERROR', 'more than two criteria must be grouped with brackets', { near: this.peek()?.text });
    }
    return { kind, left, right };
  }

  private primary(): CoqlCondition {
    if (this.isSymbol('(')) {
      this.pos++;
      const inner = this.expression();
      this.symbol(')');
      return inner;
    }
    const field = this.ident();
    if (this.isWord('is')) {
      this.pos++;
      const negated = this.isWord('not');
      if (negated) this.pos++;
      this.word('null');
      return { kind: 'null', field, negated };
    }
    const negated = this.isWord('not');
    if (negated) this.pos++;
    if (this.isWord('in')) {
      this.pos++;
      this.symbol('(');
      const values = [this.value()];
      while (this.isSymbol(',')) {
        this.pos++;
        values.push(this.value());
      }
      this.symbol(')');
      if (values.length > 50) throw new CoqlError('LIMIT_EXCEEDED', 'in takes at most 50 values', { count: values.length });
      return { kind: 'in', field, values, negated };
    }
    if (this.isWord('like')) {
      this.pos++;
      const pattern = this.value();
      if (typeof pattern !== 'string') this.fail('a string');
      return { kind: 'like', field, pattern, negated };
    }
    if (negated) this.fail('in or like');
    if (this.isWord('between')) {
      this.pos++;
      const low = this.value();
      this.word('and');
      const high = this.value();
      return { kind: 'between', field, low, high };
    }
    const t = this.peek();
    if (t?.type !== 'symbol' || !['=', '!=', '>', '>=', '<', '<='].includes(t.text)) this.fail('a comparator');
    this.pos++;
    return { kind: 'compare', field, op: t.text as '=' | '!=' | '>' | '>=' | '<' | '<=', value: this.value() };
  }
}

export function parseCoql(text: string): CoqlQuery {
  return new Parser(tokenize(text)).query();
}

/** Every field a condition reads (for Zoho's "invalid column" check). */
export function conditionFields(condition: CoqlCondition): string[] {
  switch (condition.kind) {
    case 'and':
    case 'or':
      return [...conditionFields(condition.left), ...conditionFields(condition.right)];
    default:
      return [condition.field];
  }
}
