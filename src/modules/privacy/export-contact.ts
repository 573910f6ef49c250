import type { DbExecutor } from '../../db/database.js';
import type { Clock } from '../../platform/clock.js';
import { AppError, err, ok, type Result } from '../../platform/errors.js';
import { getConsent, type ConsentView } from '../consent/index.js';
import { extractPerson } from './core/mentions.js';
import { collectPersonData, deadLettersMentioning, inboxEventsMentioning, iso, parseJson } from './person-data.js';
import { relatedRecords, type RelatedRecords } from './related-records.js';

export const EXPORT_FORMAT = 'switchboard.contact-export';

/** How the raw inbox was searched, written into every export so the person can judge it. */
export const INBOX_SEARCH_METHOD =
  'Raw webhook bodies (inbox_events.body) and dead letters were searched for each identifier listed ' +
  '(phone digits, wa_ids and BSUIDs the contact has had, including those on their own messages), as a ' +
  'whole token. From a body that batches several people, only the records (messages, statuses, ' +
  'contacts, preferences) that mention this person are included.';

export type ExportDeps = {
  clock: Clock;
  /** Where the API serves a media file's bytes, by WhatsApp's media id. */
  mediaPathPrefix?: string;
};

export type ContactExport = {
  format: typeof EXPORT_FORMAT;
  version: 1;
  exportedAt: string;
  contact: Record<string, unknown>;
  timeline: Record<string, unknown>[];
  reactions: Record<string, unknown>[];
  media: Record<string, unknown>[];
  consent: ConsentView;
  outboundMessages: Record<string, unknown>[];
  inboxEvents: { id: string; receivedAt: string | null; fields: string; body: unknown }[];
  deadLetters: Record<string, unknown>[];
  auditLog: Record<string, unknown>[];
  /** Conversations (with notes and hand-overs), inbox tags, the built-in CRM's data and links, automation runs. */
  related: RelatedRecords;
  search: { identifiers: string[]; method: string };
};

/**
 * Everything held about one person, as one JSON document (GDPR access and portability): the
 * contact, their timeline (every message with its status history and reactions), their media
 * (metadata and where the API serves the bytes), the consent ledger and state, the outbox rows,
 * the raw webhook records and dead letters that mention them, the audit entries about them, and
 * what the inbox, the CRM and automation hold about them (`related-records.ts`).
 */
export async function exportContact(exec: DbExecutor, contactId: string, deps: ExportDeps): Promise<Result<ContactExport>> {
  const person = await collectPersonData(exec, contactId);
  if (!person) return err(new AppError('CONTACT_NOT_FOUND', `No contact ${contactId}.`));
  const mediaPath = deps.mediaPathPrefix ?? '/api/v1/media/';
  const { contact } = person;

  const timeline = person.messages.map((m) => ({
    id: m.id,
    wamid: m.wamid,
    direction: m.direction,
    type: m.type,
    text: m.text,
    status: m.status,
    error: m.error_code === null ? null : { code: m.error_code, title: m.error_title, details: m.error_details },
    timestamp: iso(m.wa_timestamp),
    businessPhoneNumberId: m.business_phone_number_id,
    media: parseJson(m.media),
    content: parseJson(m.content),
    context: parseJson(m.context),
    referral: parseJson(m.referral),
    pricing: parseJson(m.pricing),
    raw: parseJson(m.raw),
    statuses: person.statuses
      .filter((s) => s.wamid === m.wamid)
      .map((s) => ({ status: s.status, timestamp: iso(s.wa_timestamp), errors: parseJson(s.errors), pricing: parseJson(s.pricing), receivedAt: iso(s.received_at) })),
    reactions: person.reactions
      .filter((r) => r.target_wamid === m.wamid && r.emoji !== null)
      .map((r) => ({ emoji: r.emoji, by: r.contact_id === contact.id ? 'contact' : 'someone else', timestamp: iso(r.wa_timestamp) })),
  }));

  const inbox = await inboxEventsMentioning(exec, person);
  const deadLetters = await deadLettersMentioning(exec, person);
  const audit = await exec.selectFrom('audit_log').selectAll().where('target_id', '=', contact.id).orderBy('occurred_at').orderBy('id').execute();

  return ok({
    format: EXPORT_FORMAT,
    version: 1,
    exportedAt: iso(deps.clock.now())!,
    contact: {
      id: contact.id,
      name: contact.name,
      phone: contact.phone,
      waId: contact.wa_id,
      bsuid: contact.bsuid,
      profileName: contact.profile_name,
      locale: contact.locale,
      fields: parseJson(contact.fields) ?? {},
      createdAt: iso(contact.created_at),
      updatedAt: iso(contact.updated_at),
    },
    timeline,
    reactions: person.reactions
      .filter((r) => r.contact_id === contact.id)
      .map((r) => ({ targetWamid: r.target_wamid, reactionWamid: r.reaction_wamid, emoji: r.emoji, timestamp: iso(r.wa_timestamp) })),
    media: person.media.map((f) => ({
      id: f.id,
      whatsappMediaId: f.whatsapp_media_id,
      direction: f.contact_id === contact.id ? 'received' : 'sent',
      messageWamid: f.message_wamid,
      mimeType: f.mime_type,
      sha256: f.sha256,
      sizeBytes: f.size_bytes === null ? null : Number(f.size_bytes),
      filename: f.filename,
      state: f.state,
      downloadPath: f.state === 'stored' && f.storage_path ? `${mediaPath}${encodeURIComponent(f.whatsapp_media_id)}` : null,
      createdAt: iso(f.created_at),
    })),
    consent: await getConsent(exec, contact.id),
    outboundMessages: person.outbound.map((o) => ({
      id: o.id,
      idempotencyKey: o.idempotency_key,
      businessPhoneNumberId: o.business_phone_number_id,
      recipient: o.recipient,
      recipientKind: o.recipient_kind,
      type: o.type,
      category: o.category,
      body: parseJson(o.body),
      state: o.state,
      attempts: o.attempts,
      wamid: o.wamid,
      messageStatus: o.message_status,
      error: o.error_code === null ? null : { code: o.error_code, message: o.error_message },
      createdAt: iso(o.created_at),
      updatedAt: iso(o.updated_at),
    })),
    inboxEvents: inbox.map((e) => {
      const body = parseJson(e.body);
      return { id: e.id, receivedAt: iso(e.received_at), fields: e.fields, body: body === null ? e.body : extractPerson(body, person.mentions) };
    }),
    deadLetters: deadLetters.map((d) => {
      const body = parseJson(d.body);
      return {
        id: d.id,
        source: d.source,
        code: d.code,
        reason: d.reason,
        jobName: d.job_name,
        createdAt: iso(d.created_at),
        body: body === null ? d.body : (extractPerson(body, person.mentions) ?? body),
      };
    }),
    auditLog: audit.map((a) => ({
      id: a.id,
      actor: a.actor,
      action: a.action,
      targetType: a.target_type,
      targetId: a.target_id,
      details: parseJson(a.details),
      requestId: a.request_id,
      occurredAt: iso(a.occurred_at),
    })),
    related: await relatedRecords(exec, contact.id),
    search: { identifiers: person.identifiers.all, method: INBOX_SEARCH_METHOD },
  });
}
