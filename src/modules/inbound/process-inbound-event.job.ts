import { z } from 'zod';
import type { DbExecutor } from '../../db/database.js';
import type { JobDefinition, NewJob } from '../../jobs/job-definition.js';
import type { Logger } from '../../platform/logger.js';
import type { DomainEventOf, EventPublisher } from '../events/index.js';
import { applyConsentKeyword, keywordTextOf, recordConsentChange, type KeywordMatcher } from '../consent/index.js';
import { changeContactBsuid, changeContactNumber, resolveContact, type ContactsDeps } from '../contacts/index.js';
import { recordInboundMedia } from '../media/index.js';
import { confirmSendFromStatus, MARK_AS_READ } from '../outbound/index.js';
import { reapplyErasureTombstone } from '../privacy/index.js';
import { applyTemplateWebhook, isTemplateWebhookField } from '../templates/index.js';
import {
  messageRepository,
  recordEchoedMessage,
  recordInboundMessage,
  recordNumberChangeNotice,
  recordReaction,
  recordStatus,
  type TimelineDeps,
} from '../timeline/index.js';
import type { InboundEvent, MessageReceived, UserIdentity } from './core/inbound-event.js';
import { parseWebhookEnvelope, toInboundEvents } from './core/parse-webhook.js';
import { inboxRepository } from './inbox.repository.js';

export const PROCESS_INBOUND_EVENT = 'inbound.process';

/**
 * The job that processes one stored webhook body. It carries no unique key (a body is stored once,
 * and only then gets its job: InboxWriter); erasure and retention find it by its stored payload,
 * which is exactly `{"eventId":"…"}` (SqlJobQueue stores `JSON.stringify(payload)`).
 */
export const inboundJob = (eventId: string): NewJob => ({ name: PROCESS_INBOUND_EVENT, payload: { eventId } });

/** Meta's error for a marketing message to a user who stopped them. */
const META_USER_STOPPED_MARKETING = 131050;

export type InboundDeps = ContactsDeps &
  TimelineDeps & {
    /** Enqueues follow-up jobs (media downloads, read receipts) in the same transaction. */
    enqueue: (exec: DbExecutor, jobs: NewJob[]) => Promise<void>;
    /** Send Meta a read receipt for every inbound message (setting MARK_INBOUND_AS_READ). */
    markInboundAsRead: boolean;
    /** Opt-out / opt-in keywords (built-in plus configured). */
    keywordMatcher: KeywordMatcher;
    /** Salt of erasure tombstones; null when erasure is not configured (no tombstones exist then). */
    privacySalt: string | null;
    /** Called after a keyword changed someone's consent (a confirmation reply, …); runs in the same transaction. */
    onConsentKeyword?: (exec: DbExecutor, change: { contactId: string; businessPhoneNumberId: string | null; action: 'opt_out' | 'opt_in'; wamid: string }) => Promise<void>;
    /** Tells subscribers (CRM sync, automation, the inbox) what happened, in the event's transaction. */
    publish?: EventPublisher;
  };

/** A tap on a button or a list row, as automation matches it. */
function replyOf(content: MessageReceived['content']): DomainEventOf<'message.received'>['reply'] {
  if (content?.type === 'button_reply') return { kind: 'button', payload: content.id, title: content.title };
  if (content?.type === 'list_reply') return { kind: 'list', payload: content.id, title: content.title };
  if (content?.type === 'quick_reply') return { kind: 'quick_reply', payload: content.payload, title: content.text };
  return null;
}

const observed = (identity: UserIdentity) => ({ waId: identity.waId, bsuid: identity.bsuid, profileName: identity.profileName });

/** Applies one domain event. Every branch is idempotent: replaying the whole inbox gives the same state. */
export async function applyInboundEvent(exec: DbExecutor, event: InboundEvent, deps: InboundDeps, log: Logger): Promise<void> {
  switch (event.kind) {
    case 'message_received': {
      const contact = await resolveContact(exec, observed(event.from), deps);
      // Someone erased earlier who writes again: their opt-out comes back with them.
      if (deps.privacySalt) await reapplyErasureTombstone(exec, contact, { salt: deps.privacySalt }, deps);
      // Subscribers hear of a message once: when it is first recorded (a replay adds nothing).
      const isNew = await recordInboundMessage(exec, event, contact.id, deps);
      const phoneNumberId = event.business?.phoneNumberId ?? null;
      // STOP takes effect in this transaction, before anything else reacts to the message.
      const keyword = await applyConsentKeyword(
        exec,
        { contact, businessPhoneNumberId: phoneNumberId, text: keywordTextOf(event), wamid: event.wamid, timestamp: event.timestamp },
        { clock: deps.clock, ids: deps.ids, matcher: deps.keywordMatcher, ...(deps.publish ? { publish: deps.publish } : {}) },
      );
      if (keyword) await deps.onConsentKeyword?.(exec, { contactId: contact.id, businessPhoneNumberId: phoneNumberId, action: keyword.action, wamid: event.wamid });
      if (event.media) {
        await recordInboundMedia(exec, { media: event.media, wamid: event.wamid, contactId: contact.id, businessPhoneNumberId: phoneNumberId }, deps.enqueue, deps);
      }
      if (deps.markInboundAsRead && phoneNumberId) {
        await deps.enqueue(exec, [{ name: MARK_AS_READ, payload: { phoneNumberId, wamid: event.wamid }, dedupeKey: `${MARK_AS_READ}:${event.wamid}` }]);
      }
      if (!isNew) return;
      await deps.publish?.(exec, [
        {
          type: 'message.received',
          id: `message.received:${event.wamid}`,
          contactId: contact.id,
          wamid: event.wamid,
          businessPhoneNumberId: phoneNumberId,
          messageType: event.type,
          text: event.text ?? event.media?.caption ?? null,
          reply: replyOf(event.content),
          quotedWamid: event.context?.quotedWamid ?? null,
          occurredAt: event.timestamp,
        },
      ]);
      return;
    }
    case 'reaction_changed': {
      const contact = await resolveContact(exec, observed(event.from), deps);
      await recordReaction(exec, event, contact.id, deps);
      return;
    }
    case 'status_changed': {
      let entry = await messageRepository.findStatusTarget(exec, event.wamid);
      // A status can be the first news that one of our sends went out (its answer was lost).
      if (await confirmSendFromStatus(exec, event, deps.clock.now(), entry)) entry = await messageRepository.findStatusTarget(exec, event.wamid);
      const applied = await recordStatus(exec, event, async () => (await resolveContact(exec, observed(event.recipient), deps)).id, deps, entry);
      if (deps.publish && applied && event.status !== null) {
        await deps.publish(exec, [
          {
            type: 'message.status',
            id: `message.status:${event.wamid}:${event.status}`,
            contactId: applied.contact_id,
            wamid: event.wamid,
            outboundMessageId: null,
            businessPhoneNumberId: applied.business_phone_number_id,
            status: event.status,
            errors: event.errors.map((e) => ({ code: e.code, title: e.title })),
            occurredAt: event.timestamp,
          },
        ]);
      }
      // Meta usually reports "the user stopped marketing messages" (131050) this way, after accepting the send.
      if (event.status === 'failed' && event.errors.some((e) => e.code === META_USER_STOPPED_MARKETING)) {
        const message = applied ?? entry ?? (await messageRepository.findStatusTarget(exec, event.wamid));
        if (message) {
          await recordConsentChange(
            exec,
            {
              contactId: message.contact_id,
              businessPhoneNumberId: message.business_phone_number_id,
              category: 'marketing',
              action: 'opt_out',
              source: 'meta_error_131050',
              evidence: event.wamid,
              occurredAt: event.timestamp,
            },
            deps,
          );
        }
      }
      return;
    }
    case 'user_changed_number': {
      const contact = await changeContactNumber(
        exec,
        { from: observed(event.from), newWaId: event.newWaId, newBsuid: event.newBsuid },
        (trx, fromId, toId) => messageRepository.moveToContact(trx, fromId, toId),
        deps,
      );
      await recordNumberChangeNotice(exec, event, contact.id, deps);
      return;
    }
    case 'bsuid_changed':
      await changeContactBsuid(exec, event.previousBsuid, event.currentBsuid, deps);
      return;
    case 'message_echoed': {
      const contact = await resolveContact(exec, observed(event.to), deps);
      await recordEchoedMessage(exec, event, contact.id, deps);
      return;
    }
    case 'webhook_error':
      log.warn({ errors: event.errors, wabaId: event.wabaId }, 'Meta reported a webhook error');
      return;
    case 'marketing_preference_changed': {
      // The user stopped or resumed marketing messages in WhatsApp itself.
      if (event.value !== 'stop' && event.value !== 'resume') return;
      const contact = await resolveContact(exec, observed(event.user), deps);
      await recordConsentChange(
        exec,
        {
          contactId: contact.id,
          businessPhoneNumberId: event.business?.phoneNumberId ?? null,
          category: 'marketing',
          action: event.value === 'stop' ? 'opt_out' : 'opt_in',
          source: 'user_preferences',
          evidence: event.detail,
          occurredAt: event.timestamp,
        },
        deps,
      );
      return;
    }
    case 'field_update':
      // Template status, category and quality changes keep the catalogue current; other fields stay raw in the inbox.
      if (isTemplateWebhookField(event.field)) await applyTemplateWebhook(exec, event, deps);
      return;
  }
}

export function processInboundEventJob(deps: InboundDeps): JobDefinition<z.ZodObject<{ eventId: z.ZodString }>> {
  return {
    name: PROCESS_INBOUND_EVENT,
    payload: z.object({ eventId: z.string() }),
    async handle({ eventId }, { trx, log }) {
      const stored = await inboxRepository.get(trx, eventId);
      if (!stored) throw new Error(`inbox event ${eventId} does not exist`);
      const envelope = parseWebhookEnvelope(JSON.parse(stored.body));
      // Ingestion only stores envelopes that parsed; failing here means the parser changed since.
      if (!envelope.ok) throw new Error(`stored event no longer parses: ${envelope.message}`);
      for (const event of toInboundEvents(envelope.envelope)) await applyInboundEvent(trx, event, deps, log);
    },
  };
}
