import type { MessageTable } from '../../db/database.js';
import type { OutboxRow } from './outbox.repository.js';

/** What the API shows of a message the business sent. */
export type MessageView = {
  id: string;
  contactId: string;
  from: string;
  to: string;
  type: string;
  category: string;
  /** For a template: the variant the catalogue chose (from the contact's locale, or the default). */
  template: { name: string; language: string | null } | null;
  /**
   * queued · sending · accepted · held_for_quality_assessment · paused · sent · delivered · read ·
   * played · failed: the furthest of the outbox state and the delivery statuses from Meta.
   */
  status: string;
  wamid: string | null;
  idempotencyKey: string | null;
  error: { code: string; message: string } | null;
  createdAt: string;
  updatedAt: string;
};

const DELIVERY_STATUSES = new Set(['sent', 'delivered', 'read', 'played', 'failed']);

export function messageView(row: OutboxRow, entry: Pick<MessageTable, 'status' | 'error_code' | 'error_title' | 'error_details'> | undefined): MessageView {
  const delivered = entry?.status && DELIVERY_STATUSES.has(entry.status) ? entry.status : null;
  const status =
    delivered ??
    (row.state === 'accepted' ? (row.message_status ?? 'accepted') : row.state === 'in_doubt' ? 'sending' : row.state);
  const error =
    row.error_code !== null
      ? { code: row.error_code, message: row.error_message ?? '' }
      : entry?.error_code != null
        ? { code: String(entry.error_code), message: [entry.error_title, entry.error_details].filter(Boolean).join(': ') }
        : null;
  return {
    id: row.id,
    contactId: row.contact_id,
    from: row.business_phone_number_id,
    to: row.recipient,
    type: row.type,
    category: row.category,
    template: templateOf(row),
    status,
    wamid: row.wamid,
    idempotencyKey: row.idempotency_key,
    error,
    createdAt: new Date(Number(row.created_at)).toISOString(),
    updatedAt: new Date(Number(row.updated_at)).toISOString(),
  };
}

function templateOf(row: OutboxRow): MessageView['template'] {
  if (row.type !== 'template') return null;
  const body = JSON.parse(row.body) as { template?: { name?: string; language?: { code?: string } } };
  return body.template?.name ? { name: body.template.name, language: body.template.language?.code ?? null } : null;
}
