import type { z } from 'zod';
import type { DbExecutor } from '../../db/database.js';
import { AppError, err, ok, type Result } from '../../platform/errors.js';
import { checkSendable, fillParameters, TemplateMapping, TemplateParameters, type GraphTemplate, type TemplateContact } from './core/fill-parameters.js';
import { chooseLanguage, normaliseLocale, type LocaleRule } from './core/localisation.js';
import { renderPreview, type TemplatePreview } from './core/render-preview.js';
import type { TemplateProblem } from './core/result.js';
import { isSendable } from './core/template.js';
import { templateRepository, type StoredTemplate } from './template.repository.js';

export type TemplateRequest = {
  name: string;
  /** Exactly this language; omitted: chosen by the contact's locale (see core/localisation.ts). */
  language?: string | null | undefined;
  /** Explicit values (TemplateParameters); checked here. */
  parameters?: unknown;
  /** Where values come from (TemplateMapping): `contact.firstName`, `crm.<field>`, …; checked here. */
  mapping?: unknown;
  /**
   * Meta's own send components, passed through as given (the API's older form): the template's
   * existence, language and status are still checked, its parameters are not, and there is no preview.
   */
  components?: unknown[] | undefined;
};

export type PrepareTemplateSendInput = {
  /** The WABA of the sending number. */
  wabaId: string;
  /** The recipient (the contacts module's Contact fits); null when there is none. */
  contact: TemplateContact | null;
  template: TemplateRequest;
  /** The business default language, the end of the fallback chain (`en_US`). */
  defaultLocale: string;
  /** IANA time zone for date_time parameters (default UTC). */
  timeZone?: string | undefined;
};

export type TemplateCategoryName = 'marketing' | 'utility' | 'authentication' | 'unknown';

export type PreparedTemplateSend = {
  /** The Cloud API `template` object: put it in the message as `{type: "template", template}`. */
  graphTemplate: GraphTemplate;
  /** For consent and pricing: the variant's category, lower case. */
  category: TemplateCategoryName;
  language: string;
  /** Why this language, for people (`no es_MX variant; es is the contact's language`). */
  chosenBecause: string;
  rule: LocaleRule;
  /** The variant's row id. */
  templateId: string;
  /** What the contact will see (header, body, footer, buttons); `body` suits the timeline. Null for passed-through components. */
  preview: TemplatePreview | null;
};

export const toAppError = (p: TemplateProblem) => new AppError(p.code, p.message, p.details);

function parseInput<S extends z.ZodType>(schema: S, value: unknown, field: string): Result<z.infer<S> | undefined> {
  if (value === undefined || value === null) return ok(undefined);
  const parsed = schema.safeParse(value);
  if (parsed.success) return ok(parsed.data);
  const issue = parsed.error.issues[0];
  const where = [field, ...(issue?.path ?? [])].join('.');
  return err(new AppError('TEMPLATE_PARAMETERS_INVALID', `${where}: ${issue?.message ?? 'invalid'}`, { issues: parsed.error.issues.map((i) => ({ path: [field, ...i.path].join('.'), message: i.message })) }));
}

function categoryName(category: string): TemplateCategoryName {
  const lower = category.toLowerCase();
  return lower === 'marketing' || lower === 'utility' || lower === 'authentication' ? lower : 'unknown';
}

export type ResolvedTemplate = PreparedTemplateSend & { variant: StoredTemplate; sendable: boolean };

/**
 * The variant a contact gets and the template filled for them. Preview and send share it, so a
 * preview shows exactly what a send would go out with; only a send insists on a sendable status.
 */
export async function resolveTemplate(exec: DbExecutor, input: PrepareTemplateSendInput, options: { requireSendable: boolean }): Promise<Result<ResolvedTemplate>> {
  const parameters = parseInput(TemplateParameters, input.template.parameters, 'parameters');
  if (!parameters.ok) return parameters;
  const mapping = parseInput(TemplateMapping, input.template.mapping, 'mapping');
  if (!mapping.ok) return mapping;
  const raw = input.template.components;
  if (raw !== undefined && (parameters.value !== undefined || mapping.value !== undefined)) {
    return err(new AppError('TEMPLATE_PARAMETERS_INVALID', 'Give the template either components (as Meta takes them) or parameters and a mapping, not both.', { issues: [] }));
  }

  const { name } = input.template;
  const variants = (await templateRepository.list(exec, { wabaId: input.wabaId, name })).filter((v) => v.status !== 'DELETED');
  if (variants.length === 0) {
    return err(new AppError('TEMPLATE_NOT_FOUND', `No template ${name} in the catalogue of WhatsApp Business Account ${input.wabaId} (sync it with POST /templates/sync?).`, { name, wabaId: input.wabaId }));
  }
  const choice = chooseLanguage(
    variants.map((v) => ({ language: v.language, status: v.status, sendable: isSendable(v.status) })),
    { requested: input.template.language ?? null, contactLocale: input.contact?.locale ?? null, defaultLocale: input.defaultLocale },
  );
  if (!choice.ok) {
    return err(
      new AppError('TEMPLATE_LANGUAGE_NOT_FOUND', `Template ${name} has no variant in ${choice.error.tried.join(', ')} (it has ${choice.error.available.join(', ')}).`, {
        name,
        tried: choice.error.tried,
        available: choice.error.available,
      }),
    );
  }
  const variant = variants.find((v) => v.language === choice.value.language)!;
  if (options.requireSendable) {
    const sendable = checkSendable(variant);
    if (!sendable.ok) return err(toAppError(sendable.error));
  }
  const chosen = {
    category: categoryName(variant.category),
    language: variant.language,
    chosenBecause: choice.value.explanation,
    rule: choice.value.rule,
    templateId: variant.id,
    variant,
    sendable: isSendable(variant.status),
  };
  if (raw !== undefined) {
    return ok({ ...chosen, graphTemplate: { name, language: { code: variant.language }, ...(raw.length > 0 ? { components: raw as GraphTemplate['components'] } : {}) }, preview: null });
  }
  const filled = fillParameters(
    variant,
    { parameters: parameters.value, mapping: mapping.value },
    { contact: input.contact, locale: normaliseLocale(input.contact?.locale) ?? variant.language, timeZone: input.timeZone },
  );
  if (!filled.ok) return err(toAppError(filled.error));
  const preview = renderPreview(variant, filled.value);
  if (!preview.ok) return err(toAppError(preview.error));
  return ok({ ...chosen, graphTemplate: filled.value.graphTemplate, preview: preview.value });
}

/**
 * What `queueMessage` calls for a template send, inside its transaction (only `exec` is used):
 * chooses the variant for the contact, refuses before Meta is called what Meta would refuse
 * (unknown template or language, not approved, paused, disabled, a parameter missing or of the
 * wrong count or media type), and answers the Cloud API template object and its category.
 */
export async function prepareTemplateSend(exec: DbExecutor, input: PrepareTemplateSendInput): Promise<Result<PreparedTemplateSend>> {
  const resolved = await resolveTemplate(exec, input, { requireSendable: true });
  if (!resolved.ok) return resolved;
  const { variant: _variant, sendable: _sendable, ...prepared } = resolved.value;
  return ok(prepared);
}
