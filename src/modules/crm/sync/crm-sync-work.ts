import { isOptedOut } from '../../consent/index.js';
import type { Contact } from '../../contacts/index.js';
import type { DomainEvent } from '../../events/index.js';
import type { CrmActivityInput } from '../crm-connector.js';
import { optOutField } from '../core/field-mapping.js';
import type { CrmLink } from './crm-links.repository.js';
import type { CrmSyncDeps } from './crm-sync.deps.js';
import type { OutboxKind } from './crm-outbox.repository.js';

/** What an event asks of the CRM, if anything. */
export function outboxKindOf(event: DomainEvent): OutboxKind | null {
  if (event.type === 'message.received' || event.type === 'message.queued') return 'activity';
  if (event.type === 'consent.changed') return event.category === 'marketing' ? 'consent' : null;
  return null;
}

/** The activity a message is logged as: idempotent on the wamid (inbound) or our message id (outbound). */
export function activityInput(event: DomainEvent, crmId: string): CrmActivityInput | null {
  switch (event.type) {
    case 'message.received':
      return {
        crmId,
        idempotencyKey: event.wamid,
        direction: 'inbound',
        body: event.reply ? event.reply.title : (event.text ?? `[${event.messageType}]`),
        occurredAt: event.occurredAt,
      };
    case 'message.queued':
      return {
        crmId,
        idempotencyKey: event.messageId,
        direction: 'outbound',
        body: event.text ?? (event.templateName ? `Template: ${event.templateName}` : `[${event.messageType}]`),
        occurredAt: event.occurredAt,
      };
    default:
      return null;
  }
}

/** Writes the contact's current marketing opt-out state to the mapped field. */
export async function writeConsent(contact: Contact, link: CrmLink, event: DomainEvent, deps: CrmSyncDeps): Promise<void> {
  if (event.type !== 'consent.changed') return;
  const field = optOutField(deps.fieldMap);
  if (!field || event.category !== 'marketing') return;
  // The current state, not the event's action: events retried out of order still end right.
  const optedOut = event.businessPhoneNumberId ? await isOptedOut(deps.db, contact.id, event.businessPhoneNumberId, 'marketing') : event.action === 'opt_out';
  await deps.connector.updatePerson(link.crmId, { switchboardKey: contact.id, fields: { [field]: optedOut ? 'true' : 'false' } });
}
