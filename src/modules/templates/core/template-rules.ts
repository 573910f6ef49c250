import { err, ok, type Result } from './result.js';
import { findPlaceholders, isNamedName, isPositionalName, placeholderNames } from './placeholders.js';
import { TEMPLATE_CATEGORIES, type ParameterFormat, type TemplateCategory, type TemplateComponent } from './template.js';

/**
 * Meta's rules for an authored template (NOTES §11), checked before anything is submitted so that
 * a template Meta would refuse costs no call and no review cycle. Every violation is reported, not
 * only the first, each with a stable code and the path of the offending field.
 */

export const TEMPLATE_LIMITS = {
  nameMax: 512,
  headerTextMax: 60,
  bodyTextMax: 1024,
  footerTextMax: 60,
  buttonTextMax: 25,
  buttonsMax: 10,
  urlButtonsMax: 2,
  phoneButtonsMax: 1,
  copyCodeButtonsMax: 1,
  urlMax: 2000,
} as const;

export const RULE_CODES = [
  'NAME_INVALID',
  'CATEGORY_INVALID',
  'LANGUAGE_INVALID',
  'PARAMETER_FORMAT_INVALID',
  'COMPONENTS_MISSING',
  'COMPONENT_INVALID',
  'COMPONENT_TYPE_INVALID',
  'HEADER_DUPLICATE',
  'HEADER_FORMAT_INVALID',
  'HEADER_TEXT_REQUIRED',
  'HEADER_TEXT_TOO_LONG',
  'HEADER_TOO_MANY_PARAMETERS',
  'BODY_MISSING',
  'BODY_DUPLICATE',
  'BODY_TEXT_REQUIRED',
  'BODY_TOO_LONG',
  'BODY_STARTS_WITH_PARAMETER',
  'BODY_ENDS_WITH_PARAMETER',
  'PARAMETERS_ADJACENT',
  'FOOTER_DUPLICATE',
  'FOOTER_TEXT_REQUIRED',
  'FOOTER_TOO_LONG',
  'FOOTER_HAS_PARAMETERS',
  'BUTTONS_DUPLICATE',
  'BUTTONS_EMPTY',
  'BUTTONS_TOO_MANY',
  'BUTTON_TYPE_INVALID',
  'BUTTON_TEXT_REQUIRED',
  'BUTTON_TEXT_TOO_LONG',
  'BUTTON_URL_INVALID',
  'BUTTON_URL_PARAMETER_INVALID',
  'BUTTON_PHONE_INVALID',
  'URL_BUTTONS_TOO_MANY',
  'PHONE_BUTTONS_TOO_MANY',
  'COPY_CODE_BUTTONS_TOO_MANY',
  'PARAMETERS_MIXED',
  'PARAMETER_FORMAT_MISMATCH',
  'PARAMETER_NAME_INVALID',
  'PARAMETERS_NOT_SEQUENTIAL',
  'EXAMPLE_MISSING',
  'EXAMPLE_COUNT_MISMATCH',
  'EXAMPLE_UNKNOWN_PARAMETER',
] as const;
export type RuleCode = (typeof RULE_CODES)[number];

export type RuleViolation = { path: string; code: RuleCode; message: string };

/** A template as an author submits it; every field is checked, none is trusted. */
export type AuthoredTemplate = {
  name?: unknown;
  category?: unknown;
  language?: unknown;
  /** POSITIONAL | NAMED (any casing); inferred from the placeholders when absent. */
  parameterFormat?: unknown;
  components?: unknown;
};

/** A template that passed every rule, normalised (upper-case category, types and formats). */
export type CheckedTemplate = {
  name: string;
  category: TemplateCategory;
  language: string;
  parameterFormat: ParameterFormat;
  components: TemplateComponent[];
};

export const TEMPLATE_NAME = /^[a-z0-9_]{1,512}$/;
/** Meta's language codes: `en`, `pt_BR`, `es_MX`, `zh_CN`, … */
export const LANGUAGE_CODE = /^[a-z]{2,3}(_[A-Z]{2,4})?$/;

const HEADER_FORMATS = ['TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION'];
const BUTTON_TYPES = ['QUICK_REPLY', 'URL', 'PHONE_NUMBER', 'COPY_CODE'];
const PHONE = /^\+?[0-9][0-9 ()-]{3,19}$/;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;

class Collector {
  readonly violations: RuleViolation[] = [];
  add(path: string, code: RuleCode, message: string): void {
    this.violations.push({ path, code, message });
  }
}

export function checkTemplate(input: AuthoredTemplate): Result<CheckedTemplate, RuleViolation[]> {
  const v = new Collector();

  const name = input.name;
  if (typeof name !== 'string' || !TEMPLATE_NAME.test(name)) {
    v.add('name', 'NAME_INVALID', 'A template name is 1 to 512 lowercase letters, digits and underscores.');
  }
  const category = typeof input.category === 'string' ? input.category.toUpperCase() : null;
  if (!category || !(TEMPLATE_CATEGORIES as readonly string[]).includes(category)) {
    v.add('category', 'CATEGORY_INVALID', 'The category is MARKETING, UTILITY or AUTHENTICATION.');
  }
  const language = input.language;
  if (typeof language !== 'string' || !LANGUAGE_CODE.test(language)) {
    v.add('language', 'LANGUAGE_INVALID', 'The language is a code such as en, en_US, pt_BR or es_MX.');
  }
  let declared: ParameterFormat | null = null;
  if (input.parameterFormat !== undefined && input.parameterFormat !== null) {
    const upper = typeof input.parameterFormat === 'string' ? input.parameterFormat.toUpperCase() : '';
    if (upper === 'POSITIONAL' || upper === 'NAMED') declared = upper;
    else v.add('parameterFormat', 'PARAMETER_FORMAT_INVALID', 'The parameter format is POSITIONAL or NAMED.');
  }

  const components = normaliseComponents(input.components, v);
  const authentication = category === 'AUTHENTICATION';
  const indexed = components.map((component, index) => ({ component, index, path: `components[${index}]` }));
  const ofType = (type: string) => indexed.filter((c) => c.component.type === type);

  const [header, ...extraHeaders] = ofType('HEADER');
  const [body, ...extraBodies] = ofType('BODY');
  const [footer, ...extraFooters] = ofType('FOOTER');
  const [buttons, ...extraButtons] = ofType('BUTTONS');
  for (const c of extraHeaders) v.add(c.path, 'HEADER_DUPLICATE', 'A template has at most one HEADER.');
  for (const c of extraBodies) v.add(c.path, 'BODY_DUPLICATE', 'A template has exactly one BODY.');
  for (const c of extraFooters) v.add(c.path, 'FOOTER_DUPLICATE', 'A template has at most one FOOTER.');
  for (const c of extraButtons) v.add(c.path, 'BUTTONS_DUPLICATE', 'A template has at most one BUTTONS component.');
  if (!body && Array.isArray(input.components)) v.add('components', 'BODY_MISSING', 'A template needs a BODY.');

  // Parameter format: header and body share one format; URL buttons always use {{1}}.
  const headerFormat = header ? (header.component.format ?? 'TEXT').toUpperCase() : null;
  const headerText = header && headerFormat === 'TEXT' ? header.component.text : undefined;
  const bodyText = body?.component.text;
  const names = [...placeholderNames(headerText), ...placeholderNames(bodyText)];
  const positional = names.filter(isPositionalName);
  const named = names.filter((n) => !isPositionalName(n));
  const mixed = positional.length > 0 && named.length > 0;
  const format: ParameterFormat = declared ?? (named.length > 0 ? 'NAMED' : 'POSITIONAL');
  if (mixed) {
    v.add('components', 'PARAMETERS_MIXED', 'Use either positional ({{1}}) or named ({{first_name}}) parameters, not both.');
  } else if (declared === 'POSITIONAL' && named.length > 0) {
    v.add('parameterFormat', 'PARAMETER_FORMAT_MISMATCH', `The template is POSITIONAL but uses named parameters (${named.map((n) => `{{${n}}}`).join(', ')}).`);
  } else if (declared === 'NAMED' && positional.length > 0) {
    v.add('parameterFormat', 'PARAMETER_FORMAT_MISMATCH', `The template is NAMED but uses positional parameters (${positional.map((n) => `{{${n}}}`).join(', ')}).`);
  }
  const checkNames = (text: string | undefined, path: string) => {
    if (mixed) return;
    const found = placeholderNames(text);
    if (format === 'NAMED') {
      for (const n of found.filter((n) => !isNamedName(n) && !isPositionalName(n))) {
        v.add(path, 'PARAMETER_NAME_INVALID', `{{${n}}}: named parameters are lowercase letters, digits and _, e.g. {{first_name}}.`);
      }
    } else if (found.some((n, i) => n !== String(i + 1))) {
      v.add(path, 'PARAMETERS_NOT_SEQUENTIAL', `Positional parameters are numbered {{1}}, {{2}}, … in order without gaps (found ${found.map((n) => `{{${n}}}`).join(', ')}).`);
    }
  };

  if (header) checkHeader(header.component, header.path, headerFormat!, format, v, checkNames);
  if (body) checkBody(body.component, body.path, format, authentication, v, checkNames);
  if (footer) checkFooter(footer.component, footer.path, authentication, v);
  if (buttons) checkButtons(buttons.component, buttons.path, authentication, v);

  if (v.violations.length > 0) return err(v.violations);
  return ok({ name: name as string, category: category as TemplateCategory, language: language as string, parameterFormat: format, components });
}

/** Upper-cases component types and header formats; reports what is not a component at all. */
function normaliseComponents(value: unknown, v: Collector): TemplateComponent[] {
  if (!Array.isArray(value) || value.length === 0) {
    v.add('components', 'COMPONENTS_MISSING', 'A template has components, at least a BODY.');
    return [];
  }
  return value.flatMap((item, index): TemplateComponent[] => {
    const path = `components[${index}]`;
    if (!isObject(item) || typeof item['type'] !== 'string') {
      v.add(path, 'COMPONENT_INVALID', 'A component is an object with a type.');
      return [];
    }
    const type = item['type'].toUpperCase();
    if (!['HEADER', 'BODY', 'FOOTER', 'BUTTONS'].includes(type)) {
      v.add(`${path}.type`, 'COMPONENT_TYPE_INVALID', 'A component is a HEADER, BODY, FOOTER or BUTTONS.');
      return [];
    }
    for (const key of ['text', 'format'] as const) {
      if (item[key] !== undefined && typeof item[key] !== 'string') {
        v.add(`${path}.${key}`, 'COMPONENT_INVALID', `${key} is a string.`);
        return [];
      }
    }
    if (item['example'] !== undefined && !isObject(item['example'])) {
      v.add(`${path}.example`, 'COMPONENT_INVALID', 'example is an object.');
      return [];
    }
    const normalised: TemplateComponent = { ...item, type };
    if (type === 'HEADER' && typeof item['format'] === 'string') normalised.format = item['format'].toUpperCase();
    if (type === 'BUTTONS' && Array.isArray(item['buttons'])) {
      normalised.buttons = item['buttons'].map((b) => (isObject(b) && typeof b['type'] === 'string' ? { ...b, type: b['type'].toUpperCase() } : b)) as TemplateComponent['buttons'];
    }
    return [normalised];
  });
}

type NameCheck = (text: string | undefined, path: string) => void;

function checkHeader(header: TemplateComponent, path: string, format: string, parameterFormat: ParameterFormat, v: Collector, checkNames: NameCheck): void {
  if (!HEADER_FORMATS.includes(format)) {
    v.add(`${path}.format`, 'HEADER_FORMAT_INVALID', 'A header is TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION.');
    return;
  }
  const example = header.example ?? {};
  if (format === 'TEXT') {
    const text = header.text;
    if (!isNonEmptyString(text)) {
      v.add(`${path}.text`, 'HEADER_TEXT_REQUIRED', 'A TEXT header needs its text.');
      return;
    }
    if (text.length > TEMPLATE_LIMITS.headerTextMax) v.add(`${path}.text`, 'HEADER_TEXT_TOO_LONG', `A header is at most ${TEMPLATE_LIMITS.headerTextMax} characters (${text.length}).`);
    const names = placeholderNames(text);
    if (names.length > 1) v.add(`${path}.text`, 'HEADER_TOO_MANY_PARAMETERS', 'A header has at most one parameter.');
    checkNames(text, `${path}.text`);
    if (names.length >= 1) {
      if (parameterFormat === 'NAMED') {
        const entries = namedExamples(example['header_text_named_params']);
        const alt = example['header_text'];
        for (const n of names) {
          if (!entries.has(n) && !(Array.isArray(alt) && isNonEmptyString(alt[0]))) {
            v.add(`${path}.example.header_text_named_params`, 'EXAMPLE_MISSING', `The header parameter {{${n}}} needs an example (example.header_text_named_params).`);
          }
        }
      } else {
        const values = example['header_text'];
        if (!Array.isArray(values) || !values.every(isNonEmptyString) || values.length === 0) {
          v.add(`${path}.example.header_text`, 'EXAMPLE_MISSING', 'The header parameter needs an example (example.header_text).');
        }
      }
    }
    return;
  }
  if (format !== 'LOCATION') {
    const handles = example['header_handle'];
    if (!Array.isArray(handles) || !handles.some(isNonEmptyString)) {
      v.add(`${path}.example.header_handle`, 'EXAMPLE_MISSING', `A ${format} header needs a sample (example.header_handle, a handle from Meta's resumable upload).`);
    }
  }
}

function namedExamples(value: unknown): Map<string, string> {
  const entries = new Map<string, string>();
  if (!Array.isArray(value)) return entries;
  for (const e of value) {
    if (isObject(e) && typeof e['param_name'] === 'string' && isNonEmptyString(e['example'])) entries.set(e['param_name'], e['example']);
  }
  return entries;
}

function checkBody(body: TemplateComponent, path: string, format: ParameterFormat, authentication: boolean, v: Collector, checkNames: NameCheck): void {
  const text = body.text;
  // Authentication bodies are fixed by Meta (`add_security_recommendation`): no text of one's own.
  if (authentication && text === undefined) return;
  if (!isNonEmptyString(text)) {
    v.add(`${path}.text`, 'BODY_TEXT_REQUIRED', 'The BODY needs its text.');
    return;
  }
  if (text.length > TEMPLATE_LIMITS.bodyTextMax) v.add(`${path}.text`, 'BODY_TOO_LONG', `The body is at most ${TEMPLATE_LIMITS.bodyTextMax} characters (${text.length}).`);
  const tokens = findPlaceholders(text);
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  if (first && text.slice(0, first.start).trim() === '') v.add(`${path}.text`, 'BODY_STARTS_WITH_PARAMETER', `The body must not start with a parameter ({{${first.name}}}).`);
  if (last && text.slice(last.end).trim() === '') v.add(`${path}.text`, 'BODY_ENDS_WITH_PARAMETER', `The body must not end with a parameter ({{${last.name}}}).`);
  for (let i = 1; i < tokens.length; i++) {
    if (text.slice(tokens[i - 1]!.end, tokens[i]!.start).trim() === '') {
      // Meta rejects these with INVALID_FORMAT (template-status-rejected-invalid-format.json).
      v.add(`${path}.text`, 'PARAMETERS_ADJACENT', `Parameters {{${tokens[i - 1]!.name}}} and {{${tokens[i]!.name}}} need text or punctuation between them.`);
      break;
    }
  }
  checkNames(text, `${path}.text`);

  const names = placeholderNames(text);
  if (names.length === 0) return;
  const example = body.example ?? {};
  if (format === 'NAMED') {
    const key = `${path}.example.body_text_named_params`;
    if (!Array.isArray(example['body_text_named_params'])) {
      v.add(key, 'EXAMPLE_MISSING', `Every body parameter needs an example (example.body_text_named_params for ${names.map((n) => `{{${n}}}`).join(', ')}).`);
      return;
    }
    const entries = namedExamples(example['body_text_named_params']);
    for (const n of names) if (!entries.has(n)) v.add(key, 'EXAMPLE_MISSING', `The body parameter {{${n}}} needs an example.`);
    for (const n of entries.keys()) if (!names.includes(n)) v.add(key, 'EXAMPLE_UNKNOWN_PARAMETER', `The example names {{${n}}}, which the body does not use.`);
    return;
  }
  const rows = example['body_text'];
  const row = Array.isArray(rows) ? rows[0] : undefined;
  if (!Array.isArray(row) || !row.every(isNonEmptyString)) {
    v.add(`${path}.example.body_text`, 'EXAMPLE_MISSING', `Every body parameter needs an example (example.body_text: [[${names.map((n) => `"<{{${n}}}>"`).join(', ')}]]).`);
  } else if (row.length !== names.length) {
    v.add(`${path}.example.body_text`, 'EXAMPLE_COUNT_MISMATCH', `The body has ${names.length} parameters and example.body_text gives ${row.length} values.`);
  }
}

function checkFooter(footer: TemplateComponent, path: string, authentication: boolean, v: Collector): void {
  const text = footer.text;
  // Authentication footers carry `code_expiration_minutes` instead of text.
  if (authentication && text === undefined) return;
  if (!isNonEmptyString(text)) {
    v.add(`${path}.text`, 'FOOTER_TEXT_REQUIRED', 'A FOOTER needs its text.');
    return;
  }
  if (text.length > TEMPLATE_LIMITS.footerTextMax) v.add(`${path}.text`, 'FOOTER_TOO_LONG', `A footer is at most ${TEMPLATE_LIMITS.footerTextMax} characters (${text.length}).`);
  if (findPlaceholders(text).length > 0) v.add(`${path}.text`, 'FOOTER_HAS_PARAMETERS', 'A footer has no parameters.');
}

function checkButtons(component: TemplateComponent, path: string, authentication: boolean, v: Collector): void {
  const buttons: unknown[] = Array.isArray(component['buttons']) ? (component['buttons'] as unknown[]) : [];
  if (buttons.length === 0) {
    v.add(`${path}.buttons`, 'BUTTONS_EMPTY', 'A BUTTONS component lists at least one button.');
    return;
  }
  if (buttons.length > TEMPLATE_LIMITS.buttonsMax) v.add(`${path}.buttons`, 'BUTTONS_TOO_MANY', `A template has at most ${TEMPLATE_LIMITS.buttonsMax} buttons (${buttons.length}).`);
  const counts = new Map<string, number>();
  buttons.forEach((button, index) => {
    const at = `${path}.buttons[${index}]`;
    if (!isObject(button) || typeof button['type'] !== 'string') {
      v.add(at, 'BUTTON_TYPE_INVALID', 'A button is an object with a type.');
      return;
    }
    const type = button['type'].toUpperCase();
    const allowed = authentication ? [...BUTTON_TYPES, 'OTP'] : BUTTON_TYPES;
    if (!allowed.includes(type)) {
      v.add(`${at}.type`, 'BUTTON_TYPE_INVALID', `A button is ${allowed.join(', ')}.`);
      return;
    }
    counts.set(type, (counts.get(type) ?? 0) + 1);
    const text = button['text'];
    // Copy-code and one-time-password buttons get their label from WhatsApp.
    if (['QUICK_REPLY', 'URL', 'PHONE_NUMBER'].includes(type) && !isNonEmptyString(text)) {
      v.add(`${at}.text`, 'BUTTON_TEXT_REQUIRED', 'The button needs its text.');
    } else if (typeof text === 'string' && text.length > TEMPLATE_LIMITS.buttonTextMax) {
      v.add(`${at}.text`, 'BUTTON_TEXT_TOO_LONG', `Button text is at most ${TEMPLATE_LIMITS.buttonTextMax} characters (${text.length}).`);
    }
    if (type === 'URL') checkUrlButton(button, at, v);
    if (type === 'PHONE_NUMBER' && (typeof button['phone_number'] !== 'string' || !PHONE.test(button['phone_number']))) {
      v.add(`${at}.phone_number`, 'BUTTON_PHONE_INVALID', 'A phone-number button needs phone_number, e.g. +15550001234.');
    }
    if (type === 'COPY_CODE' && !isNonEmptyString(button['example']) && !(Array.isArray(button['example']) && isNonEmptyString(button['example'][0]))) {
      v.add(`${at}.example`, 'EXAMPLE_MISSING', 'A copy-code button needs an example code.');
    }
  });
  if ((counts.get('URL') ?? 0) > TEMPLATE_LIMITS.urlButtonsMax) v.add(`${path}.buttons`, 'URL_BUTTONS_TOO_MANY', `A template has at most ${TEMPLATE_LIMITS.urlButtonsMax} URL buttons.`);
  if ((counts.get('PHONE_NUMBER') ?? 0) > TEMPLATE_LIMITS.phoneButtonsMax) v.add(`${path}.buttons`, 'PHONE_BUTTONS_TOO_MANY', 'A template has at most one phone-number button.');
  if ((counts.get('COPY_CODE') ?? 0) > TEMPLATE_LIMITS.copyCodeButtonsMax) v.add(`${path}.buttons`, 'COPY_CODE_BUTTONS_TOO_MANY', 'A template has at most one copy-code button.');
}

function checkUrlButton(button: Json, at: string, v: Collector): void {
  const url = button['url'];
  if (typeof url !== 'string' || !/^https?:\/\/[^\s/$.?#][^\s]*$/i.test(url) || url.length > TEMPLATE_LIMITS.urlMax) {
    v.add(`${at}.url`, 'BUTTON_URL_INVALID', 'A URL button needs an http(s) url.');
    return;
  }
  const tokens = findPlaceholders(url);
  if (tokens.length === 0) return;
  const [only] = tokens;
  if (tokens.length > 1 || only!.name !== '1' || only!.end !== url.length) {
    v.add(`${at}.url`, 'BUTTON_URL_PARAMETER_INVALID', 'A URL may end with one parameter, {{1}}, and have none elsewhere.');
    return;
  }
  const example = button['example'];
  const sample = Array.isArray(example) ? example[0] : example;
  if (!isNonEmptyString(sample)) v.add(`${at}.example`, 'EXAMPLE_MISSING', 'A URL with a parameter needs an example of the full URL.');
}
