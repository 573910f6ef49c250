import { inTransaction } from '../../db/transaction.js';
import { AppError, err, ok, type Result } from '../../platform/errors.js';
import type { BusinessNumber } from '../numbers/index.js';
import { checkTemplate, type AuthoredTemplate } from './core/template-rules.js';
import { describeGraphFailure } from './sync-templates.js';
import { recordTemplateEvent } from './template-events.js';
import { templateRepository, type StoredTemplate } from './template.repository.js';
import type { TemplateNumbers, TemplatesDeps } from './templates.deps.js';
import type { GraphFailure } from './whatsapp-templates.client.js';

export type CreateTemplateDeps = Pick<TemplatesDeps, 'db' | 'clock' | 'ids' | 'numbers' | 'api'>;

/** An authored template, and the WABA to create it in (default: the first configured number's). */
export type CreateTemplateInput = AuthoredTemplate & { wabaId?: string | undefined };

/** The WABA to work in and a token for it: the one asked for, else the first configured number's. */
export async function resolveWaba(numbers: TemplateNumbers, wabaId: string | undefined): Promise<Result<{ wabaId: string; accessToken: string }>> {
  const configured = (await numbers.list()).filter((n) => n.wabaId);
  const usable = (list: BusinessNumber[]) => list.find((n) => n.tokenExpiredAt === null) ?? list[0];
  const number = usable(wabaId === undefined ? configured : configured.filter((n) => n.wabaId === wabaId));
  if (number) return ok({ wabaId: number.wabaId, accessToken: number.accessToken });
  if (wabaId !== undefined) return err(new AppError('TEMPLATE_WABA_NOT_FOUND', `No configured number belongs to the WhatsApp Business Account ${wabaId}.`, { wabaId }));
  return err(new AppError('NUMBER_NOT_CONFIGURED', 'No WhatsApp number with a business account id is configured: set WHATSAPP_BUSINESS_ACCOUNT_ID, or add one with `switchboard numbers add`.'));
}

/** Meta's refusal of a creation, as one of this module's errors. */
function creationFailure(failure: GraphFailure): AppError {
  if (failure.kind === 'meta') {
    const meta = { metaCode: failure.code, metaSubcode: failure.subcode, metaDetails: failure.details };
    if (failure.code === 190) return new AppError('WHATSAPP_TOKEN_EXPIRED', 'Meta refused the access token (190): replace it.', meta);
    // 2388024: "Message template … already exists in <language>".
    if (failure.subcode === 2388024) return new AppError('TEMPLATE_ALREADY_EXISTS', `Meta already has this template in this language: ${failure.details ?? failure.title}`, meta);
    if ([4, 80007, 130429].includes(failure.code)) return new AppError('TEMPLATE_META_RATE_LIMITED', `Meta limits template management calls; try again later (${failure.code}).`, meta);
    return new AppError('TEMPLATE_META_REFUSED', `Meta refused the template: ${failure.details ?? failure.title}`, meta);
  }
  if (failure.kind === 'timeout') {
    return new AppError('TEMPLATE_META_UNAVAILABLE', 'Meta did not answer in time: the template may or may not have been created. Sync the catalogue (POST /templates/sync) to find out.', {
      reason: describeGraphFailure(failure),
    });
  }
  return new AppError('TEMPLATE_META_UNAVAILABLE', `Meta could not take the template now: ${describeGraphFailure(failure)}.`, { reason: describeGraphFailure(failure) });
}

/**
 * Authors a template: checks it against Meta's rules here (400 TEMPLATE_INVALID with every
 * violation), submits it to `POST /{waba-id}/message_templates`, and stores it as Meta answered
 * (PENDING) with Meta's id. The review's webhook later moves it on (apply-template-webhook).
 */
export async function createTemplate(input: CreateTemplateInput, deps: CreateTemplateDeps): Promise<Result<StoredTemplate>> {
  const checked = checkTemplate(input);
  if (!checked.ok) {
    const violations = checked.error;
    const first = violations[0]!;
    return err(
      new AppError('TEMPLATE_INVALID', `The template breaks ${violations.length} of Meta's rule${violations.length === 1 ? '' : 's'}: ${first.path}: ${first.message}`, { violations }),
    );
  }
  const template = checked.value;
  const waba = await resolveWaba(deps.numbers, input.wabaId);
  if (!waba.ok) return waba;
  const { wabaId, accessToken } = waba.value;

  const known = await templateRepository.findVariant(deps.db, wabaId, template.name, template.language);
  if (known && known.status !== 'DELETED') {
    return err(new AppError('TEMPLATE_ALREADY_EXISTS', `Template ${template.name} already exists in ${template.language} (${known.status}).`, { name: template.name, language: template.language, status: known.status }));
  }

  const created = await deps.api.createTemplate(wabaId, accessToken, {
    name: template.name,
    category: template.category,
    language: template.language,
    parameter_format: template.parameterFormat === 'NAMED' ? 'named' : 'positional',
    components: template.components,
  });
  if (!created.ok) return err(creationFailure(created.error));

  const now = deps.clock.now();
  const status = created.value.status.toUpperCase();
  const category = created.value.category?.toUpperCase() ?? template.category;
  return inTransaction(deps.db, async (trx) => {
    const content = { metaTemplateId: created.value.id, category, parameterFormat: template.parameterFormat, components: template.components, syncedAt: now };
    const inserted = await templateRepository.insertIfAbsent(trx, {
      id: deps.ids.next(),
      wabaId,
      name: template.name,
      language: template.language,
      status,
      quality: null,
      rejectionReason: null,
      statusChangedAt: now,
      createdAt: now,
      ...content,
    });
    const row = (await templateRepository.findVariant(trx, wabaId, template.name, template.language))!;
    if (!inserted) {
      // A DELETED variant of the same name comes back; a stub from a review webhook that raced
      // this answer already knows a newer status and keeps it.
      const revived = row.status === 'DELETED';
      await templateRepository.update(trx, row.id, { ...content, ...(revived ? { status, statusChangedAt: now, rejectionReason: null } : {}) }, now);
    }
    await recordTemplateEvent(trx, deps, { templateId: row.id, kind: 'created', previousValue: null, newValue: status, reason: 'submitted to Meta', source: 'api', occurredAt: now });
    return ok((await templateRepository.findById(trx, row.id))!);
  });
}
