import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findPlaceholders, isNamedName, isPositionalName, orderedParameterNames, placeholderNames, renderPlaceholders } from './placeholders.js';

/** Text that cannot form a placeholder by itself. */
const literal = fc.string({ maxLength: 12 }).map((s) => s.replace(/[{}]/g, ''));
const positionalName = fc.integer({ min: 1, max: 30 }).map(String);
const namedName = fc.stringMatching(/^[a-z_][a-z0-9_]{0,12}$/);
const name = fc.oneof(positionalName, namedName);

/** A text as alternating literal pieces and placeholder names: literal, name, literal, name, …, literal. */
const template = fc.tuple(literal, fc.array(fc.tuple(name, literal), { maxLength: 8 })).map(([head, rest]) => ({
  head,
  rest,
  text: head + rest.map(([n, l]) => `{{${n}}}${l}`).join(''),
  names: rest.map(([n]) => n),
}));

/** Values may contain anything, placeholders and markup included. */
const value = fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('{{1}}', '<b>&amp;</b>', '{{first_name}}', '*bold*', ''));

describe('placeholders', () => {
  it('finds every placeholder of a text, in order, with its position', () => {
    fc.assert(
      fc.property(template, ({ text, names }) => {
        const found = findPlaceholders(text);
        expect(found.map((t) => t.name)).toEqual(names);
        for (const t of found) expect(text.slice(t.start, t.end)).toBe(`{{${t.name}}}`);
        expect(placeholderNames(text)).toEqual([...new Set(names)]);
      }),
    );
  });

  it('renders by substituting each value verbatim, in one pass, without escaping', () => {
    fc.assert(
      fc.property(template, fc.dictionary(name, value), ({ head, rest, text, names }, extra) => {
        const values = new Map(Object.entries(extra));
        for (const [i, n] of names.entries()) if (!values.has(n)) values.set(n, `v${i}`);
        const expected = head + rest.map(([n, l]) => values.get(n)! + l).join('');
        expect(renderPlaceholders(text, values)).toEqual({ ok: true, text: expected });
      }),
    );
  });

  it('refuses to render when a value is missing, naming the first parameter without one', () => {
    fc.assert(
      fc.property(
        template.filter((t) => t.names.length > 0),
        fc.nat(),
        ({ text, names }, pick) => {
          const absent = names[pick % names.length]!;
          const values = new Map(names.filter((n) => n !== absent).map((n) => [n, 'x'] as const));
          expect(renderPlaceholders(text, values)).toEqual({ ok: false, missing: absent });
        },
      ),
    );
  });

  it('leaves text without placeholders as it is', () => {
    fc.assert(
      fc.property(literal, fc.dictionary(name, value), (text, values) => {
        expect(renderPlaceholders(text, new Map(Object.entries(values)))).toEqual({ ok: true, text });
      }),
    );
  });

  it('orders positional names by number and named ones by first appearance', () => {
    expect(orderedParameterNames('{{2}} then {{1}} and {{10}} and {{2}}')).toEqual(['1', '2', '10']);
    expect(orderedParameterNames('Hi {{first_name}}, order {{order}} for {{first_name}}')).toEqual(['first_name', 'order']);
    expect(orderedParameterNames(null)).toEqual([]);
  });

  it('reads spaces inside the braces but not other characters', () => {
    expect(placeholderNames('Hi {{ 1 }} and {{first name}} and {1}')).toEqual(['1']);
    expect(isPositionalName('01')).toBe(false);
    expect(isNamedName('First_name')).toBe(false);
    expect(isNamedName('first_name2')).toBe(true);
  });

  it('inserts values that look like replacement patterns or markup as they are', () => {
    const values = new Map([['1', '$& $1 $$'], ['name', '<b>&amp;</b> *x*']]);
    expect(renderPlaceholders('A {{1}} B {{name}}', values)).toEqual({ ok: true, text: 'A $& $1 $$ B <b>&amp;</b> *x*' });
  });

  it('does not take an inherited property for a value', () => {
    expect(renderPlaceholders('Hi {{constructor}}', new Map())).toEqual({ ok: false, missing: 'constructor' });
  });
});
