import { z } from 'zod';
import type { JobContext, JobDefinition } from '../../../jobs/job-definition.js';
import { contactRepository, type Contact } from '../../contacts/index.js';
import type { CrmActivityInput, CrmConnector, CrmPersonInput } from '../crm-connector.js';
import { CrmError } from '../crm-error.js';
import { crmLinksRepository, type CrmLink } from './crm-links.repository.js';
import { CRM_FLUSH, CRM_OUTBOX_REPLAY, crmOutboxRepository, type OutboxItem } from './crm-outbox.repository.js';
import { CRM_RETRY_POLICY, crmRetryDecision } from './crm-retry.js';
import type { CrmSyncDeps } from './crm-sync.deps.js';
import { activityInput, writeConsent } from './crm-sync-work.js';
import { ensureCrmLink, findCrmRecord, newPersonInput, saveCrmLink } from './ensure-crm-link.js';

type Failure = { error: CrmError };
/** The batch methods a connector may have (HubSpot's): per-input results, a throw only when the whole call fails. */
export type BatchCrmConnector = CrmConnector & {
  logActivities(inputs: CrmActivityInput[]): Promise<({ idempotencyKey: string; ok: true } | ({ idempotencyKey: string; ok: false } & Failure))[]>;
  upsertPeople?(inputs: CrmPersonInput[]): Promise<({ switchboardKey: string; ok: true; crmId: string; url?: string | null } | ({ switchboardKey: string; ok: false } & Failure))[]>;
};

export const isBatchConnector = (connector: CrmConnector): connector is BatchCrmConnector => 'logActivities' in connector && typeof connector.logActivities === 'function';

export type FlushOptions = {
  /** Items per claim: the vendor's batch size, or fewer. */
  batchSize?: number;
  /**
   * How long one flush job keeps claiming before it hands over to a fresh one: the worker's round
   * waits for its lease jobs, and the job's lease must outlast it (default 10 s).
   */
  budgetMs?: number;
};

const flushPayload = z.object({ connector: z.string() });
const replayPayload = z.object({ connector: z.string(), seq: z.number().int() });
/** How long claimed items stay invisible to other flushes: a batch that waits out rate limits and searches fits in it. */
const ITEM_LEASE_MS = 5 * 60_000;
const JOB_LEASE_MS = 5 * 60_000;

/**
 * Drains the connector's CRM outbox: claims up to 100 due items (in order per contact), links
 * their contacts (a batch upsert for the new ones when the connector has `upsertPeople`), logs
 * the messages in one `logActivities` call (one `logActivity` each otherwise), writes consent
 * states, deletes what is done, puts retryable failures back at the later of the backoff and the
 * CRM's Retry-After, and dead-letters what can never succeed. It loops while work is due, then
 * leaves a timer job for the next retry, so an outage delays the sync and loses nothing.
 */
export function crmFlushJob(deps: CrmSyncDeps, options: FlushOptions = {}): JobDefinition<typeof flushPayload> {
  const batchSize = options.batchSize ?? (isBatchConnector(deps.connector) ? 100 : 25);
  const budgetMs = options.budgetMs ?? 10_000;
  return {
    name: CRM_FLUSH,
    payload: flushPayload,
    mode: 'lease',
    leaseMs: JOB_LEASE_MS,
    handle: async ({ connector }, ctx) => {
      // Items of another connector (the configuration changed) wait for a process configured for it.
      if (connector !== deps.connector.kind) return;
      const started = performance.now();
      for (;;) {
        const now = deps.clock.now();
        const items = await deps.db.transaction().execute((trx) => crmOutboxRepository.claim(trx, connector, batchSize, now, ITEM_LEASE_MS));
        if (items.length === 0) break;
        await flushBatch(items, deps, ctx);
        if (performance.now() - started > budgetMs) {
          await deps.db.transaction().execute(async (trx) => deps.enqueue(trx, [await crmOutboxRepository.wake(trx, connector, deps.clock.now())]));
          return;
        }
      }
      const next = await crmOutboxRepository.nextWakeAt(deps.db, connector, deps.clock.now());
      if (next !== null) await deps.enqueue(deps.db, [{ name: CRM_FLUSH, payload: { connector }, dedupeKey: `${CRM_FLUSH}:${connector}:at:${next}`, runAt: next }]);
    },
  };
}

/** Revived by `switchboard dlq replay`: the dead item goes back in line with fresh attempts. */
export function crmOutboxReplayJob(deps: CrmSyncDeps): JobDefinition<typeof replayPayload> {
  return {
    name: CRM_OUTBOX_REPLAY,
    payload: replayPayload,
    mode: 'transaction',
    handle: async ({ connector, seq }, ctx) => {
      const now = deps.clock.now();
      if (await crmOutboxRepository.revive(ctx.trx, seq, now)) await deps.enqueue(ctx.trx, [await crmOutboxRepository.wake(ctx.trx, connector, now)]);
    },
  };
}

async function flushBatch(items: OutboxItem[], deps: CrmSyncDeps, ctx: JobContext): Promise<void> {
  const batch = new BatchOutcome(items, deps, ctx);
  try {
    const contacts = new Map<string, Contact>();
    for (const id of new Set(items.map((i) => i.contactId))) {
      const contact = await contactRepository.findById(deps.db, id);
      // Erased since: nothing of theirs goes to the CRM.
      if (contact) contacts.set(id, contact);
      else batch.succeedContact(id);
    }
    const links = await linkContacts([...contacts.values()], deps, batch);
    const activities = batch.open().filter((i) => i.kind === 'activity' && links.has(i.contactId));
    await logActivities(activities, links, deps, batch);
    for (const item of batch.open().filter((i) => i.kind === 'consent' && links.has(i.contactId))) {
      await batch.attempt([item], () => writeConsent(contacts.get(item.contactId)!, links.get(item.contactId)!, item.event, deps));
    }
  } catch (error) {
    // What fails the whole call (an outage, a rate limit, revoked credentials) fails what is left of the batch.
    batch.failOpen(error);
  }
  // An item nobody answered for (a result missing from a batch answer) is tried again, not dropped.
  batch.failOpen(new CrmError('CRM_UNAVAILABLE', 'The CRM did not answer for this item.'));
  await batch.settle();
}

async function linkContacts(contacts: Contact[], deps: CrmSyncDeps, batch: BatchOutcome): Promise<Map<string, CrmLink>> {
  const { connector } = deps;
  const links = new Map<string, CrmLink>();
  const toCreate: Contact[] = [];
  for (const contact of contacts) {
    const link = await crmLinksRepository.byContact(deps.db, connector.kind, contact.id);
    if (link) {
      links.set(contact.id, link);
      continue;
    }
    const upsertPeople = isBatchConnector(connector) ? connector.upsertPeople?.bind(connector) : undefined;
    if (!upsertPeople) {
      await batch.attemptContact(contact.id, async () => links.set(contact.id, (await ensureCrmLink(contact, deps)).link));
      continue;
    }
    await batch.attemptContact(contact.id, async () => {
      const found = await findCrmRecord(contact, deps);
      if (found) links.set(contact.id, (await saveCrmLink(contact, found.person, found.how, deps)).link);
      else toCreate.push(contact);
    });
  }
  if (toCreate.length > 0 && isBatchConnector(connector) && connector.upsertPeople) {
    // Upserts on our key: however often this runs (a crash before the links are saved), one record per contact.
    const results = await connector.upsertPeople(toCreate.map(newPersonInput));
    for (const [index, result] of results.entries()) {
      const contact = toCreate[index]!;
      if (result.ok) links.set(contact.id, (await saveCrmLink(contact, { crmId: result.crmId, url: result.url ?? null }, 'created', deps)).link);
      else await batch.failContact(contact.id, result.error);
    }
  }
  return links;
}

async function logActivities(items: OutboxItem[], links: Map<string, CrmLink>, deps: CrmSyncDeps, batch: BatchOutcome): Promise<void> {
  const inputs = items.flatMap((item) => {
    const input = activityInput(item.event, links.get(item.contactId)!.crmId);
    if (!input) batch.succeed(item);
    return input ? [{ item, input }] : [];
  });
  if (inputs.length === 0) return;
  const { connector } = deps;
  if (!isBatchConnector(connector)) {
    for (const { item, input } of inputs) await batch.attempt([item], () => connector.logActivity(input).then(() => undefined));
    return;
  }
  const results = await connector.logActivities(inputs.map((i) => i.input));
  for (const [index, result] of results.entries()) {
    const { item } = inputs[index]!;
    if (result.ok) batch.succeed(item);
    else await batch.fail(item, result.error);
  }
}

/** What becomes of each claimed item: done (deleted), again later, or dead. */
class BatchOutcome {
  private readonly done = new Set<number>();
  private readonly settled = new Set<number>();
  private readonly unlinked = new Set<string>();
  private pendingFailure: CrmError | null = null;

  constructor(
    private readonly items: OutboxItem[],
    private readonly deps: CrmSyncDeps,
    private readonly ctx: JobContext,
  ) {}

  open(): OutboxItem[] {
    return this.items.filter((i) => !this.settled.has(i.seq));
  }

  succeed(item: OutboxItem): void {
    this.settled.add(item.seq);
    this.done.add(item.seq);
  }

  succeedContact(contactId: string): void {
    for (const item of this.open()) if (item.contactId === contactId) this.succeed(item);
  }

  /** Runs work for these items; a CrmError about them fails them alone, anything else the batch. */
  async attempt(items: OutboxItem[], work: () => Promise<void>): Promise<void> {
    try {
      await work();
      for (const item of items) this.succeed(item);
    } catch (error) {
      if (!isItemError(error)) throw error;
      for (const item of items) await this.fail(item, error);
    }
  }

  async attemptContact(contactId: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (!isItemError(error)) throw error;
      await this.failContact(contactId, error);
    }
  }

  async failContact(contactId: string, error: CrmError): Promise<void> {
    for (const item of this.open()) if (item.contactId === contactId) await this.fail(item, error);
  }

  async fail(item: OutboxItem, error: CrmError): Promise<void> {
    this.settled.add(item.seq);
    const now = this.deps.clock.now();
    // The record was deleted in the CRM after we linked it: link again (found by phone or created) at once.
    if (error.code === 'CRM_NOT_FOUND' && item.attempts + 1 < CRM_RETRY_POLICY.maxAttempts) {
      if (!this.unlinked.has(item.contactId)) await crmLinksRepository.unlink(this.deps.db, this.deps.connector.kind, item.contactId);
      this.unlinked.add(item.contactId);
      await crmOutboxRepository.reschedule(this.deps.db, item.seq, { attempts: item.attempts + 1, runAt: now, error: `${error.code}: ${error.message}` });
      return;
    }
    const decision = crmRetryDecision(error, { generation: item.attempts, now, random: this.deps.random ?? Math.random });
    if (decision.kind === 'again') {
      await crmOutboxRepository.reschedule(this.deps.db, item.seq, { attempts: item.attempts + 1, runAt: decision.runAt, error: decision.reason });
      return;
    }
    this.ctx.log.warn({ seq: item.seq, eventId: item.event.id, reason: decision.reason }, 'CRM sync item dead-lettered');
    await this.deps.db.transaction().execute((trx) => crmOutboxRepository.kill(trx, item, decision.reason, now, this.deps.ids));
  }

  /**
   * Fails every item still open when the batch settles with `error` (the first one given); an
   * unexpected error counts as an outage, so it is retried, then dead-lettered.
   */
  failOpen(error: unknown): void {
    if (this.pendingFailure) return;
    if (!(error instanceof CrmError)) this.ctx.log.error({ err: error }, 'CRM sync batch failed');
    this.pendingFailure = error instanceof CrmError ? error : new CrmError('CRM_UNAVAILABLE', error instanceof Error ? error.message : String(error));
  }

  async settle(): Promise<void> {
    const open = this.open();
    if (this.pendingFailure && open.length > 0) {
      this.ctx.log.warn({ items: open.length, reason: `${this.pendingFailure.code}: ${this.pendingFailure.message}` }, 'CRM sync postponed');
      for (const item of open) await this.fail(item, this.pendingFailure);
    }
    await crmOutboxRepository.remove(this.deps.db, [...this.done]);
  }
}

/** Errors about one input (a rejected record, a deleted one) rather than the whole call. */
const isItemError = (error: unknown): error is CrmError => error instanceof CrmError && (error.code === 'CRM_REJECTED' || error.code === 'CRM_NOT_FOUND');
