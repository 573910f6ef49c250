/** One status as Meta reports it; `extra` adds or overrides fields (`errors`, `recipient_id`, …). */
export type StatusItem = { wamid: string; status: string; timestamp: number; extra?: Record<string, unknown> };

/**
 * A webhook body of statuses alone, in Meta's v24 shape: the test WABA and number, statuses for
 * the recipient 16505550142 unless `extra` says otherwise, all in one change.
 */
export function statusWebhook(...statuses: StatusItem[]): Buffer {
  const value = {
    messaging_product: 'whatsapp',
    metadata: { display_phone_number: '15557340192', phone_number_id: '118274650392817' },
    statuses: statuses.map(({ wamid, status, timestamp, extra }) => ({ id: wamid, status, timestamp: String(timestamp), recipient_id: '16505550142', ...extra })),
  };
  return Buffer.from(JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '204857361209384', changes: [{ field: 'messages', value }] }] }));
}

/** A webhook of one status. */
export const statusBody = (wamid: string, status: string, timestamp: number, extra: Record<string, unknown> = {}): Buffer =>
  statusWebhook({ wamid, status, timestamp, extra });
