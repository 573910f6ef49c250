import { z } from 'zod';
import type { DbExecutor } from '../../db/database.js';
import type { Clock } from '../../platform/clock.js';
import type { IdGenerator } from '../../platform/ids.js';
import { recordTemplateEvent, toSecond } from './template-events.js';
import { templateRepository, type NewTemplate, type StoredTemplate } from './template.repository.js';

/** The inbound module's `field_update` event, or any object of that shape. */
export type TemplateWebhookEvent = { wabaId: string; field: string; time: number | null; value: unknown };

export type TemplateWebhookDeps = { clock: Clock; ids: IdGenerator };

/**
 * What applying one webhook did: `created` a stub variant for a template not synced yet, `applied`
 * a change, found it already `unchanged` (a replay), refused it as `stale` (older than what is
 * known), or `ignored` it (another field, or a value that does not name a template).
 */
export type TemplateWebhookOutcome = 'created' | 'applied' | 'unchanged' | 'stale' | 'ignored';

export const TEMPLATE_WEBHOOK_FIELDS = ['message_template_status_update', 'template_category_update', 'message_template_quality_update'] as const;

export const isTemplateWebhookField = (field: string) => (TEMPLATE_WEBHOOK_FIELDS as readonly string[]).includes(field);

// Values as Meta sends them (NOTES §6; test/fixtures/meta/template-*.json), read loosely.
const Ref = {
  message_template_id: z.union([z.number(), z.string()]).optional(),
  message_template_name: z.string().optional(),
  message_template_language: z.string().optional(),
};
const StatusUpdate = z.looseObject({
  ...Ref,
  event: z.string(),
  reason: z.string().nullable().optional(),
  message_template_category: z.string().optional(),
  rejection_info: z.looseObject({ reason: z.string().optional(), recommendation: z.string().optional() }).optional(),
  other_info: z.looseObject({ title: z.string().optional(), description: z.string().optional() }).optional(),
  disable_info: z.looseObject({ disable_date: z.union([z.number(), z.string()]).optional() }).optional(),
});
const CategoryUpdate = z.looseObject({
  ...Ref,
  new_category: z.string(),
  previous_category: z.string().optional(),
  correct_category: z.string().optional(),
  category_update_timestamp: z.number().optional(),
});
const QualityUpdate = z.looseObject({ ...Ref, new_quality_score: z.string(), previous_quality_score: z.string().optional() });

type Reference = z.infer<z.ZodObject<typeof Ref>>;

/** Webhook events that are not statuses of their own: the template is back to approved. */
const STATUS_OF_EVENT: Record<string, string> = { REINSTATED: 'APPROVED', UNARCHIVED: 'APPROVED' };

/** Why, in words: Meta's reason code and the explanation it gave with it. */
function reasonOf(value: z.infer<typeof StatusUpdate>): string | null {
  const parts: string[] = [];
  if (value.reason && value.reason !== 'NONE') parts.push(value.reason);
  if (value.rejection_info?.reason) parts.push(value.rejection_info.reason);
  if (value.rejection_info?.recommendation) parts.push(`Recommendation: ${value.rejection_info.recommendation}`);
  if (value.other_info?.title) parts.push(value.other_info.title);
  if (value.other_info?.description) parts.push(value.other_info.description);
  if (value.disable_info?.disable_date !== undefined) {
    const at = Number(value.disable_info.disable_date);
    parts.push(`disabled on ${Number.isFinite(at) ? new Date(at * 1000).toISOString() : String(value.disable_info.disable_date)}`);
  }
  if (value.event === 'REINSTATED' || value.event === 'UNARCHIVED') parts.push(value.event);
  return parts.length > 0 ? parts.join(': ') : null;
}

/**
 * A webhook is older than what is known when Meta's time (whole seconds) is before the second the
 * known change was recorded in. On the same second, a PENDING never replaces a later status: a
 * creation and its approval can share a second.
 */
function isStale(knownAt: number | null, occurredAt: number, incoming: string): boolean {
  if (knownAt === null) return false;
  const reference = toSecond(knownAt);
  return occurredAt < reference || (occurredAt === reference && incoming === 'PENDING');
}

/** The variant the webhook is about; a stub (name, language and what the webhook says) if none is known yet. */
async function locate(
  exec: DbExecutor,
  wabaId: string,
  ref: Reference,
  stub: Pick<NewTemplate, 'category' | 'status' | 'statusChangedAt' | 'rejectionReason'>,
  deps: TemplateWebhookDeps,
): Promise<{ template: StoredTemplate; created: boolean } | null> {
  const name = ref.message_template_name;
  const language = ref.message_template_language;
  const metaId = ref.message_template_id === undefined ? null : String(ref.message_template_id);
  let found = name && language ? await templateRepository.findVariant(exec, wabaId, name, language) : undefined;
  if (!found && metaId) found = await templateRepository.findByMetaId(exec, wabaId, metaId);
  if (found) return { template: found, created: false };
  if (!name || !language) return null;
  const now = deps.clock.now();
  const inserted = await templateRepository.insertIfAbsent(exec, {
    id: deps.ids.next(),
    metaTemplateId: metaId,
    wabaId,
    name,
    language,
    quality: null,
    parameterFormat: 'POSITIONAL',
    components: [],
    syncedAt: null,
    createdAt: now,
    ...stub,
  });
  const template = await templateRepository.findVariant(exec, wabaId, name, language);
  return template ? { template, created: inserted } : null;
}

async function applyStatus(exec: DbExecutor, wabaId: string, value: z.infer<typeof StatusUpdate>, occurredAt: number, deps: TemplateWebhookDeps): Promise<TemplateWebhookOutcome> {
  const event = value.event.toUpperCase();
  const status = STATUS_OF_EVENT[event] ?? event;
  const reason = reasonOf(value);
  const rejectionReason = status === 'REJECTED' ? reason : null;
  const category = value.message_template_category?.toUpperCase() ?? 'UNKNOWN';
  const located = await locate(exec, wabaId, value, { category, status, statusChangedAt: occurredAt, rejectionReason }, deps);
  if (!located) return 'ignored';
  const { template, created } = located;
  if (created) {
    await recordTemplateEvent(exec, deps, { templateId: template.id, kind: 'created', previousValue: null, newValue: status, reason: 'first heard of in a status webhook', source: 'webhook', occurredAt });
    await recordTemplateEvent(exec, deps, { templateId: template.id, kind: 'status', previousValue: null, newValue: status, reason, source: 'webhook', occurredAt });
    return 'created';
  }
  if (template.status === status) {
    // Nothing changes, but the status may now be known as of a later time: an older report of
    // another status, delivered after this one, must not undo it.
    if (template.statusChangedAt === null || occurredAt > template.statusChangedAt) {
      await templateRepository.update(exec, template.id, { statusChangedAt: occurredAt }, deps.clock.now());
    }
    return 'unchanged';
  }
  if (isStale(template.statusChangedAt, occurredAt, status)) return 'stale';
  await templateRepository.update(
    exec,
    template.id,
    {
      status,
      statusChangedAt: occurredAt,
      rejectionReason,
      ...(template.metaTemplateId === null && value.message_template_id !== undefined ? { metaTemplateId: String(value.message_template_id) } : {}),
      ...(template.category === 'UNKNOWN' && category !== 'UNKNOWN' ? { category } : {}),
    },
    deps.clock.now(),
  );
  await recordTemplateEvent(exec, deps, { templateId: template.id, kind: 'status', previousValue: template.status, newValue: status, reason, source: 'webhook', occurredAt });
  return 'applied';
}

async function applyCategory(exec: DbExecutor, wabaId: string, value: z.infer<typeof CategoryUpdate>, occurredAt: number, deps: TemplateWebhookDeps): Promise<TemplateWebhookOutcome> {
  const current = value.new_category.toUpperCase();
  const located = await locate(exec, wabaId, value, { category: current, status: 'UNKNOWN', statusChangedAt: null, rejectionReason: null }, deps);
  if (!located) return 'ignored';
  const { template, created } = located;
  if (created) await recordTemplateEvent(exec, deps, { templateId: template.id, kind: 'created', previousValue: null, newValue: 'UNKNOWN', reason: 'first heard of in a category webhook', source: 'webhook', occurredAt });

  if (value.correct_category !== undefined) {
    // Impending (24 h notice): `new_category` is still the category; `correct_category` is coming.
    const coming = value.correct_category.toUpperCase();
    if (await templateRepository.hasEvent(exec, template.id, 'category_notice', coming, occurredAt)) return created ? 'created' : 'unchanged';
    const when = value.category_update_timestamp === undefined ? 'soon' : `on ${new Date(value.category_update_timestamp * 1000).toISOString()}`;
    await recordTemplateEvent(exec, deps, {
      templateId: template.id,
      kind: 'category_notice',
      previousValue: current,
      newValue: coming,
      reason: `Meta will change the category from ${current} to ${coming} ${when}`,
      source: 'webhook',
      occurredAt,
    });
    return created ? 'created' : 'applied';
  }

  return applyReport(exec, template, 'category', current, value.previous_category?.toUpperCase() ?? null, occurredAt, created, deps);
}

/**
 * A category or quality report. Each report Meta sends is kept as an event (a replay, same value
 * and time, is not): the newest event is the reference that makes an older report stale, even
 * when the newer one only confirmed what the row already said.
 */
async function applyReport(
  exec: DbExecutor,
  template: StoredTemplate,
  kind: 'category' | 'quality',
  reported: string,
  reportedPrevious: string | null,
  occurredAt: number,
  created: boolean,
  deps: TemplateWebhookDeps,
): Promise<TemplateWebhookOutcome> {
  if (await templateRepository.hasEvent(exec, template.id, kind, reported, occurredAt)) return created ? 'created' : 'unchanged';
  if (isStale(await templateRepository.latestEventAt(exec, template.id, kind), occurredAt, reported)) return 'stale';
  const current = kind === 'category' ? template.category : template.quality;
  const changes = current !== reported;
  if (changes) await templateRepository.update(exec, template.id, kind === 'category' ? { category: reported } : { quality: reported }, deps.clock.now());
  await recordTemplateEvent(exec, deps, {
    templateId: template.id,
    kind,
    previousValue: changes ? (current ?? reportedPrevious) : (reportedPrevious ?? current),
    newValue: reported,
    reason: changes ? null : 'reported by Meta; already known',
    source: 'webhook',
    occurredAt,
  });
  return created ? 'created' : changes ? 'applied' : 'unchanged';
}

async function applyQuality(exec: DbExecutor, wabaId: string, value: z.infer<typeof QualityUpdate>, occurredAt: number, deps: TemplateWebhookDeps): Promise<TemplateWebhookOutcome> {
  const quality = value.new_quality_score.toUpperCase();
  const located = await locate(exec, wabaId, value, { category: 'UNKNOWN', status: 'UNKNOWN', statusChangedAt: null, rejectionReason: null }, deps);
  if (!located) return 'ignored';
  const { template, created } = located;
  if (created) await recordTemplateEvent(exec, deps, { templateId: template.id, kind: 'created', previousValue: null, newValue: 'UNKNOWN', reason: 'first heard of in a quality webhook', source: 'webhook', occurredAt });
  return applyReport(exec, template, 'quality', quality, value.previous_quality_score?.toUpperCase() ?? null, occurredAt, created, deps);
}

/**
 * Applies a template webhook (`message_template_status_update`, `template_category_update`,
 * `message_template_quality_update`) inside the caller's transaction, through `exec` only.
 *
 * Idempotent: a replay finds the change already made and records nothing. Order-tolerant: each
 * change carries Meta's time (`entry.time`), and one older than the last known change of the same
 * kind (status, category, quality) is refused, so a late APPROVED never undoes a PAUSED.
 */
export async function applyTemplateWebhook(exec: DbExecutor, event: TemplateWebhookEvent, deps: TemplateWebhookDeps): Promise<TemplateWebhookOutcome> {
  const occurredAt = event.time ?? deps.clock.now();
  switch (event.field) {
    case 'message_template_status_update': {
      const value = StatusUpdate.safeParse(event.value);
      return value.success ? applyStatus(exec, event.wabaId, value.data, occurredAt, deps) : 'ignored';
    }
    case 'template_category_update': {
      const value = CategoryUpdate.safeParse(event.value);
      return value.success ? applyCategory(exec, event.wabaId, value.data, occurredAt, deps) : 'ignored';
    }
    case 'message_template_quality_update': {
      const value = QualityUpdate.safeParse(event.value);
      return value.success ? applyQuality(exec, event.wabaId, value.data, occurredAt, deps) : 'ignored';
    }
    default:
      return 'ignored';
  }
}
