/**
 * The outbound benchmark's workload, shared by the bench process and the naive-sender child so
 * that both send exactly the same messages: recipient i is wa_id 1555 + 7 digits (the simulator's
 * fiction range), message k goes to recipient k mod R (round robin: every recipient gets its
 * messages spread over the run, as a campaign or a busy support queue does).
 */

/** Recipients of the measured run are 0 … R-1; warm-up recipients start here (never the same pair buckets). */
export const WARMUP_RECIPIENT_OFFSET = 5_000_000;

export function recipientWaId(index: number): string {
  if (!(Number.isInteger(index) && index >= 0 && index < 10_000_000)) throw new RangeError(`recipient index out of range: ${index}`);
  return `1555${String(index).padStart(7, '0')}`;
}

export function recipientOf(message: number, recipients: number): number {
  return message % recipients;
}

export function textOf(message: number): string {
  return `Switchboard outbound bench, message ${message}: your order update is ready.`;
}

/** The approved template of `--kind template` (seeded in the simulator): no parameters. */
export const BENCH_TEMPLATE = { name: 'bench_order_update', language: 'en_US', category: 'UTILITY' as const, body: 'Your order has been updated.' };

export type MessageKind = 'text' | 'template';

/** Meta's Graph message object for message k (what the naive sender posts; the hub builds the same). */
export function graphMessage(kind: MessageKind, message: number, to: string, callbackData: string): Record<string, unknown> {
  const common = { messaging_product: 'whatsapp', recipient_type: 'individual', to, biz_opaque_callback_data: callbackData };
  return kind === 'text'
    ? { ...common, type: 'text', text: { body: textOf(message) } }
    : { ...common, type: 'template', template: { name: BENCH_TEMPLATE.name, language: { code: BENCH_TEMPLATE.language } } };
}

/** The hub's `POST /api/v1/messages` body for message k. */
export function hubRequest(kind: MessageKind, message: number, to: string): Record<string, unknown> {
  return kind === 'text'
    ? { to: `+${to}`, type: 'text', text: { body: textOf(message) } }
    : { to: `+${to}`, type: 'template', template: { name: BENCH_TEMPLATE.name, language: BENCH_TEMPLATE.language } };
}
