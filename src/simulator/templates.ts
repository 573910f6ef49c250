/**
 * Message templates: the store, Meta's paging, and the checks a template send goes through
 * (132001 unknown, 132015/132016 paused/disabled, 132000 parameter count, 132012 format).
 * Shapes follow graph-template-list-page.json; placeholder rules follow NOTES §7 and §11.
 */
import type { IdFactory } from './ids.js';
import { TemplateSeedSchema, type TemplateCategory, type TemplateSeed, type TemplateStatus } from './schemas.js';

type SeedOutput = ReturnType<typeof TemplateSeedSchema.parse>;
export type TemplateComponent = SeedOutput['components'][number];

export type Template = Omit<SeedOutput, 'wabaId' | 'id' | 'parameter_format'> & {
  id: string;
  wabaId: string;
  parameter_format: 'POSITIONAL' | 'NAMED';
};

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/** Distinct placeholder names in order of first appearance: `['1','2']` or `['first_name']`. */
export function placeholders(text: unknown): string[] {
  if (typeof text !== 'string') return [];
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1] as string))];
}

const componentType = (c: { type: string }) => c.type.toUpperCase();
const find = (t: Pick<Template, 'components'>, type: string) => t.components.find((c) => componentType(c) === type);

type TemplateButton = { type?: unknown; text?: unknown; url?: unknown; payload?: unknown };

export function templateButtons(t: Pick<Template, 'components'>): TemplateButton[] {
  const buttons = find(t, 'BUTTONS')?.['buttons'];
  return Array.isArray(buttons) ? (buttons.filter((b) => typeof b === 'object' && b !== null) as TemplateButton[]) : [];
}

/** Every placeholder of the template's texts, to infer the parameter format. */
function allPlaceholders(t: Pick<Template, 'components'>): string[] {
  const texts = t.components.flatMap((c) => [c['text'], ...(componentType(c) === 'BUTTONS' ? templateButtons(t).map((b) => b.url) : [])]);
  return texts.flatMap(placeholders);
}

export function inferParameterFormat(t: Pick<Template, 'components'>): 'POSITIONAL' | 'NAMED' {
  return allPlaceholders(t).some((name) => !/^\d+$/.test(name)) ? 'NAMED' : 'POSITIONAL';
}

/** What a send of this template must supply. */
export type ExpectedParameters = {
  header: { kind: 'text'; names: string[] } | { kind: 'media'; format: string } | null;
  body: string[];
  /** Dynamic URL buttons (`…/{{1}}`), by button index. */
  urlButtons: { index: number; names: string[] }[];
};

export function expectedParameters(t: Pick<Template, 'components'>): ExpectedParameters {
  const header = find(t, 'HEADER');
  const format = typeof header?.['format'] === 'string' ? header['format'].toUpperCase() : 'TEXT';
  return {
    header: !header ? null : format === 'TEXT' ? { kind: 'text', names: placeholders(header['text']) } : { kind: 'media', format },
    body: placeholders(find(t, 'BODY')?.['text']),
    urlButtons: templateButtons(t).flatMap((b, index) =>
      String(b.type).toUpperCase() === 'URL' && placeholders(b.url).length > 0 ? [{ index, names: placeholders(b.url) }] : [],
    ),
  };
}

/** A component of a template *send* (`template.components[]`), read leniently. */
export type SentComponent = { type?: unknown; sub_type?: unknown; index?: unknown; parameters?: unknown };
type SentParameter = { type?: unknown; text?: unknown; parameter_name?: unknown };

export type TemplateCheck = { ok: true } | { ok: false; code: 100 | 131009 | 132000 | 132012; details: string };

const mismatch = (where: string, got: number, expected: number): TemplateCheck => ({
  ok: false,
  code: 132000,
  // The wording of a captured 132000 (graph-error-132000-param-count-mismatch.json).
  details: `${where}: number of localizable_params (${got}) does not match the expected number of params (${expected})`,
});

function parametersOf(c: SentComponent | undefined): SentParameter[] {
  return Array.isArray(c?.parameters) ? (c.parameters.filter((p) => typeof p === 'object' && p !== null) as SentParameter[]) : [];
}

/** Checks the parameters of a send against the template's placeholders. */
export function checkTemplateParameters(t: Template, sent: SentComponent[]): TemplateCheck {
  const expected = expectedParameters(t);
  const sentOf = (type: string) => sent.find((c) => String(c.type).toLowerCase() === type);

  const textChecks: [string, string[], SentParameter[]][] = [['body', expected.body, parametersOf(sentOf('body'))]];
  if (expected.header?.kind === 'text') textChecks.unshift(['header', expected.header.names, parametersOf(sentOf('header'))]);
  else if (expected.header === null && parametersOf(sentOf('header')).length > 0) return mismatch('header', parametersOf(sentOf('header')).length, 0);

  for (const [where, names, params] of textChecks) {
    if (params.length !== names.length) return mismatch(where, params.length, names.length);
    for (const [i, p] of params.entries()) {
      // NOTES §8: 100 also covers empty template parameters.
      if (p.type === 'text' && (typeof p.text !== 'string' || p.text.trim() === '')) {
        return { ok: false, code: 100, details: `${where}: parameter ${i + 1} of type text must have a non-empty text` };
      }
      if (t.parameter_format === 'NAMED') {
        if (typeof p.parameter_name !== 'string') return { ok: false, code: 132012, details: `${where}: Format mismatch, expected NAMED, received POSITIONAL` };
        if (!names.includes(p.parameter_name)) return { ok: false, code: 132000, details: `${where}: parameter name (${p.parameter_name}) does not exist in the template` };
      }
    }
  }

  if (expected.header?.kind === 'media') {
    const params = parametersOf(sentOf('header'));
    if (params.length !== 1) return mismatch('header', params.length, 1);
    const received = String(params[0]?.type).toUpperCase();
    if (received !== expected.header.format) {
      return { ok: false, code: 132012, details: `header: Format mismatch, expected ${expected.header.format}, received ${received}` };
    }
  }

  const buttons = templateButtons(t);
  for (const c of sent.filter((c) => String(c.type).toLowerCase() === 'button')) {
    const index = Number(c.index);
    const button = Number.isInteger(index) ? buttons[index] : undefined;
    const subType = String(c.sub_type).toLowerCase();
    if (!button || String(button.type).toLowerCase() !== subType) {
      return { ok: false, code: 131009, details: `Button at index ${String(c.index)} of type ${String(c.sub_type)} does not exist` };
    }
  }
  for (const { index, names } of expected.urlButtons) {
    const c = sent.find((s) => String(s.type).toLowerCase() === 'button' && Number(s.index) === index);
    const got = parametersOf(c).length;
    if (got !== names.length) return mismatch(`button at index ${index}`, got, names.length);
  }
  return { ok: true };
}

/** The template as Meta lists it, keys in Meta's order. */
export function publicTemplate(t: Template): Record<string, unknown> {
  return {
    name: t.name,
    parameter_format: t.parameter_format,
    components: t.components,
    language: t.language,
    status: t.status,
    category: t.category,
    ...(t.sub_category === undefined ? {} : { sub_category: t.sub_category }),
    id: t.id,
  };
}

export type TemplateStore = {
  add(seed: TemplateSeed, defaultWabaId: string): Template;
  find(wabaId: string, name: string, language: string): Template | undefined;
  get(id: string): Template | undefined;
  list(wabaId?: string): Template[];
  setStatus(t: Template, status: TemplateStatus): void;
};

export function createTemplateStore(ids: IdFactory): TemplateStore {
  const templates: Template[] = [];
  return {
    add(seed, defaultWabaId) {
      const parsed = TemplateSeedSchema.parse(seed);
      const { wabaId, id, parameter_format, ...rest } = parsed;
      const template: Template = {
        ...rest,
        id: id ?? ids.templateId(),
        wabaId: wabaId ?? defaultWabaId,
        parameter_format: parameter_format ?? inferParameterFormat(parsed),
      };
      templates.push(template);
      return template;
    },
    find: (wabaId, name, language) => templates.find((t) => t.wabaId === wabaId && t.name === name && t.language === language),
    get: (id) => templates.find((t) => t.id === id),
    list: (wabaId) => templates.filter((t) => wabaId === undefined || t.wabaId === wabaId),
    setStatus(t, status) {
      t.status = status;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Paging (Graph cursors: opaque strings; `next` is absent on the last page)

export type PageQuery = { limit: number; after?: string | undefined; before?: string | undefined };
export type Page<T> = { data: T[]; before: string | null; after: string | null; hasNext: boolean; hasPrevious: boolean };

export const cursorOf = (id: string) => Buffer.from(`tpl:${id}`).toString('base64url');
const idOfCursor = (cursor: string) => {
  const decoded = Buffer.from(cursor, 'base64url').toString();
  return decoded.startsWith('tpl:') ? decoded.slice(4) : null;
};

export function pageOf<T extends { id: string }>(items: T[], query: PageQuery): Page<T> {
  let start = 0;
  let end = items.length;
  if (query.after !== undefined) {
    const at = items.findIndex((item) => item.id === idOfCursor(query.after as string));
    start = at < 0 ? items.length : at + 1;
    end = Math.min(items.length, start + query.limit);
  } else if (query.before !== undefined) {
    const at = items.findIndex((item) => item.id === idOfCursor(query.before as string));
    end = at < 0 ? 0 : at;
    start = Math.max(0, end - query.limit);
  } else {
    end = Math.min(items.length, query.limit);
  }
  const data = items.slice(start, end);
  const first = data[0];
  const last = data[data.length - 1];
  return {
    data,
    before: first ? cursorOf(first.id) : null,
    after: last ? cursorOf(last.id) : null,
    hasNext: end < items.length,
    hasPrevious: start > 0,
  };
}

export type { TemplateCategory, TemplateStatus };
