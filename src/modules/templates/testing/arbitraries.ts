/**
 * fast-check generators of templates that follow every one of Meta's rules, for the property
 * tests of the rules, the filling and the preview. Not part of the build (`testing/`).
 */
import fc from 'fast-check';
import type { AuthoredTemplate } from '../core/template-rules.js';
import type { ParameterFormat, TemplateComponent } from '../core/template.js';

export const word = fc.stringMatching(/^[A-Za-z]{1,8}$/);
export const sentence = (max = 4) => fc.array(word, { minLength: 1, maxLength: max }).map((ws) => ws.join(' '));
export const namedName = fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/);
/** A parameter value WhatsApp accepts: no new lines, tabs or runs of spaces. */
export const parameterText = fc.array(fc.stringMatching(/^[A-Za-z0-9$.,:@#%&*<>!?'"{}()-]{1,8}$/), { minLength: 1, maxLength: 3 }).map((ws) => ws.join(' '));

export type GeneratedTemplate = {
  template: AuthoredTemplate & { name: string; category: string; language: string; components: TemplateComponent[] };
  format: ParameterFormat;
  headerKind: 'none' | 'text' | 'IMAGE' | 'VIDEO' | 'DOCUMENT' | 'LOCATION';
  headerNames: string[];
  bodyNames: string[];
  /** Indexes of URL buttons with a `{{1}}` suffix, and of copy-code buttons. */
  dynamicUrlButtons: number[];
  copyCodeButtons: number[];
};

const textWith = (names: string[], pieces: string[]) => pieces[0] + names.map((n, i) => ` {{${n}}} ${pieces[i + 1]}`).join('');

export const validTemplate: fc.Arbitrary<GeneratedTemplate> = fc
  .record({
    name: fc.stringMatching(/^[a-z0-9_]{1,30}$/),
    category: fc.constantFrom('MARKETING', 'UTILITY', 'marketing', 'utility'),
    language: fc.constantFrom('en_US', 'pt_BR', 'es_MX', 'es', 'en'),
    format: fc.constantFrom<ParameterFormat>('POSITIONAL', 'NAMED'),
    declare: fc.boolean(),
    bodyCount: fc.integer({ min: 0, max: 5 }),
    named: fc.uniqueArray(namedName, { minLength: 6, maxLength: 6 }),
    pieces: fc.array(sentence(), { minLength: 6, maxLength: 6 }),
    header: fc.constantFrom('none', 'text0', 'text1', 'IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION'),
    headerWord: word,
    footer: fc.option(sentence(), { nil: undefined }),
    quickReplies: fc.array(word, { maxLength: 3 }),
    urls: fc.array(fc.tuple(word, fc.boolean()), { maxLength: 2 }),
    phone: fc.boolean(),
    copyCode: fc.boolean(),
  })
  .map((g) => {
    const bodyNames = g.format === 'NAMED' ? g.named.slice(0, g.bodyCount) : Array.from({ length: g.bodyCount }, (_, i) => String(i + 1));
    const headerNames = g.header === 'text1' ? [g.format === 'NAMED' ? g.named[5]! : '1'] : [];
    const components: TemplateComponent[] = [];
    if (g.header === 'text0' || g.header === 'text1') {
      const example =
        headerNames.length === 0 ? {} : g.format === 'NAMED' ? { example: { header_text_named_params: [{ param_name: headerNames[0], example: 'Ana' }] } } : { example: { header_text: ['Ana'] } };
      components.push({ type: 'HEADER', format: 'TEXT', text: headerNames.length ? `${g.headerWord} {{${headerNames[0]}}}!` : g.headerWord, ...example });
    } else if (g.header === 'LOCATION') {
      components.push({ type: 'HEADER', format: 'LOCATION' });
    } else if (g.header !== 'none') {
      components.push({ type: 'HEADER', format: g.header, example: { header_handle: ['4::aW1hZ2U='] } });
    }
    const bodyExample =
      bodyNames.length === 0
        ? {}
        : g.format === 'NAMED'
          ? { example: { body_text_named_params: bodyNames.map((n) => ({ param_name: n, example: `ex_${n}` })) } }
          : { example: { body_text: [bodyNames.map((n) => `ex${n}`)] } };
    components.push({ type: 'BODY', text: textWith(bodyNames, g.pieces), ...bodyExample });
    if (g.footer !== undefined) components.push({ type: 'FOOTER', text: g.footer.slice(0, 60) });
    const buttons: Record<string, unknown>[] = [];
    const dynamicUrlButtons: number[] = [];
    const copyCodeButtons: number[] = [];
    for (const text of g.quickReplies) buttons.push({ type: 'QUICK_REPLY', text });
    for (const [text, dynamic] of g.urls) {
      if (dynamic) dynamicUrlButtons.push(buttons.length);
      buttons.push(dynamic ? { type: 'URL', text, url: 'https://shop.example.com/o/{{1}}', example: ['https://shop.example.com/o/A1'] } : { type: 'URL', text, url: 'https://shop.example.com/help' });
    }
    if (g.phone) buttons.push({ type: 'PHONE_NUMBER', text: 'Call us', phone_number: '+15550001234' });
    if (g.copyCode) {
      copyCodeButtons.push(buttons.length);
      buttons.push({ type: 'COPY_CODE', example: 'SAVE20' });
    }
    if (buttons.length > 0) components.push({ type: 'BUTTONS', buttons: buttons as TemplateComponent['buttons'] });
    // Without named placeholders a NAMED template can only be told apart by declaring it.
    const declare = g.declare || (g.format === 'NAMED' && bodyNames.length + headerNames.length === 0);
    return {
      template: { name: g.name, category: g.category, language: g.language, ...(declare ? { parameterFormat: g.format.toLowerCase() } : {}), components },
      format: g.format,
      headerKind: g.header === 'text0' || g.header === 'text1' ? 'text' : g.header,
      headerNames,
      bodyNames,
      dynamicUrlButtons,
      copyCodeButtons,
    } satisfies GeneratedTemplate;
  });
