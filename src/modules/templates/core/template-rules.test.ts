import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validTemplate, type GeneratedTemplate } from '../testing/arbitraries.js';
import { checkTemplate, RULE_CODES, type AuthoredTemplate, type RuleCode } from './template-rules.js';
import type { TemplateComponent } from './template.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../../../test/fixtures/meta/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;

const codesOf = (t: AuthoredTemplate) => {
  const result = checkTemplate(t);
  return result.ok ? [] : result.error.map((v) => v.code);
};

type Components = TemplateComponent[];
const body = (c: Components) => c.find((x) => x.type === 'BODY')!;
const withBody = (g: GeneratedTemplate, text: string, example?: Record<string, unknown>): AuthoredTemplate => ({
  ...g.template,
  components: g.template.components.map((c) => (c.type === 'BODY' ? { ...c, text, ...(example ? { example } : {}) } : c)),
});

/** A change that breaks exactly one rule, and the code that must report it. */
type Mutation = { code: RuleCode; applies?: (g: GeneratedTemplate) => boolean; mutate: (g: GeneratedTemplate) => AuthoredTemplate };

const MUTATIONS: Mutation[] = [
  { code: 'NAME_INVALID', mutate: (g) => ({ ...g.template, name: `${g.template.name}-X` }) },
  { code: 'NAME_INVALID', mutate: (g) => ({ ...g.template, name: 'a'.repeat(513) }) },
  { code: 'CATEGORY_INVALID', mutate: (g) => ({ ...g.template, category: 'PROMOTIONAL' }) },
  { code: 'LANGUAGE_INVALID', mutate: (g) => ({ ...g.template, language: 'english' }) },
  { code: 'BODY_MISSING', mutate: (g) => ({ ...g.template, components: g.template.components.filter((c) => c.type !== 'BODY') }) },
  { code: 'BODY_DUPLICATE', mutate: (g) => ({ ...g.template, components: [...g.template.components, { type: 'BODY', text: 'Again' }] }) },
  { code: 'HEADER_DUPLICATE', mutate: (g) => ({ ...g.template, components: [{ type: 'HEADER', format: 'LOCATION' }, { type: 'HEADER', format: 'LOCATION' }, ...g.template.components.filter((c) => c.type !== 'HEADER')] }) },
  { code: 'BODY_TOO_LONG', mutate: (g) => withBody(g, `${body(g.template.components).text} ${'x'.repeat(1024)}`) },
  {
    code: 'BODY_STARTS_WITH_PARAMETER',
    applies: (g) => g.bodyNames.length > 0,
    mutate: (g) => withBody(g, `{{${g.bodyNames[0]}}} ${body(g.template.components).text}`),
  },
  {
    code: 'BODY_ENDS_WITH_PARAMETER',
    applies: (g) => g.bodyNames.length > 0,
    mutate: (g) => withBody(g, `${body(g.template.components).text} {{${g.bodyNames[0]}}}`),
  },
  {
    code: 'PARAMETERS_ADJACENT',
    applies: (g) => g.bodyNames.length > 0,
    mutate: (g) => withBody(g, body(g.template.components).text!.replace(`{{${g.bodyNames[0]}}}`, `{{${g.bodyNames[0]}}}{{${g.bodyNames[0]}}}`)),
  },
  {
    code: 'EXAMPLE_MISSING',
    applies: (g) => g.bodyNames.length > 0,
    mutate: (g) => ({ ...g.template, components: g.template.components.map((c) => (c.type === 'BODY' ? { type: 'BODY', text: c.text } : c)) }),
  },
  {
    code: 'PARAMETERS_NOT_SEQUENTIAL',
    applies: (g) => g.format === 'POSITIONAL' && g.bodyNames.length > 0,
    // {{1}} … {{n}} becomes {{2}} … {{n+1}}: a gap at 1.
    mutate: (g) => withBody(g, body(g.template.components).text!.replace(/\{\{(\d+)\}\}/g, (_, n: string) => `{{${Number(n) + 1}}}`)),
  },
  {
    code: 'PARAMETERS_MIXED',
    applies: (g) => g.format === 'NAMED' && g.bodyNames.length > 0,
    mutate: (g) => withBody(g, `${body(g.template.components).text} and {{1}} too`),
  },
  {
    code: 'PARAMETER_FORMAT_MISMATCH',
    applies: (g) => g.format === 'POSITIONAL' && g.bodyNames.length > 0,
    mutate: (g) => ({ ...g.template, parameterFormat: 'NAMED' }),
  },
  {
    code: 'PARAMETER_NAME_INVALID',
    applies: (g) => g.format === 'NAMED' && g.bodyNames.length > 0,
    mutate: (g) => withBody(g, body(g.template.components).text!.replace(`{{${g.bodyNames[0]}}}`, '{{First_Name}}'), { body_text_named_params: [{ param_name: 'First_Name', example: 'x' }] }),
  },
  { code: 'FOOTER_HAS_PARAMETERS', mutate: (g) => ({ ...g.template, components: [...g.template.components.filter((c) => c.type !== 'FOOTER'), { type: 'FOOTER', text: 'Bye {{1}}' }] }) },
  { code: 'FOOTER_TOO_LONG', mutate: (g) => ({ ...g.template, components: [...g.template.components.filter((c) => c.type !== 'FOOTER'), { type: 'FOOTER', text: 'f'.repeat(61) }] }) },
  {
    code: 'HEADER_TEXT_TOO_LONG',
    mutate: (g) => ({ ...g.template, components: [{ type: 'HEADER', format: 'TEXT', text: 'h'.repeat(61) }, ...g.template.components.filter((c) => c.type !== 'HEADER')] }),
  },
  {
    code: 'HEADER_TOO_MANY_PARAMETERS',
    applies: (g) => g.format === 'POSITIONAL',
    mutate: (g) => ({
      ...g.template,
      components: [{ type: 'HEADER', format: 'TEXT', text: 'Hi {{1}} {{2}}!', example: { header_text: ['a', 'b'] } }, ...g.template.components.filter((c) => c.type !== 'HEADER')],
    }),
  },
  {
    code: 'HEADER_FORMAT_INVALID',
    mutate: (g) => ({ ...g.template, components: [{ type: 'HEADER', format: 'GIF' }, ...g.template.components.filter((c) => c.type !== 'HEADER')] }),
  },
  {
    code: 'EXAMPLE_MISSING',
    mutate: (g) => ({ ...g.template, components: [{ type: 'HEADER', format: 'IMAGE' }, ...g.template.components.filter((c) => c.type !== 'HEADER')] }),
  },
  ...(
    [
      ['BUTTONS_TOO_MANY', Array.from({ length: 11 }, (_, i) => ({ type: 'QUICK_REPLY', text: `Option ${i}` }))],
      ['BUTTON_TEXT_TOO_LONG', [{ type: 'QUICK_REPLY', text: 'x'.repeat(26) }]],
      ['BUTTON_TEXT_REQUIRED', [{ type: 'QUICK_REPLY' }]],
      ['BUTTON_TYPE_INVALID', [{ type: 'CATALOG', text: 'Shop' }]],
      ['URL_BUTTONS_TOO_MANY', [1, 2, 3].map((i) => ({ type: 'URL', text: `Link ${i}`, url: 'https://a.example.com' }))],
      ['PHONE_BUTTONS_TOO_MANY', [1, 2].map((i) => ({ type: 'PHONE_NUMBER', text: `Call ${i}`, phone_number: '+15550001234' }))],
      ['COPY_CODE_BUTTONS_TOO_MANY', [1, 2].map(() => ({ type: 'COPY_CODE', example: 'CODE' }))],
      ['BUTTON_URL_PARAMETER_INVALID', [{ type: 'URL', text: 'Track', url: 'https://a.example.com/{{1}}/x', example: ['https://a.example.com/1/x'] }]],
      ['BUTTON_URL_PARAMETER_INVALID', [{ type: 'URL', text: 'Track', url: 'https://a.example.com/{{2}}', example: ['https://a.example.com/1'] }]],
      ['BUTTON_URL_INVALID', [{ type: 'URL', text: 'Track', url: 'ftp://a.example.com' }]],
      ['EXAMPLE_MISSING', [{ type: 'URL', text: 'Track', url: 'https://a.example.com/{{1}}' }]],
      ['BUTTON_PHONE_INVALID', [{ type: 'PHONE_NUMBER', text: 'Call' }]],
      ['BUTTONS_EMPTY', []],
    ] as [RuleCode, Record<string, unknown>[]][]
  ).map(([code, buttons]): Mutation => ({
    code,
    mutate: (g) => ({ ...g.template, components: [...g.template.components.filter((c) => c.type !== 'BUTTONS'), { type: 'BUTTONS', buttons: buttons as TemplateComponent['buttons'] }] }),
  })),
];

describe('template rules', () => {
  it('accept every template that follows the rules, with the parameter format it uses', () => {
    fc.assert(
      fc.property(validTemplate, (g) => {
        const result = checkTemplate(g.template);
        if (!result.ok) throw new Error(JSON.stringify(result.error));
        expect(result.value.parameterFormat).toBe(g.format);
        expect(result.value.category).toBe(g.template.category.toUpperCase());
        expect(result.value.components.map((c) => c.type)).toEqual(g.template.components.map((c) => c.type));
      }),
    );
  });

  it('report each broken rule with its stable code and a path', () => {
    fc.assert(
      fc.property(validTemplate, fc.constantFrom(...MUTATIONS), (g, mutation) => {
        fc.pre(mutation.applies?.(g) ?? true);
        const result = checkTemplate(mutation.mutate(g));
        expect(result.ok).toBe(false);
        if (result.ok) return;
        expect(result.error.map((v) => v.code)).toContain(mutation.code);
        for (const v of result.error) {
          expect(RULE_CODES).toContain(v.code);
          expect(v.path.length).toBeGreaterThan(0);
          expect(v.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("accept Meta's own listed templates (graph-template-list-page.json)", () => {
    const listed = fixture('graph-template-list-page')['data'] as Record<string, unknown>[];
    for (const t of listed) {
      const result = checkTemplate({ name: t['name'], category: t['category'], language: t['language'], parameterFormat: t['parameter_format'], components: t['components'] });
      expect(result).toMatchObject({ ok: true, value: { name: t['name'], parameterFormat: t['parameter_format'] } });
    }
  });

  it('report every violation at once, not only the first', () => {
    const result = checkTemplate({ name: 'Bad Name', category: 'promo', language: 'xx-YY', components: [{ type: 'BODY', text: '{{1}} and {{3}}' }] });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.map((v) => v.code).sort()).toEqual(
      ['NAME_INVALID', 'CATEGORY_INVALID', 'LANGUAGE_INVALID', 'BODY_STARTS_WITH_PARAMETER', 'BODY_ENDS_WITH_PARAMETER', 'PARAMETERS_NOT_SEQUENTIAL', 'EXAMPLE_MISSING'].sort(),
    );
    expect(result.error.find((v) => v.code === 'PARAMETERS_NOT_SEQUENTIAL')).toEqual({
      path: 'components[0].text',
      code: 'PARAMETERS_NOT_SEQUENTIAL',
      message: expect.stringContaining('{{1}}, {{3}}'),
    });
  });

  it('name the parameter whose example is missing, and count positional examples', () => {
    const named = checkTemplate({
      name: 'n',
      category: 'UTILITY',
      language: 'en',
      components: [{ type: 'BODY', text: 'Hi {{first_name}}, {{order}} ships.', example: { body_text_named_params: [{ param_name: 'first_name', example: 'Ana' }] } }],
    });
    expect(named).toMatchObject({ ok: false, error: [{ code: 'EXAMPLE_MISSING', path: 'components[0].example.body_text_named_params', message: expect.stringContaining('{{order}}') }] });
    const positional = checkTemplate({ name: 'p', category: 'UTILITY', language: 'en', components: [{ type: 'BODY', text: 'Hi {{1}}, {{2}} ships.', example: { body_text: [['Ana']] } }] });
    expect(positional).toMatchObject({ ok: false, error: [{ code: 'EXAMPLE_COUNT_MISMATCH' }] });
  });

  it('let authentication templates leave body and footer text to Meta', () => {
    const result = checkTemplate({
      name: 'login_code',
      category: 'AUTHENTICATION',
      language: 'en_US',
      components: [
        { type: 'BODY', add_security_recommendation: true },
        { type: 'FOOTER', code_expiration_minutes: 10 },
        { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE' }] },
      ],
    });
    expect(result.ok).toBe(true);
    expect(codesOf({ name: 'x', category: 'MARKETING', language: 'en', components: [{ type: 'BODY', text: 'Hi' }, { type: 'BUTTONS', buttons: [{ type: 'OTP' }] }] })).toEqual(['BUTTON_TYPE_INVALID']);
  });

  it('refuse what is not a template at all', () => {
    expect(codesOf({})).toEqual(['NAME_INVALID', 'CATEGORY_INVALID', 'LANGUAGE_INVALID', 'COMPONENTS_MISSING']);
    expect(codesOf({ name: 'a', category: 'UTILITY', language: 'en', components: ['BODY', { type: 'TITLE' }] })).toEqual(['COMPONENT_INVALID', 'COMPONENT_TYPE_INVALID', 'BODY_MISSING']);
    expect(codesOf({ name: 'a', category: 'UTILITY', language: 'en', parameterFormat: 'SOMETIMES', components: [{ type: 'BODY', text: 'Hi' }] })).toEqual(['PARAMETER_FORMAT_INVALID']);
  });
});
