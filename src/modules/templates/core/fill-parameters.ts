import { z } from 'zod';
import { err, ok, problem, type Result, type TemplateProblem } from './result.js';
import { orderedParameterNames } from './placeholders.js';
import { componentOf, isSendable, type TemplateVariant } from './template.js';

/**
 * Turns a template variant plus what the caller gave (explicit parameters, a mapping from contact
 * and CRM fields, or both: explicit values win) into the Cloud API `template` object, refusing
 * before Meta is called whatever Meta would refuse: a missing value, a wrong count, a header
 * of the wrong media type, a template that is not approved.
 */

// ---------------------------------------------------------------------------------------------
// Inputs (schemas at the boundary; types inferred)

const Scalar = z.union([z.string(), z.number(), z.boolean()]);
const CurrencyCode = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD');
const DateStyle = z.enum(['date', 'time', 'date_time']);

export const CurrencyValue = z
  .object({ format: z.literal('currency'), amount: z.number(), currency: CurrencyCode, fallback: z.string().min(1).optional() })
  .strict();
export const DateTimeValue = z
  .object({ format: z.literal('date_time'), value: z.union([z.string(), z.number()]), style: DateStyle.optional(), fallback: z.string().min(1).optional() })
  .strict();
export const ParameterValue = z.union([Scalar, CurrencyValue, DateTimeValue]);
export type ParameterValue = z.infer<typeof ParameterValue>;

const Link = z.url({ protocol: /^https?$/ });
const MediaRef = z.union([z.object({ link: Link }).strict(), z.object({ id: z.string().min(1) }).strict()]);
const Filename = z.string().min(1).max(240).optional();
const DocumentRef = z.union([z.object({ link: Link, filename: Filename }).strict(), z.object({ id: z.string().min(1), filename: Filename }).strict()]);
export const HeaderMedia = z.union([
  z.object({ image: MediaRef }).strict(),
  z.object({ video: MediaRef }).strict(),
  z.object({ document: DocumentRef }).strict(),
  z
    .object({
      location: z
        .object({ latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180), name: z.string().max(1000).optional(), address: z.string().max(1000).optional() })
        .strict(),
    })
    .strict(),
]);
export type HeaderMedia = z.infer<typeof HeaderMedia>;

/** Positional (`["Ana", "PED-4411"]`) or named (`{"first_name": "Ana"}`). */
const Values = z.union([z.array(ParameterValue), z.record(z.string(), ParameterValue)]);
/** By button index: `{"0": "PED-4411"}`, or an array aligned with the template's buttons (null: none). */
const ButtonValues = z.union([z.array(z.union([z.string().min(1), z.null()])), z.record(z.string().regex(/^\d+$/), z.string().min(1))]);

export const TemplateParameters = z
  .object({
    header: z.union([HeaderMedia, Values]).optional().describe('Text parameters, or the media of an IMAGE/VIDEO/DOCUMENT/LOCATION header'),
    body: Values.optional(),
    buttons: ButtonValues.optional().describe('URL suffix, quick-reply payload or coupon code, by button index'),
  })
  .strict();
export type TemplateParameters = z.infer<typeof TemplateParameters>;

export const MAPPING_SOURCE = /^(contact\.(name|firstName|phone)|crm\.[A-Za-z][A-Za-z0-9_]{0,63})$/;
const Source = z.string().regex(MAPPING_SOURCE, 'contact.name, contact.firstName, contact.phone or crm.<field>');
export const MappingEntry = z.union([
  Source,
  z.object({ from: Source, format: z.literal('text').optional() }).strict(),
  z.object({ from: Source, format: z.literal('currency'), currency: CurrencyCode }).strict(),
  z.object({ from: Source, format: z.literal('date_time'), style: DateStyle.optional() }).strict(),
  z.object({ from: Source, format: z.enum(['image', 'video', 'document']) }).strict(),
  z.object({ value: Scalar }).strict(),
]);
export type MappingEntry = z.infer<typeof MappingEntry>;

/**
 * Parameter name → where its value comes from. `first_name` fills `{{first_name}}` wherever it
 * appears; `header.1` / `body.1` address one component; `button.0` a button's parameter;
 * `header` (with an image/video/document format) a media header.
 */
export const TemplateMapping = z.record(z.string().regex(/^(?:(?:header|body)\.)?[A-Za-z0-9_]+$|^button\.\d+$/, 'a parameter name, header.<name>, body.<name> or button.<index>'), MappingEntry);
export type TemplateMapping = z.infer<typeof TemplateMapping>;

/** The contact a template is filled for (a subset of the contacts module's Contact). */
export type TemplateContact = { name: string | null; phone: string | null; locale: string | null; fields: Record<string, unknown> };

export type FillInput = { parameters?: TemplateParameters | undefined; mapping?: TemplateMapping | undefined };

export type FillContext = {
  contact: TemplateContact | null;
  /** Formats currency and dates: the contact's locale, else the variant's language. */
  locale: string;
  /** IANA time zone for date_time values (e.g. `America/Mexico_City`); UTC by default. */
  timeZone?: string | undefined;
};

// ---------------------------------------------------------------------------------------------
// Outputs

export type ResolvedValue =
  | { kind: 'text'; text: string }
  | { kind: 'currency'; display: string; code: string; amount1000: number }
  | { kind: 'date_time'; display: string };

export type MediaFormat = 'IMAGE' | 'VIDEO' | 'DOCUMENT';
export type ResolvedMedia =
  | { format: MediaFormat; link: string | null; id: string | null; filename: string | null }
  | { format: 'LOCATION'; latitude: number; longitude: number; name: string | null; address: string | null };

export type ButtonSubType = 'url' | 'quick_reply' | 'copy_code';
export type FilledButton = { index: number; subType: ButtonSubType; value: string };

export type GraphComponent = Record<string, unknown>;
/** The Cloud API `template` object of a send. */
export type GraphTemplate = { name: string; language: { code: string }; components?: GraphComponent[] };

export type FilledTemplate = {
  header: { kind: 'text'; values: ReadonlyMap<string, ResolvedValue> } | { kind: 'media'; media: ResolvedMedia } | null;
  body: ReadonlyMap<string, ResolvedValue>;
  buttons: FilledButton[];
  graphTemplate: GraphTemplate;
};

/** What a person sees for a value: the text, or the fallback of a currency or date. */
export const displayOf = (value: ResolvedValue) => (value.kind === 'text' ? value.text : value.display);

// ---------------------------------------------------------------------------------------------
// Status

/** Refuses a variant Meta would refuse to send (132001 / 132015 / 132016). */
export function checkSendable(variant: Pick<TemplateVariant, 'name' | 'language' | 'status'>): Result<void, TemplateProblem> {
  if (isSendable(variant.status)) return ok(undefined);
  const details = { name: variant.name, language: variant.language, status: variant.status };
  switch (variant.status) {
    case 'PAUSED':
      return err(problem('TEMPLATE_PAUSED', `Template ${variant.name} (${variant.language}) is paused by Meta for low quality; it can be sent again once Meta unpauses it.`, details));
    case 'DISABLED':
      return err(problem('TEMPLATE_DISABLED', `Template ${variant.name} (${variant.language}) is disabled by Meta for good; create a new template.`, details));
    case 'DELETED':
      return err(problem('TEMPLATE_NOT_FOUND', `Template ${variant.name} (${variant.language}) no longer exists at Meta.`, details));
    default:
      return err(problem('TEMPLATE_NOT_APPROVED', `Template ${variant.name} (${variant.language}) is ${variant.status}, not approved: it cannot be sent yet.`, details));
  }
}

// ---------------------------------------------------------------------------------------------
// What the variant expects

type ExpectedHeader = { kind: 'none' } | { kind: 'text'; names: string[] } | { kind: 'media'; format: MediaFormat | 'LOCATION' };
type ExpectedButton = { index: number; type: string; subType: ButtonSubType | null; required: boolean };

export type ExpectedParameters = { header: ExpectedHeader; body: string[]; buttons: ExpectedButton[] };

export function expectedParameters(variant: Pick<TemplateVariant, 'components'>): ExpectedParameters {
  const header = componentOf(variant.components, 'HEADER');
  const format = (header?.format ?? 'TEXT').toUpperCase();
  const expectedHeader: ExpectedHeader = !header
    ? { kind: 'none' }
    : format === 'TEXT'
      ? { kind: 'text', names: orderedParameterNames(header.text) }
      : format === 'IMAGE' || format === 'VIDEO' || format === 'DOCUMENT' || format === 'LOCATION'
        ? { kind: 'media', format }
        : { kind: 'none' };
  const buttons = (componentOf(variant.components, 'BUTTONS')?.buttons ?? []).map((b, index): ExpectedButton => {
    const type = b.type.toUpperCase();
    if (type === 'URL') return { index, type, subType: 'url', required: orderedParameterNames(b.url).length > 0 };
    // One-time-password buttons take the code as a url parameter (authentication templates).
    if (type === 'OTP') return { index, type, subType: 'url', required: true };
    if (type === 'COPY_CODE') return { index, type, subType: 'copy_code', required: true };
    if (type === 'QUICK_REPLY') return { index, type, subType: 'quick_reply', required: false };
    return { index, type, subType: null, required: false };
  });
  return { header: expectedHeader, body: orderedParameterNames(componentOf(variant.components, 'BODY')?.text), buttons };
}

// ---------------------------------------------------------------------------------------------
// Filling

const own = <T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined =>
  record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;

type Component = 'header' | 'body' | 'button';

const missing = (parameter: string, component: Component, reason: string, source?: string) =>
  problem('TEMPLATE_PARAMETER_MISSING', `Template parameter ${label(parameter, component)} has no value: ${reason}.`, {
    parameter,
    component,
    ...(source ? { source } : {}),
  });

const invalid = (parameter: string, component: Component, reason: string) =>
  problem('TEMPLATE_PARAMETER_INVALID', `Template parameter ${label(parameter, component)} is invalid: ${reason}.`, { parameter, component, reason });

const label = (parameter: string, component: Component) => (component === 'button' ? `button ${parameter}` : `{{${parameter}}} (${component})`);

/** Meta's locale codes (`es_MX`) as BCP 47 (`es-MX`), falling back to `en` for anything Intl refuses. */
export function intlLocale(locale: string): string {
  try {
    return Intl.getCanonicalLocales(locale.replace('_', '-'))[0] ?? 'en';
  } catch {
    return 'en';
  }
}

export function formatCurrency(amount: number, code: string, locale: string): string {
  try {
    return new Intl.NumberFormat(intlLocale(locale), { style: 'currency', currency: code }).format(amount);
  } catch {
    return `${code} ${amount.toFixed(2)}`;
  }
}

export function formatDateTime(epochMs: number, locale: string, timeZone: string, style: 'date' | 'time' | 'date_time'): string {
  const options: Intl.DateTimeFormatOptions =
    style === 'date' ? { dateStyle: 'long' } : style === 'time' ? { timeStyle: 'short' } : { dateStyle: 'long', timeStyle: 'short' };
  try {
    return new Intl.DateTimeFormat(intlLocale(locale), { ...options, timeZone }).format(epochMs);
  } catch {
    return new Intl.DateTimeFormat(intlLocale(locale), { ...options, timeZone: 'UTC' }).format(epochMs);
  }
}

/** Meta refuses parameters with new lines, tabs or more than four spaces in a row (error 100). */
function checkText(text: string, parameter: string, component: Component): Result<string, TemplateProblem> {
  if (text.trim() === '') return err(missing(parameter, component, 'it is empty'));
  if (/[\n\r\t]/.test(text)) return err(invalid(parameter, component, 'WhatsApp refuses new lines and tabs in parameters'));
  if (/ {5,}/.test(text)) return err(invalid(parameter, component, 'WhatsApp refuses more than four spaces in a row in parameters'));
  return ok(text);
}

function toEpochMs(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string' || value.trim() === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : parsed;
}

function toAmount(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value.trim());
  return null;
}

class Resolver {
  private readonly timeZone: string;
  constructor(private readonly ctx: FillContext) {
    this.timeZone = ctx.timeZone ?? 'UTC';
  }

  /** A contact or CRM value, or why there is none. */
  read(source: string): { ok: true; value: unknown } | { ok: false; reason: string } {
    const contact = this.ctx.contact;
    if (!contact) return { ok: false, reason: `${source} needs a contact, and there is none` };
    const name = contact.name?.trim() ?? '';
    switch (source) {
      case 'contact.name':
        return name ? { ok: true, value: name } : { ok: false, reason: 'the contact has no name (contact.name)' };
      case 'contact.firstName':
        return name ? { ok: true, value: name.split(/\s+/)[0] } : { ok: false, reason: 'the contact has no name (contact.firstName)' };
      case 'contact.phone':
        return contact.phone ? { ok: true, value: contact.phone } : { ok: false, reason: 'the contact has no phone number (contact.phone)' };
    }
    const field = source.slice('crm.'.length);
    const value = own(contact.fields, field);
    if (value === undefined || value === null || value === '') return { ok: false, reason: `${source} is not set for this contact` };
    return { ok: true, value };
  }

  text(value: unknown, parameter: string, component: Component): Result<ResolvedValue, TemplateProblem> {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      const text = checkText(String(value), parameter, component);
      return text.ok ? ok({ kind: 'text', text: text.value }) : text;
    }
    return err(invalid(parameter, component, 'the value is not text, a number or a boolean'));
  }

  currency(value: unknown, code: string, parameter: string, component: Component, fallback?: string): Result<ResolvedValue, TemplateProblem> {
    const amount = toAmount(value);
    if (amount === null) return err(invalid(parameter, component, 'a currency amount is a number'));
    const amount1000 = Math.round(amount * 1000);
    if (!Number.isSafeInteger(amount1000)) return err(invalid(parameter, component, 'the amount is too large'));
    return ok({ kind: 'currency', display: fallback ?? formatCurrency(amount, code, this.ctx.locale), code, amount1000 });
  }

  dateTime(value: unknown, style: 'date' | 'time' | 'date_time', parameter: string, component: Component, fallback?: string): Result<ResolvedValue, TemplateProblem> {
    const at = toEpochMs(value);
    if (at === null || Number.isNaN(new Date(at).getTime())) return err(invalid(parameter, component, 'a date_time value is an ISO 8601 date or epoch milliseconds'));
    return ok({ kind: 'date_time', display: fallback ?? formatDateTime(at, this.ctx.locale, this.timeZone, style) });
  }

  explicit(value: ParameterValue, parameter: string, component: Component): Result<ResolvedValue, TemplateProblem> {
    if (typeof value !== 'object') return this.text(value, parameter, component);
    if (value.format === 'currency') return this.currency(value.amount, value.currency, parameter, component, value.fallback);
    return this.dateTime(value.value, value.style ?? 'date_time', parameter, component, value.fallback);
  }

  mapped(entry: MappingEntry, parameter: string, component: Component): Result<ResolvedValue, TemplateProblem> {
    if (typeof entry === 'object' && 'value' in entry) return this.text(entry.value, parameter, component);
    const source = typeof entry === 'string' ? entry : entry.from;
    const read = this.read(source);
    if (!read.ok) return err(missing(parameter, component, read.reason, source));
    if (typeof entry === 'string' || entry.format === undefined || entry.format === 'text') return this.text(read.value, parameter, component);
    if (entry.format === 'currency') return this.currency(read.value, entry.currency, parameter, component);
    if (entry.format === 'date_time') return this.dateTime(read.value, entry.style ?? 'date_time', parameter, component);
    return err(invalid(parameter, component, `a ${entry.format} mapping fills a media header, not a text parameter`));
  }
}

type TextValues = ParameterValue[] | Record<string, ParameterValue> | undefined;

function fillText(component: 'header' | 'body', names: string[], given: TextValues, mapping: TemplateMapping | undefined, resolver: Resolver): Result<Map<string, ResolvedValue>, TemplateProblem> {
  const explicit = new Map<string, ParameterValue>();
  if (Array.isArray(given)) {
    if (given.length !== names.length) return err(countMismatch(component, names.length, given.length));
    names.forEach((name, i) => explicit.set(name, given[i]!));
  } else if (given !== undefined) {
    const keys = Object.keys(given);
    if (names.length === 0 && keys.length > 0) return err(countMismatch(component, 0, keys.length));
    for (const key of keys) {
      if (!names.includes(key)) {
        return err(problem('TEMPLATE_PARAMETER_UNKNOWN', `The template has no parameter {{${key}}} in its ${component} (it has ${names.map((n) => `{{${n}}}`).join(', ')}).`, { component, parameter: key }));
      }
      explicit.set(key, given[key]!);
    }
  }
  const values = new Map<string, ResolvedValue>();
  for (const name of names) {
    const value = explicit.get(name);
    let resolved: Result<ResolvedValue, TemplateProblem>;
    if (value !== undefined) {
      resolved = resolver.explicit(value, name, component);
    } else {
      const entry = own(mapping, `${component}.${name}`) ?? own(mapping, name);
      if (entry === undefined) return err(missing(name, component, 'neither the parameters nor the mapping give one'));
      resolved = resolver.mapped(entry, name, component);
    }
    if (!resolved.ok) return resolved;
    values.set(name, resolved.value);
  }
  return ok(values);
}

const countMismatch = (component: Component, expected: number, given: number) =>
  problem('TEMPLATE_PARAMETER_COUNT_MISMATCH', `The template's ${component} has ${expected} parameter${expected === 1 ? '' : 's'}; ${given} given.`, { component, expected, given });

const mediaMismatch = (expected: string | null, given: string) =>
  problem(
    'TEMPLATE_HEADER_MEDIA_MISMATCH',
    expected === null ? `The template has no header, but a ${given} header was given.` : `The template's header is ${expected}; a ${given} header was given.`,
    { expected, given },
  );

function mediaOf(given: HeaderMedia): ResolvedMedia {
  if ('image' in given) return { format: 'IMAGE', link: 'link' in given.image ? given.image.link : null, id: 'id' in given.image ? given.image.id : null, filename: null };
  if ('video' in given) return { format: 'VIDEO', link: 'link' in given.video ? given.video.link : null, id: 'id' in given.video ? given.video.id : null, filename: null };
  if ('document' in given) {
    const d = given.document;
    return { format: 'DOCUMENT', link: 'link' in d ? d.link : null, id: 'id' in d ? d.id : null, filename: d.filename ?? null };
  }
  const l = given.location;
  return { format: 'LOCATION', latitude: l.latitude, longitude: l.longitude, name: l.name ?? null, address: l.address ?? null };
}

const isHeaderMedia = (value: unknown): value is HeaderMedia => HeaderMedia.safeParse(value).success;

function fillHeader(expected: ExpectedHeader, given: TemplateParameters['header'], mapping: TemplateMapping | undefined, resolver: Resolver): Result<FilledTemplate['header'], TemplateProblem> {
  const expectedFormat = expected.kind === 'media' ? expected.format : expected.kind === 'text' ? 'TEXT' : null;
  if (given !== undefined && isHeaderMedia(given)) {
    const media = mediaOf(given);
    if (expected.kind !== 'media' || expected.format !== media.format) return err(mediaMismatch(expectedFormat, media.format));
    return ok({ kind: 'media', media });
  }
  if (expected.kind === 'media') {
    if (given !== undefined) return err(mediaMismatch(expected.format, 'TEXT'));
    const entry = own(mapping, 'header');
    if (entry === undefined || typeof entry !== 'object' || !('format' in entry) || !['image', 'video', 'document'].includes(entry.format ?? '')) {
      return err(missing('header', 'header', `the template's header needs ${expected.format === 'LOCATION' ? 'a location' : `an ${expected.format.toLowerCase()}`} (parameters.header)`));
    }
    const format = entry.format!.toUpperCase() as MediaFormat;
    if (format !== expected.format) return err(mediaMismatch(expected.format, format));
    const read = resolver.read(entry.from);
    if (!read.ok) return err(missing('header', 'header', read.reason, entry.from));
    if (typeof read.value !== 'string') return err(invalid('header', 'header', 'a media header is a link or a media id'));
    const isLink = /^https?:\/\//i.test(read.value);
    return ok({ kind: 'media', media: { format, link: isLink ? read.value : null, id: isLink ? null : read.value, filename: null } });
  }
  if (expected.kind === 'none') {
    if (given !== undefined && (Array.isArray(given) ? given.length > 0 : Object.keys(given).length > 0)) {
      return err(countMismatch('header', 0, Array.isArray(given) ? given.length : Object.keys(given).length));
    }
    return ok(null);
  }
  const values = fillText('header', expected.names, given as TextValues, mapping, resolver);
  return values.ok ? ok({ kind: 'text', values: values.value }) : values;
}

function fillButtons(expected: ExpectedButton[], given: TemplateParameters['buttons'], mapping: TemplateMapping | undefined, resolver: Resolver): Result<FilledButton[], TemplateProblem> {
  const explicit = new Map<number, string>();
  if (Array.isArray(given)) given.forEach((value, index) => value !== null && explicit.set(index, value));
  else if (given !== undefined) for (const [key, value] of Object.entries(given)) explicit.set(Number(key), value);
  for (const index of explicit.keys()) {
    const button = expected[index];
    if (!button || button.subType === null || (button.type === 'URL' && !button.required)) {
      return err(problem('TEMPLATE_PARAMETER_UNKNOWN', `Button ${index} of the template takes no parameter.`, { component: 'button', parameter: String(index) }));
    }
  }
  const filled: FilledButton[] = [];
  for (const button of expected) {
    if (button.subType === null) continue;
    const parameter = String(button.index);
    const value = explicit.get(button.index);
    let resolved: Result<ResolvedValue, TemplateProblem> | null = null;
    if (value !== undefined) resolved = resolver.text(value, parameter, 'button');
    else {
      const entry = own(mapping, `button.${button.index}`);
      if (entry !== undefined) resolved = resolver.mapped(entry, parameter, 'button');
    }
    if (resolved === null) {
      if (button.required) return err(missing(parameter, 'button', `the ${button.type} button needs its parameter (parameters.buttons["${parameter}"])`));
      continue;
    }
    if (!resolved.ok) return resolved;
    if (resolved.value.kind !== 'text') return err(invalid(parameter, 'button', 'a button parameter is text'));
    filled.push({ index: button.index, subType: button.subType, value: resolved.value.text });
  }
  return ok(filled);
}

function graphParameter(name: string, value: ResolvedValue, named: boolean): GraphComponent {
  const parameterName = named ? { parameter_name: name } : {};
  switch (value.kind) {
    case 'text':
      return { type: 'text', ...parameterName, text: value.text };
    case 'currency':
      return { type: 'currency', ...parameterName, currency: { fallback_value: value.display, code: value.code, amount_1000: value.amount1000 } };
    case 'date_time':
      return { type: 'date_time', ...parameterName, date_time: { fallback_value: value.display } };
  }
}

function graphMedia(media: ResolvedMedia): GraphComponent {
  if (media.format === 'LOCATION') {
    const { latitude, longitude, name, address } = media;
    return { type: 'location', location: { latitude, longitude, ...(name ? { name } : {}), ...(address ? { address } : {}) } };
  }
  const key = media.format.toLowerCase();
  const source = media.link !== null ? { link: media.link } : { id: media.id };
  return { type: key, [key]: { ...source, ...(media.filename ? { filename: media.filename } : {}) } };
}

const BUTTON_PARAMETER: Record<ButtonSubType, (value: string) => GraphComponent> = {
  url: (text) => ({ type: 'text', text }),
  quick_reply: (payload) => ({ type: 'payload', payload }),
  copy_code: (code) => ({ type: 'coupon_code', coupon_code: code }),
};

/** Fills the variant's parameters; does not look at its status (see `checkSendable`). */
export function fillParameters(variant: TemplateVariant, input: FillInput, ctx: FillContext): Result<FilledTemplate, TemplateProblem> {
  const expected = expectedParameters(variant);
  const resolver = new Resolver(ctx);
  const named = variant.parameterFormat === 'NAMED';

  const header = fillHeader(expected.header, input.parameters?.header, input.mapping, resolver);
  if (!header.ok) return header;
  const body = fillText('body', expected.body, input.parameters?.body, input.mapping, resolver);
  if (!body.ok) return body;
  const buttons = fillButtons(expected.buttons, input.parameters?.buttons, input.mapping, resolver);
  if (!buttons.ok) return buttons;

  const components: GraphComponent[] = [];
  const h = header.value;
  if (h?.kind === 'media') components.push({ type: 'header', parameters: [graphMedia(h.media)] });
  if (h?.kind === 'text' && h.values.size > 0) components.push({ type: 'header', parameters: [...h.values].map(([n, v]) => graphParameter(n, v, named)) });
  if (body.value.size > 0) components.push({ type: 'body', parameters: [...body.value].map(([n, v]) => graphParameter(n, v, named)) });
  for (const b of buttons.value) components.push({ type: 'button', sub_type: b.subType, index: String(b.index), parameters: [BUTTON_PARAMETER[b.subType](b.value)] });

  return ok({
    header: h,
    body: body.value,
    buttons: buttons.value,
    graphTemplate: { name: variant.name, language: { code: variant.language }, ...(components.length > 0 ? { components } : {}) },
  });
}
