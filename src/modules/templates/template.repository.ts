import type { DbExecutor, TemplateEventTable, TemplateTable } from '../../db/database.js';
import { parameterFormatOf, readComponents, type ParameterFormat, type TemplateComponent, type TemplateVariant } from './core/template.js';

/** One language variant of a template as stored. */
export type StoredTemplate = TemplateVariant & {
  id: string;
  metaTemplateId: string | null;
  wabaId: string;
  quality: string | null;
  rejectionReason: string | null;
  /**
   * The time the status is known as of: of the newest status report applied (Meta's time for a
   * webhook, ours for a sync or a creation). Older reports are stale.
   */
  statusChangedAt: number | null;
  /** null: a stub a webhook created, not seen in a sync yet. */
  syncedAt: number | null;
  createdAt: number;
  updatedAt: number;
};

export type TemplateEventKind = 'created' | 'synced' | 'content' | 'status' | 'category' | 'category_notice' | 'quality';
export type TemplateEventSource = 'webhook' | 'sync' | 'api';

const second = (ms: number) => Math.floor(ms / 1000);

const KIND_ORDER: TemplateEventKind[] = ['created', 'synced', 'content', 'category_notice', 'category', 'quality', 'status'];

export type TemplateEvent = {
  id: string;
  templateId: string;
  kind: TemplateEventKind;
  previousValue: string | null;
  newValue: string | null;
  reason: string | null;
  source: TemplateEventSource;
  occurredAt: number;
  createdAt: number;
};

export type NewTemplate = Omit<StoredTemplate, 'updatedAt'>;

export type TemplatePatch = Partial<
  Pick<StoredTemplate, 'metaTemplateId' | 'category' | 'status' | 'quality' | 'parameterFormat' | 'components' | 'rejectionReason' | 'statusChangedAt' | 'syncedAt'>
>;

export type TemplateFilter = { wabaId?: string | undefined; name?: string | undefined; status?: string | undefined; category?: string | undefined };

const nullableNumber = (value: number | string | null) => (value === null ? null : Number(value));

function toTemplate(row: TemplateTable): StoredTemplate {
  let components: TemplateComponent[] = [];
  try {
    components = readComponents(JSON.parse(row.components));
  } catch {
    components = [];
  }
  return {
    id: row.id,
    metaTemplateId: row.meta_template_id,
    wabaId: row.waba_id,
    name: row.name,
    language: row.language,
    category: row.category,
    status: row.status,
    quality: row.quality,
    parameterFormat: parameterFormatOf(row.parameter_format),
    components,
    rejectionReason: row.rejection_reason,
    statusChangedAt: nullableNumber(row.status_changed_at),
    syncedAt: nullableNumber(row.synced_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function toColumns(patch: TemplatePatch): Partial<TemplateTable> {
  const columns: Partial<TemplateTable> = {};
  if (patch.metaTemplateId !== undefined) columns.meta_template_id = patch.metaTemplateId;
  if (patch.category !== undefined) columns.category = patch.category;
  if (patch.status !== undefined) columns.status = patch.status;
  if (patch.quality !== undefined) columns.quality = patch.quality;
  if (patch.parameterFormat !== undefined) columns.parameter_format = patch.parameterFormat satisfies ParameterFormat;
  if (patch.components !== undefined) columns.components = JSON.stringify(patch.components);
  if (patch.rejectionReason !== undefined) columns.rejection_reason = patch.rejectionReason;
  if (patch.statusChangedAt !== undefined) columns.status_changed_at = patch.statusChangedAt;
  if (patch.syncedAt !== undefined) columns.synced_at = patch.syncedAt;
  return columns;
}

function toEvent(row: TemplateEventTable): TemplateEvent {
  return {
    id: row.id,
    templateId: row.template_id,
    kind: row.kind as TemplateEventKind,
    previousValue: row.previous_value,
    newValue: row.new_value,
    reason: row.reason,
    source: row.source as TemplateEventSource,
    occurredAt: Number(row.occurred_at),
    createdAt: Number(row.created_at),
  };
}

/** Tables `templates` (one row per WABA, name and language) and `template_events` (every change). */
export const templateRepository = {
  async findVariant(exec: DbExecutor, wabaId: string, name: string, language: string): Promise<StoredTemplate | undefined> {
    const row = await exec.selectFrom('templates').selectAll().where('waba_id', '=', wabaId).where('name', '=', name).where('language', '=', language).executeTakeFirst();
    return row && toTemplate(row);
  },

  async findById(exec: DbExecutor, id: string): Promise<StoredTemplate | undefined> {
    const row = await exec.selectFrom('templates').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toTemplate(row);
  },

  async findByMetaId(exec: DbExecutor, wabaId: string, metaTemplateId: string): Promise<StoredTemplate | undefined> {
    const row = await exec.selectFrom('templates').selectAll().where('waba_id', '=', wabaId).where('meta_template_id', '=', metaTemplateId).executeTakeFirst();
    return row && toTemplate(row);
  },

  /** Every variant matching the filter, by WABA, name and language. */
  async list(exec: DbExecutor, filter: TemplateFilter = {}): Promise<StoredTemplate[]> {
    let query = exec.selectFrom('templates').selectAll();
    if (filter.wabaId !== undefined) query = query.where('waba_id', '=', filter.wabaId);
    if (filter.name !== undefined) query = query.where('name', '=', filter.name);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status.toUpperCase());
    if (filter.category !== undefined) query = query.where('category', '=', filter.category.toUpperCase());
    const rows = await query.orderBy('waba_id').orderBy('name').orderBy('language').execute();
    return rows.map(toTemplate);
  },

  /**
   * Inserts the variant unless one with the same WABA, name and language exists (a webhook and a
   * sync may race to create it); answers whether this call inserted it.
   */
  async insertIfAbsent(exec: DbExecutor, template: NewTemplate): Promise<boolean> {
    const result = await exec
      .insertInto('templates')
      .values({
        id: template.id,
        meta_template_id: template.metaTemplateId,
        waba_id: template.wabaId,
        name: template.name,
        language: template.language,
        category: template.category,
        status: template.status,
        quality: template.quality,
        parameter_format: template.parameterFormat,
        components: JSON.stringify(template.components),
        rejection_reason: template.rejectionReason,
        status_changed_at: template.statusChangedAt,
        synced_at: template.syncedAt,
        created_at: template.createdAt,
        updated_at: template.createdAt,
      })
      .onConflict((oc) => oc.columns(['waba_id', 'name', 'language']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  },

  async update(exec: DbExecutor, id: string, patch: TemplatePatch, now: number): Promise<void> {
    await exec
      .updateTable('templates')
      .set({ ...toColumns(patch), updated_at: now })
      .where('id', '=', id)
      .execute();
  },

  async recordEvent(exec: DbExecutor, event: TemplateEvent): Promise<void> {
    await exec
      .insertInto('template_events')
      .values({
        id: event.id,
        template_id: event.templateId,
        kind: event.kind,
        previous_value: event.previousValue,
        new_value: event.newValue,
        reason: event.reason,
        source: event.source,
        occurred_at: event.occurredAt,
        created_at: event.createdAt,
      })
      .execute();
  },

  /** The time of the newest event of a kind: the order-tolerance reference for category and quality. */
  async latestEventAt(exec: DbExecutor, templateId: string, kind: TemplateEventKind): Promise<number | null> {
    const row = await exec
      .selectFrom('template_events')
      .select((eb) => eb.fn.max('occurred_at').as('latest'))
      .where('template_id', '=', templateId)
      .where('kind', '=', kind)
      .executeTakeFirst();
    return row?.latest === null || row?.latest === undefined ? null : Number(row.latest);
  },

  async hasEvent(exec: DbExecutor, templateId: string, kind: TemplateEventKind, newValue: string | null, occurredAt: number): Promise<boolean> {
    let query = exec.selectFrom('template_events').select('id').where('template_id', '=', templateId).where('kind', '=', kind).where('occurred_at', '=', occurredAt);
    query = newValue === null ? query.where('new_value', 'is', null) : query.where('new_value', '=', newValue);
    return (await query.executeTakeFirst()) !== undefined;
  },

  /**
   * The events of these variants, oldest first. Meta's times are whole seconds and ours are not,
   * so events of one second are ordered by when they were recorded, then logically (the variant's
   * creation first): a template created at 12:00:00.700 and approved by a webhook of 12:00:00.
   */
  async history(exec: DbExecutor, templateIds: string[]): Promise<TemplateEvent[]> {
    if (templateIds.length === 0) return [];
    const rows = await exec.selectFrom('template_events').selectAll().where('template_id', 'in', templateIds).execute();
    return rows
      .map(toEvent)
      .sort((a, b) => second(a.occurredAt) - second(b.occurredAt) || a.createdAt - b.createdAt || KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  },
};
