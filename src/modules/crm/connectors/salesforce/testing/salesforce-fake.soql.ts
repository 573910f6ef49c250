/**
 * Just enough SOQL and SOSL for the Salesforce fake: a real tokenizer and parser, so that a value
 * the connector forgot to escape changes the query's meaning here as it would in Salesforce (or
 * makes it malformed), instead of being matched as a plain string.
 *
 * SOQL: `SELECT f, … FROM Object [WHERE expr] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], …]
 * [LIMIT n] [OFFSET n]`; expr has AND, OR, NOT, parentheses, `= != <> < <= > >=`, `[NOT] IN (…)`
 * and LIKE; literals are 'strings' (backslash escapes), numbers, true/false, null, dateTime
 * (`2026-11-01T12:00:00Z`) and date (`2026-11-01`) literals.
 *
 * SOSL: `FIND {terms} IN PHONE FIELDS [RETURNING Object(f, … [LIMIT n])]`; terms are "phrases" or
 * words joined by OR; `\` escapes a reserved character; an unescaped `*` ends a word as a wildcard.
 */

export class SoqlError extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

export type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  | { kind: 'datetime'; value: number }
  | { kind: 'date'; value: string };

export type Expr =
  | { type: 'and' | 'or'; left: Expr; right: Expr }
  | { type: 'not'; expr: Expr }
  | { type: 'cmp'; field: string; op: '=' | '!=' | '<' | '<=' | '>' | '>='; value: Literal }
  | { type: 'in'; field: string; negate: boolean; values: Literal[] }
  | { type: 'like'; field: string; pattern: string };

export type OrderBy = { field: string; descending: boolean; nullsLast: boolean };

export type SoqlQuery = { fields: string[]; object: string; where: Expr | null; orderBy: OrderBy[]; limit: number | null; offset: number };

type Token =
  | { t: 'ident'; v: string }
  | { t: 'string'; v: string }
  | { t: 'number'; v: number }
  | { t: 'datetime'; v: number }
  | { t: 'date'; v: string }
  | { t: 'punct'; v: string };

const STRING_ESCAPES: Record<string, string> = { n: '\n', N: '\n', r: '\r', R: '\r', t: '\t', T: '\t', b: '\b', B: '\b', f: '\f', F: '\f', '"': '"', "'": "'", '\\': '\\' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new SoqlError('MALFORMED_QUERY', 'unexpected end of query: unterminated string literal');
        const ch = text[i] ?? '';
        if (ch === "'") {
          i++;
          break;
        }
        if (ch === '\\') {
          const next = text[i + 1] ?? '';
          // \_ and \% are kept escaped for LIKE; anything else unknown is an error, as in Salesforce.
          if (next === '_' || next === '%') value += `\\${next}`;
          else if (next in STRING_ESCAPES) value += STRING_ESCAPES[next];
          else throw new SoqlError('MALFORMED_QUERY', `Invalid string literal: illegal escape sequence \\${next}`);
          i += 2;
          continue;
        }
        value += ch;
        i++;
      }
      tokens.push({ t: 'string', v: value });
      continue;
    }
    const rest = text.slice(i);
    const dt = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?)(Z|[+-]\d{2}:\d{2})/.exec(rest);
    if (dt) {
      tokens.push({ t: 'datetime', v: Date.parse(`${dt[1]}${dt[2]}`) });
      i += dt[0].length;
      continue;
    }
    const date = /^\d{4}-\d{2}-\d{2}(?![\dT])/.exec(rest);
    if (date) {
      tokens.push({ t: 'date', v: date[0] });
      i += date[0].length;
      continue;
    }
    const num = /^-?\d+(?:\.\d+)?/.exec(rest);
    if (num) {
      tokens.push({ t: 'number', v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(rest);
    if (ident) {
      tokens.push({ t: 'ident', v: ident[0] });
      i += ident[0].length;
      continue;
    }
    const punct = /^(?:!=|<>|<=|>=|=|<|>|\(|\)|,)/.exec(rest);
    if (punct) {
      tokens.push({ t: 'punct', v: punct[0] === '<>' ? '!=' : punct[0] });
      i += punct[0].length;
      continue;
    }
    throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${c}'`);
  }
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  peek(): Token | undefined {
    return this.tokens[this.pos];
  }
  done(): boolean {
    return this.pos >= this.tokens.length;
  }
  next(): Token {
    const token = this.tokens[this.pos++];
    if (!token) throw new SoqlError('MALFORMED_QUERY', 'unexpected end of query');
    return token;
  }
  isKeyword(word: string): boolean {
    const token = this.peek();
    return token?.t === 'ident' && token.v.toUpperCase() === word;
  }
  keyword(word: string): void {
    const token = this.next();
    if (token.t !== 'ident' || token.v.toUpperCase() !== word) throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${String(token.v)}', expected ${word}`);
  }
  acceptKeyword(word: string): boolean {
    if (!this.isKeyword(word)) return false;
    this.pos++;
    return true;
  }
  isPunct(p: string): boolean {
    const token = this.peek();
    return token?.t === 'punct' && token.v === p;
  }
  punct(p: string): void {
    const token = this.next();
    if (token.t !== 'punct' || token.v !== p) throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${String(token.v)}', expected '${p}'`);
  }
  ident(): string {
    const token = this.next();
    if (token.t !== 'ident') throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${String(token.v)}'`);
    return token.v;
  }
  integer(): number {
    const token = this.next();
    if (token.t !== 'number' || !Number.isInteger(token.v) || token.v < 0) throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${String(token.v)}', expected a number`);
    return token.v;
  }
  fieldList(stopAt: (p: Parser) => boolean): string[] {
    const fields = [this.ident()];
    while (this.isPunct(',')) {
      this.pos++;
      fields.push(this.ident());
    }
    if (!stopAt(this)) throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${String(this.peek()?.v ?? 'end of query')}'`);
    return fields;
  }

  literal(): Literal {
    const token = this.next();
    switch (token.t) {
      case 'string':
        return { kind: 'string', value: token.v };
      case 'number':
        return { kind: 'number', value: token.v };
      case 'datetime':
        return { kind: 'datetime', value: token.v };
      case 'date':
        return { kind: 'date', value: token.v };
      case 'ident': {
        const word = token.v.toLowerCase();
        if (word === 'null') return { kind: 'null' };
        if (word === 'true' || word === 'false') return { kind: 'boolean', value: word === 'true' };
        throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${token.v}'`);
      }
      default:
        throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${token.v}'`);
    }
  }

  expr(): Expr {
    let left = this.andExpr();
    while (this.acceptKeyword('OR')) left = { type: 'or', left, right: this.andExpr() };
    return left;
  }
  andExpr(): Expr {
    let left = this.unary();
    while (this.acceptKeyword('AND')) left = { type: 'and', left, right: this.unary() };
    return left;
  }
  unary(): Expr {
    if (this.acceptKeyword('NOT')) return { type: 'not', expr: this.unary() };
    if (this.isPunct('(')) {
      this.pos++;
      const inner = this.expr();
      this.punct(')');
      return inner;
    }
    const field = this.ident();
    if (this.acceptKeyword('LIKE')) {
      const pattern = this.next();
      if (pattern.t !== 'string') throw new SoqlError('MALFORMED_QUERY', 'LIKE needs a string');
      return { type: 'like', field, pattern: pattern.v };
    }
    const negate = this.acceptKeyword('NOT');
    if (this.acceptKeyword('IN')) {
      this.punct('(');
      const values = [this.literal()];
      while (this.isPunct(',')) {
        this.pos++;
        values.push(this.literal());
      }
      this.punct(')');
      return { type: 'in', field, negate, values };
    }
    if (negate) throw new SoqlError('MALFORMED_QUERY', "unexpected token: 'NOT'");
    const op = this.next();
    if (op.t !== 'punct' || !['=', '!=', '<', '<=', '>', '>='].includes(op.v)) throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${String(op.v)}'`);
    return { type: 'cmp', field, op: op.v as '=', value: this.literal() };
  }
}

export function parseSoql(text: string): SoqlQuery {
  const p = new Parser(tokenize(text));
  p.keyword('SELECT');
  const fields = p.fieldList((q) => q.isKeyword('FROM'));
  p.keyword('FROM');
  const object = p.ident();
  let where: Expr | null = null;
  if (p.acceptKeyword('WHERE')) where = p.expr();
  const orderBy: OrderBy[] = [];
  if (p.acceptKeyword('ORDER')) {
    p.keyword('BY');
    do {
      if (p.isPunct(',')) p.next();
      const field = p.ident();
      const descending = p.acceptKeyword('DESC') ? true : (p.acceptKeyword('ASC'), false);
      let nullsLast = descending;
      if (p.acceptKeyword('NULLS')) nullsLast = p.acceptKeyword('LAST') ? true : (p.keyword('FIRST'), false);
      orderBy.push({ field, descending, nullsLast });
    } while (p.isPunct(','));
  }
  let limit: number | null = null;
  let offset = 0;
  if (p.acceptKeyword('LIMIT')) limit = p.integer();
  if (p.acceptKeyword('OFFSET')) offset = p.integer();
  if (!p.done()) throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${String(p.peek()?.v)}'`);
  return { fields, object, where, orderBy, limit, offset };
}

/** Every field name a query reads, for the caller's schema check. */
export function fieldsOf(query: SoqlQuery): string[] {
  const out = new Set([...query.fields, ...query.orderBy.map((o) => o.field)]);
  const walk = (e: Expr | null): void => {
    if (!e) return;
    switch (e.type) {
      case 'and':
      case 'or':
        walk(e.left);
        walk(e.right);
        return;
      case 'not':
        walk(e.expr);
        return;
      default:
        out.add(e.field);
    }
  };
  walk(query.where);
  return [...out];
}

export type FieldKind = 'id' | 'text' | 'datetime' | 'date' | 'boolean';

/** A stored value: text, booleans, null, dateTimes as epoch ms. */
export type StoredValue = string | number | boolean | null | undefined;

function compatible(kind: FieldKind, literal: Literal, field: string): void {
  if (literal.kind === 'null') return;
  const ok =
    (kind === 'datetime' && literal.kind === 'datetime') ||
    (kind === 'date' && literal.kind === 'date') ||
    (kind === 'boolean' && literal.kind === 'boolean') ||
    ((kind === 'text' || kind === 'id') && literal.kind === 'string');
  if (!ok) {
    throw new SoqlError(
      'INVALID_QUERY_FILTER_OPERATOR',
      kind === 'datetime' ? `value of filter criterion for field '${field}' must be of type dateTime and should not be enclosed in quotes` : `invalid value for field '${field}'`,
    );
  }
}

function literalValue(literal: Literal): StoredValue {
  return literal.kind === 'null' ? null : literal.value;
}

function compare(a: StoredValue, b: StoredValue, kind: FieldKind): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  // Text compares case-insensitively in SOQL; ids compare as they are.
  const left = kind === 'text' ? x.toLowerCase() : x;
  const right = kind === 'text' ? y.toLowerCase() : y;
  return left < right ? -1 : left > right ? 1 : 0;
}

function likeToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '\\' && (pattern[i + 1] === '_' || pattern[i + 1] === '%')) {
      out += pattern[i + 1] === '_' ? '_' : '%';
      i++;
    } else if (c === '%') out += '.*';
    else if (c === '_') out += '.';
    else out += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 'is');
}

export function matches(expr: Expr | null, get: (field: string) => StoredValue, kindOf: (field: string) => FieldKind): boolean {
  if (!expr) return true;
  switch (expr.type) {
    case 'and':
      return matches(expr.left, get, kindOf) && matches(expr.right, get, kindOf);
    case 'or':
      return matches(expr.left, get, kindOf) || matches(expr.right, get, kindOf);
    case 'not':
      return !matches(expr.expr, get, kindOf);
    case 'like': {
      const value = get(expr.field);
      return typeof value === 'string' && likeToRegExp(expr.pattern).test(value);
    }
    case 'in': {
      const kind = kindOf(expr.field);
      for (const v of expr.values) compatible(kind, v, expr.field);
      const value = get(expr.field) ?? null;
      const hit = expr.values.some((v) => (v.kind === 'null' ? value === null : value !== null && compare(value, literalValue(v), kind) === 0));
      return expr.negate ? !hit : hit;
    }
    case 'cmp': {
      const kind = kindOf(expr.field);
      compatible(kind, expr.value, expr.field);
      const value = get(expr.field) ?? null;
      const target = literalValue(expr.value) ?? null;
      if (target === null || value === null) {
        if (expr.op === '=') return value === target;
        if (expr.op === '!=') return value !== target;
        return false;
      }
      const c = compare(value, target, kind);
      switch (expr.op) {
        case '=':
          return c === 0;
        case '!=':
          return c !== 0;
        case '<':
          return c < 0;
        case '<=':
          return c <= 0;
        case '>':
          return c > 0;
        case '>=':
          return c >= 0;
      }
    }
  }
  return false;
}

export function sortRows<T>(rows: T[], orderBy: OrderBy[], get: (row: T, field: string) => StoredValue, kindOf: (field: string) => FieldKind): T[] {
  if (orderBy.length === 0) return rows;
  return [...rows].sort((a, b) => {
    for (const { field, descending, nullsLast } of orderBy) {
      const x = get(a, field) ?? null;
      const y = get(b, field) ?? null;
      if (x === null || y === null) {
        if (x === y) continue;
        return (x === null) === nullsLast ? 1 : -1;
      }
      const c = compare(x, y, kindOf(field));
      if (c !== 0) return descending ? -c : c;
    }
    return 0;
  });
}

// ---------------------------------------------------------------------------------------------
// SOSL

export type SoslTerm = { text: string; wildcard: boolean };
export type SoslQuery = { terms: SoslTerm[]; scope: 'PHONE'; returning: { object: string; fields: string[]; limit: number | null } | null };

const SOSL_RESERVED = new Set([...'&|!(){}[]^"~*?:\\\'+-']);

/** Splits `FIND {…}` at the first unescaped `}`, then parses the terms inside. */
export function parseSosl(text: string): SoslQuery {
  const head = /^\s*FIND\s*\{/i.exec(text);
  if (!head) throw new SoqlError('MALFORMED_SEARCH', 'No search term found. The search term must be enclosed in braces.');
  let i = head[0].length;
  let inner = '';
  for (;;) {
    if (i >= text.length) throw new SoqlError('MALFORMED_SEARCH', 'No search term found. The search term must be enclosed in braces.');
    const c = text[i] ?? '';
    if (c === '\\') {
      inner += c + (text[i + 1] ?? '');
      i += 2;
      continue;
    }
    if (c === '}') break;
    inner += c;
    i++;
  }
  const terms = parseTerms(inner);
  const tail = text.slice(i + 1);
  const scope = /^\s*IN\s+PHONE\s+FIELDS\s*/i.exec(tail);
  if (!scope) throw new SoqlError('MALFORMED_SEARCH', `unexpected token: '${tail.trim().split(/\s+/)[0] ?? ''}' (the fake searches IN PHONE FIELDS only)`);
  const after = tail.slice(scope[0].length);
  if (after.trim() === '') return { terms, scope: 'PHONE', returning: null };
  const returning = /^RETURNING\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(([^()]*)\)\s*$/i.exec(after);
  if (!returning) throw new SoqlError('MALFORMED_SEARCH', `unexpected token in RETURNING: '${after.trim().slice(0, 40)}'`);
  const spec = /^(.*?)(?:\s+LIMIT\s+(\d+))?\s*$/is.exec(returning[2] ?? '');
  const fields = (spec?.[1] ?? '').split(',').map((f) => f.trim());
  if (fields.some((f) => !/^[A-Za-z_][A-Za-z0-9_.]*$/.test(f))) throw new SoqlError('MALFORMED_SEARCH', 'unexpected token in the RETURNING field list');
  return { terms, scope: 'PHONE', returning: { object: returning[1] ?? '', fields, limit: spec?.[2] ? Number(spec[2]) : null } };
}

function parseTerms(inner: string): SoslTerm[] {
  const terms: SoslTerm[] = [];
  let i = 0;
  let expectTerm = true;
  while (i < inner.length) {
    const c = inner[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (!expectTerm) {
      const op = /^OR\b/i.exec(inner.slice(i));
      if (!op) throw new SoqlError('MALFORMED_SEARCH', `unexpected token: '${inner.slice(i).split(/\s/)[0]}' (the fake joins terms with OR only)`);
      i += op[0].length;
      expectTerm = true;
      continue;
    }
    if (c === '"') {
      let text = '';
      i++;
      for (;;) {
        if (i >= inner.length) throw new SoqlError('MALFORMED_SEARCH', 'unterminated phrase');
        const ch = inner[i] ?? '';
        if (ch === '\\') {
          text += inner[i + 1] ?? '';
          i += 2;
          continue;
        }
        if (ch === '"') {
          i++;
          break;
        }
        text += ch;
        i++;
      }
      terms.push({ text, wildcard: false });
    } else {
      let text = '';
      let wildcard = false;
      while (i < inner.length && !/\s/.test(inner[i] ?? '')) {
        const ch = inner[i] ?? '';
        if (ch === '\\') {
          text += inner[i + 1] ?? '';
          i += 2;
          continue;
        }
        if (ch === '*') {
          wildcard = true;
          i++;
          break;
        }
        if (SOSL_RESERVED.has(ch)) throw new SoqlError('MALFORMED_SEARCH', `unexpected token: '${ch}'`);
        text += ch;
        i++;
      }
      terms.push({ text, wildcard });
    }
    expectTerm = false;
  }
  if (terms.length === 0 || expectTerm) throw new SoqlError('MALFORMED_SEARCH', 'search term must be longer than one character');
  return terms;
}

/**
 * Salesforce's phone index compares digits: `(415) 555-0142` is found by 4155550142. A term that is
 * not a phone number at all (letters, quotes, braces) matches no phone.
 */
export function phoneTermMatches(term: SoslTerm, storedPhone: string): boolean {
  const stored = storedPhone.replace(/\D/g, '');
  if (stored === '') return false;
  if (!/^[\d\s+().\-/]*$/.test(term.text)) return false;
  const digits = term.text.replace(/\D/g, '');
  if (term.wildcard) return stored.startsWith(digits);
  return digits.length >= 2 && digits === stored;
}
