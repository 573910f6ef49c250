import { z } from 'zod';
import type { DbExecutor } from '../../db/database.js';
import { parameterFormatOf, readComponents, type ParameterFormat, type TemplateComponent } from './core/template.js';
import type { BusinessNumber } from '../numbers/index.js';
import { recordTemplateEvent } from './template-events.js';
import { templateRepository, type StoredTemplate, type TemplatePatch } from './template.repository.js';
import type { TemplatesDeps } from './templates.deps.js';
import type { GraphFailure, TemplateManagementApi } from './whatsapp-templates.client.js';

export type SyncTemplatesDeps = Pick<TemplatesDeps, 'db' | 'clock' | 'ids' | 'numbers' | 'api' | 'syncPageSize'>;

export type SyncFailure = { wabaId: string; code: string; message: string };

export type SyncCounts = {
  /** WABAs synced (each configured WABA once, however many numbers share it). */
  wabas: number;
  /** Variants Meta listed. */
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Variants Meta no longer lists, now marked DELETED (never removed: their history stays). */
  deleted: number;
  failures: SyncFailure[];
};

/** A listed template, read loosely (graph-template-list-page.json). */
const RemoteTemplate = z.looseObject({
  id: z.union([z.string(), z.number()]).transform(String),
  name: z.string(),
  language: z.string(),
  status: z.string(),
  category: z.string().optional(),
  parameter_format: z.string().optional(),
  components: z.array(z.unknown()).optional(),
  quality_score: z.looseObject({ score: z.string().optional() }).optional(),
  rejected_reason: z.string().optional(),
});

type Remote = {
  id: string;
  name: string;
  language: string;
  status: string;
  category: string | null;
  parameterFormat: ParameterFormat;
  components: TemplateComponent[];
  quality: string | null;
  rejectionReason: string | null;
};

const MAX_PAGES = 10_000;
const key = (t: { name: string; language: string }) => `${t.name}\u0000${t.language}`;

function toRemote(item: unknown): Remote | null {
  const parsed = RemoteTemplate.safeParse(item);
  if (!parsed.success) return null;
  const t = parsed.data;
  return {
    id: t.id,
    name: t.name,
    language: t.language,
    status: t.status.toUpperCase(),
    category: t.category?.toUpperCase() ?? null,
    parameterFormat: parameterFormatOf(t.parameter_format),
    components: readComponents(t.components ?? []),
    quality: t.quality_score?.score?.toUpperCase() ?? null,
    rejectionReason: t.rejected_reason && t.rejected_reason !== 'NONE' ? t.rejected_reason : null,
  };
}

export function describeGraphFailure(failure: GraphFailure): string {
  switch (failure.kind) {
    case 'meta':
      return `Meta answered ${failure.code}: ${failure.title}${failure.details ? ` (${failure.details})` : ''}`;
    case 'http':
      return `Meta answered HTTP ${failure.httpStatus}`;
    case 'network':
      return `Meta could not be reached (${failure.message})`;
    case 'timeout':
      return `Meta did not answer in time (${failure.message})`;
  }
}

/** Every page of the WABA's catalogue, following `paging.cursors.after` while Meta gives a `next`. */
async function fetchAll(api: TemplateManagementApi, wabaId: string, token: string, pageSize: number): Promise<{ ok: true; templates: Remote[] } | { ok: false; failure: SyncFailure }> {
  const byKey = new Map<string, Remote>();
  const cursors = new Set<string>();
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await api.listTemplates(wabaId, token, after, pageSize);
    if (!result.ok) {
      const code = result.error.kind === 'meta' && result.error.code === 190 ? 'WHATSAPP_TOKEN_EXPIRED' : 'TEMPLATE_SYNC_FAILED';
      return { ok: false, failure: { wabaId, code, message: describeGraphFailure(result.error) } };
    }
    for (const item of result.value.data) {
      const remote = toRemote(item);
      if (remote) byKey.set(key(remote), remote);
    }
    const next = result.value.paging?.next;
    if (!next) return { ok: true, templates: [...byKey.values()] };
    const cursor = result.value.paging?.cursors?.after ?? afterOf(next);
    // A `next` without a new cursor would loop for ever; a partial list must not mark anything deleted.
    if (!cursor || cursors.has(cursor)) return { ok: false, failure: { wabaId, code: 'TEMPLATE_SYNC_FAILED', message: 'Meta gave a next page without a new cursor' } };
    cursors.add(cursor);
    after = cursor;
  }
  return { ok: false, failure: { wabaId, code: 'TEMPLATE_SYNC_FAILED', message: `more than ${MAX_PAGES} pages` } };
}

function afterOf(next: string): string | undefined {
  try {
    return new URL(next).searchParams.get('after') ?? undefined;
  } catch {
    return undefined;
  }
}

type Outcome = 'created' | 'updated' | 'unchanged';

/**
 * Brings one variant in line with Meta's listing. A status that changed after the sync started
 * (a webhook applied meanwhile) is newer than the listing and is kept.
 */
async function reconcile(exec: DbExecutor, wabaId: string, remote: Remote, existing: StoredTemplate | undefined, startedAt: number, deps: SyncTemplatesDeps): Promise<Outcome> {
  const now = deps.clock.now();
  if (!existing) {
    const inserted = await templateRepository.insertIfAbsent(exec, {
      id: deps.ids.next(),
      metaTemplateId: remote.id,
      wabaId,
      name: remote.name,
      language: remote.language,
      category: remote.category ?? 'UNKNOWN',
      status: remote.status,
      quality: remote.quality,
      parameterFormat: remote.parameterFormat,
      components: remote.components,
      rejectionReason: remote.rejectionReason,
      statusChangedAt: startedAt,
      syncedAt: now,
      createdAt: now,
    });
    const row = await templateRepository.findVariant(exec, wabaId, remote.name, remote.language);
    if (!inserted) return reconcile(exec, wabaId, remote, row, startedAt, deps);
    await recordTemplateEvent(exec, deps, { templateId: row!.id, kind: 'created', previousValue: null, newValue: remote.status, source: 'sync', occurredAt: startedAt });
    return 'created';
  }

  const event = (kind: 'synced' | 'content' | 'status' | 'category' | 'quality', previousValue: string | null, newValue: string | null, reason?: string) =>
    recordTemplateEvent(exec, deps, { templateId: existing.id, kind, previousValue, newValue, reason: reason ?? null, source: 'sync', occurredAt: startedAt });

  const patch: TemplatePatch = { syncedAt: now };
  let changed = false;
  const stub = existing.syncedAt === null;
  const contentChanged = JSON.stringify(existing.components) !== JSON.stringify(remote.components) || existing.parameterFormat !== remote.parameterFormat;
  if (contentChanged || existing.metaTemplateId !== remote.id) {
    Object.assign(patch, { components: remote.components, parameterFormat: remote.parameterFormat, metaTemplateId: remote.id });
    changed = true;
  }
  if (stub) {
    // A webhook created this variant with what it knew; the listing completes it in one event.
    Object.assign(patch, { category: remote.category ?? existing.category, ...(remote.quality ? { quality: remote.quality } : {}) });
    changed = true;
    await event('synced', null, remote.status, 'completed from the catalogue');
  } else {
    if (contentChanged) await event('content', null, null, 'the components or parameter format changed at Meta');
    if (remote.category && remote.category !== existing.category) {
      const latest = await templateRepository.latestEventAt(exec, existing.id, 'category');
      if (latest === null || latest <= startedAt) {
        patch.category = remote.category;
        changed = true;
        await event('category', existing.category, remote.category);
      }
    }
    if (remote.quality && remote.quality !== existing.quality) {
      const latest = await templateRepository.latestEventAt(exec, existing.id, 'quality');
      if (latest === null || latest <= startedAt) {
        patch.quality = remote.quality;
        changed = true;
        await event('quality', existing.quality, remote.quality);
      }
    }
  }
  if (remote.status !== existing.status && (existing.statusChangedAt === null || existing.statusChangedAt <= startedAt)) {
    Object.assign(patch, { status: remote.status, statusChangedAt: startedAt, rejectionReason: remote.status === 'REJECTED' ? (remote.rejectionReason ?? existing.rejectionReason) : null });
    changed = true;
    await event('status', existing.status, remote.status, remote.status === 'REJECTED' ? (remote.rejectionReason ?? undefined) : undefined);
  }
  await templateRepository.update(exec, existing.id, patch, now);
  return changed ? 'updated' : 'unchanged';
}

/**
 * Full sync of `/{waba-id}/message_templates` for every configured WABA: every page is fetched
 * first (no transaction is held while Meta answers), then the catalogue is reconciled in one
 * transaction per WABA. A WABA whose listing failed is left as it was and reported.
 */
export async function syncTemplates(deps: SyncTemplatesDeps, options: { wabaId?: string | undefined } = {}): Promise<SyncCounts> {
  const counts: SyncCounts = { wabas: 0, fetched: 0, created: 0, updated: 0, unchanged: 0, deleted: 0, failures: [] };
  const chosen = new Map<string, BusinessNumber>();
  for (const number of await deps.numbers.list()) {
    if (!number.wabaId || (options.wabaId !== undefined && number.wabaId !== options.wabaId)) continue;
    const current = chosen.get(number.wabaId);
    // One call per WABA, with the token of a number whose token still works if there is one.
    if (!current || (current.tokenExpiredAt !== null && number.tokenExpiredAt === null)) chosen.set(number.wabaId, number);
  }

  for (const [wabaId, { accessToken: token }] of chosen) {
    const startedAt = deps.clock.now();
    const listing = await fetchAll(deps.api, wabaId, token, deps.syncPageSize ?? 100);
    if (!listing.ok) {
      counts.failures.push(listing.failure);
      continue;
    }
    counts.wabas += 1;
    counts.fetched += listing.templates.length;
    await deps.db.transaction().execute(async (trx) => {
      const existing = new Map((await templateRepository.list(trx, { wabaId })).map((t) => [key(t), t]));
      for (const remote of listing.templates) {
        counts[await reconcile(trx, wabaId, remote, existing.get(key(remote)), startedAt, deps)] += 1;
      }
      const listed = new Set(listing.templates.map(key));
      for (const row of existing.values()) {
        if (listed.has(key(row)) || row.status === 'DELETED') continue;
        // Created or changed after the listing was asked for: the listing cannot speak for it.
        if (row.createdAt > startedAt || (row.statusChangedAt !== null && row.statusChangedAt > startedAt)) continue;
        await templateRepository.update(trx, row.id, { status: 'DELETED', statusChangedAt: startedAt }, deps.clock.now());
        await recordTemplateEvent(trx, deps, { templateId: row.id, kind: 'status', previousValue: row.status, newValue: 'DELETED', reason: 'no longer listed by Meta', source: 'sync', occurredAt: startedAt });
        counts.deleted += 1;
      }
    });
  }
  return counts;
}
