import type { Transaction } from 'kysely';
import type { Database, Db, DbExecutor } from '../../db/database.js';
import type { GroupTransaction } from '../../db/group-transaction.js';
import { inTransaction } from '../../db/transaction.js';
import type { Clock } from '../../platform/clock.js';
import { AppError, err, ok, type Result } from '../../platform/errors.js';
import type { IdGenerator } from '../../platform/ids.js';
import { consentCategoryOf, consentDecision, type ConsentPolicy } from '../consent/index.js';
import type { EventPublisher } from '../events/index.js';
import { contactRepository, findOrCreateContactByBsuid, findOrCreateContactByPhone, type Contact } from '../contacts/index.js';
import type { BusinessNumber, NumberDirectory } from '../numbers/index.js';
import { reapplyErasureTombstone } from '../privacy/index.js';
import { prepareTemplateSend } from '../templates/index.js';
import { lastInbound, lastInboundAt, recordOutboundQueued, type LastInbound } from '../timeline/index.js';
import { messageCategory, timelineText, toGraphMessage, type OutboundRequest } from './core/outbound-request.js';
import { needsServiceWindow, serviceWindow } from './core/service-window.js';
import { messageView, type MessageView } from './message-view.js';
import { outboxRepository, type OutboxRow } from './outbox.repository.js';
import { readMessageView } from './read-message-view.js';

export type QueueMessageDeps = {
  db: Db;
  clock: Clock;
  ids: IdGenerator;
  numbers: NumberDirectory;
  defaultRegion: string | undefined;
  /** Wakes the sender once the message is committed. */
  onQueued: () => void;
  consentPolicy: ConsentPolicy;
  /** Salt of erasure tombstones; null when erasure is not configured. */
  privacySalt: string | null;
  templateDefaultLanguage: string;
  templateTimeZone: string;
  /** Tells subscribers (CRM sync, the inbox) about the queued message, in its transaction. */
  publish?: EventPublisher;
  /** Concurrent requests share one commit; without it each request commits on its own. */
  transactions?: GroupTransaction;
};

type Prepared = { graphMessage: Record<string, unknown>; category: string; text: string | null };

/**
 * What will be sent. A template is checked against the synced catalogue (exists, approved, not
 * paused; the contact's language variant; every parameter filled from the request or the
 * contact's fields) so that Meta never sees a send it would refuse.
 */
async function prepare(exec: DbExecutor, request: OutboundRequest, contact: Contact, number: BusinessNumber, deps: QueueMessageDeps): Promise<Result<Prepared>> {
  const graphMessage = toGraphMessage(request);
  if (request.type !== 'template') return ok({ graphMessage, category: messageCategory(request), text: timelineText(request) });
  const { name, language, parameters, mapping, components } = request.template;
  const prepared = await prepareTemplateSend(exec, {
    wabaId: number.wabaId,
    contact,
    // A bare list is the body's positional values, the common case.
    template: { name, language: typeof language === 'object' ? language.code : language, parameters: Array.isArray(parameters) ? { body: parameters } : parameters, mapping, components },
    defaultLocale: deps.templateDefaultLanguage,
    timeZone: deps.templateTimeZone,
  });
  if (!prepared.ok) return prepared;
  return ok({
    graphMessage: { ...graphMessage, template: prepared.value.graphTemplate },
    category: prepared.value.category,
    text: prepared.value.preview?.body ?? name,
  });
}

async function resolveTarget(exec: DbExecutor, request: OutboundRequest, deps: QueueMessageDeps): Promise<Result<Contact>> {
  if (request.contactId !== undefined) {
    const contact = await contactRepository.findById(exec, request.contactId);
    return contact ? ok(contact) : err(new AppError('CONTACT_NOT_FOUND', `No contact ${request.contactId}.`));
  }
  if (request.bsuid !== undefined) return ok(await findOrCreateContactByBsuid(exec, request.bsuid, deps));
  return findOrCreateContactByPhone(exec, request.to!, deps);
}

/**
 * The sending number: the one asked for, else the one the contact last wrote to (`latest`, read
 * only when no number is asked for), else the first configured. `numbers` is read before the
 * transaction: on SQLite a second query outside it would wait for the connection it holds.
 */
function chooseNumber(request: OutboundRequest, latest: LastInbound | null | undefined, numbers: BusinessNumber[]): Result<BusinessNumber> {
  const byId = (id: string) => numbers.find((n) => n.phoneNumberId === id);
  if (request.from !== undefined) {
    const number = byId(request.from);
    return number ? ok(number) : err(new AppError('NUMBER_NOT_FOUND', `No WhatsApp number ${request.from} is configured.`));
  }
  const number = (latest ? byId(latest.businessPhoneNumberId) : undefined) ?? numbers[0];
  return number
    ? ok(number)
    : err(new AppError('NUMBER_NOT_CONFIGURED', 'No WhatsApp number is configured: set WHATSAPP_PHONE_NUMBER_ID and WHATSAPP_ACCESS_TOKEN, or add one with `switchboard numbers add`.'));
}

/**
 * When the contact last wrote to `phoneNumberId`, for its 24-hour window. `latest` (their newest
 * message to any number, when it was read to choose the number) answers without a second query
 * when it is to this number, or when there is none at all.
 */
async function lastInboundTo(exec: DbExecutor, contactId: string, phoneNumberId: string, latest: LastInbound | null | undefined): Promise<number | null> {
  if (latest === null) return null;
  if (latest?.businessPhoneNumberId === phoneNumberId) return latest.at;
  return lastInboundAt(exec, contactId, phoneNumberId);
}

/** Whom Meta should deliver to: the wa_id WhatsApp uses, else the phone, else the BSUID. */
function recipientOf(contact: Contact): { recipient: string; kind: 'phone' | 'bsuid' } | null {
  if (contact.waId) return { recipient: contact.waId, kind: 'phone' };
  if (contact.phone) return { recipient: contact.phone.slice(1), kind: 'phone' };
  if (contact.bsuid) return { recipient: contact.bsuid, kind: 'bsuid' };
  return null;
}

async function findByKey(request: OutboundRequest, deps: QueueMessageDeps): Promise<MessageView | undefined> {
  if (request.idempotencyKey === undefined) return undefined;
  const key = request.idempotencyKey;
  return readMessageView(deps.db, (exec) => outboxRepository.findByIdempotencyKey(exec, key));
}

/**
 * Accepts a message for sending: checks what Meta would refuse (the 24-hour window for free-form
 * messages), stores it in the outbox with its timeline entry in one transaction, and wakes the
 * sender. The same idempotency key always answers with the message it first created.
 */
export async function queueMessage(request: OutboundRequest, deps: QueueMessageDeps): Promise<Result<{ message: MessageView; replayed: boolean }>> {
  const earlier = await findByKey(request, deps);
  if (earlier) return ok({ message: earlier, replayed: true });

  const numbers = await deps.numbers.list();
  const transaction = <T>(work: (trx: Transaction<Database>) => Promise<Result<T>>) => (deps.transactions ? deps.transactions.run(work) : inTransaction(deps.db, work));
  const queued = await transaction(async (trx): Promise<Result<OutboxRow | { replayedBy: MessageView }>> => {
    const contact = await resolveTarget(trx, request, deps);
    if (!contact.ok) return contact;
    const latest = request.from === undefined ? await lastInbound(trx, contact.value.id) : undefined;
    const number = chooseNumber(request, latest, numbers);
    if (!number.ok) return number;
    const recipient = recipientOf(contact.value);
    if (!recipient) return err(new AppError('CONTACT_UNREACHABLE', 'The contact has no phone number and no BSUID to send to.'));

    const prepared = await prepare(trx, request, contact.value, number.value, deps);
    if (!prepared.ok) return prepared;
    const { graphMessage, category, text } = prepared.value;

    // A send by phone can recreate a person erased earlier: their opt-out comes back first.
    if (deps.privacySalt) await reapplyErasureTombstone(trx, contact.value, { salt: deps.privacySalt }, deps);
    const consent = await consentDecision(trx, {
      contactId: contact.value.id,
      businessPhoneNumberId: number.value.phoneNumberId,
      category: consentCategoryOf(category),
      policy: deps.consentPolicy,
    });
    if (!consent.allowed) return err(new AppError(consent.code, consent.message, consent.details));

    const now = deps.clock.now();
    if (needsServiceWindow(request.type)) {
      const window = serviceWindow(await lastInboundTo(trx, contact.value.id, number.value.phoneNumberId, latest), now);
      if (!window.open) {
        return err(
          new AppError('WINDOW_CLOSED', 'The 24-hour customer-service window is closed: only an approved template can be sent now.', {
            hint: 'Send type "template" with an approved template.',
            lastInboundAt: window.lastInboundAt === null ? null : new Date(window.lastInboundAt).toISOString(),
            closedAt: window.closesAt === null ? null : new Date(window.closesAt).toISOString(),
          }),
        );
      }
    }

    const id = deps.ids.next();
    const row: OutboxRow = {
      id,
      idempotency_key: request.idempotencyKey ?? null,
      contact_id: contact.value.id,
      business_phone_number_id: number.value.phoneNumberId,
      recipient: recipient.recipient,
      recipient_kind: recipient.kind,
      type: request.type,
      category,
      body: JSON.stringify(graphMessage),
      state: 'queued',
      attempts: 0,
      pair_attempts: 0,
      next_attempt_at: now,
      lease_until: null,
      wamid: null,
      message_status: null,
      error_code: null,
      error_message: null,
      created_at: now,
      updated_at: now,
    };
    await outboxRepository.insert(trx, row);
    await recordOutboundQueued(trx, {
      id,
      contactId: contact.value.id,
      businessPhoneNumberId: number.value.phoneNumberId,
      type: request.type,
      text,
      content: graphMessage,
      queuedAt: now,
    });
    await deps.publish?.(trx, [
      {
        type: 'message.queued',
        id: `message.queued:${id}`,
        contactId: contact.value.id,
        messageId: id,
        businessPhoneNumberId: number.value.phoneNumberId,
        messageType: request.type,
        text,
        templateName: request.type === 'template' ? request.template.name : null,
        occurredAt: now,
      },
    ]);
    return ok(row);
  }).catch(async (error: unknown) => {
    // Two requests with one idempotency key raced and the unique key refused the loser:
    // it answers with the winner's message.
    const winner = await findByKey(request, deps);
    if (winner) return ok({ replayedBy: winner });
    throw error;
  });

  if (!queued.ok) return queued;
  if ('replayedBy' in queued.value) return ok({ message: queued.value.replayedBy, replayed: true });
  // The answer is what was stored: read back after waking the sender, it could already say "sending".
  const message = messageView(queued.value, undefined);
  deps.onQueued();
  return ok({ message, replayed: false });
}
