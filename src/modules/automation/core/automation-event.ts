/**
 * The event a rule reacts to: any domain event (`message.received`, `message.status`,
 * `consent.changed`, `crm.person_changed`, …, read structurally: the core does not depend on the
 * events module) or a `window.closing` made by the scheduler for one rule.
 */
export type AutomationEvent = { type: string; id: string; contactId: string; occurredAt: number } & Record<string, unknown>;

export type WindowClosingEvent = AutomationEvent & {
  type: 'window.closing';
  ruleId: string;
  businessPhoneNumberId: string;
  /** The inbound message that opened the window, and when it arrived. */
  wamid: string;
  lastInboundAt: number;
  closesAt: number;
  minutesBefore: number;
};

export type EventReply = { kind: string; payload: string; title: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const stringOf = (event: AutomationEvent, key: string): string | null => (typeof event[key] === 'string' ? (event[key] as string) : null);

export function replyOf(event: AutomationEvent): EventReply | null {
  const reply = event['reply'];
  if (!isRecord(reply) || typeof reply['payload'] !== 'string' || typeof reply['title'] !== 'string') return null;
  return { kind: typeof reply['kind'] === 'string' ? reply['kind'] : 'button', payload: reply['payload'], title: reply['title'] };
}

export function errorCodesOf(event: AutomationEvent): number[] {
  const errors = event['errors'];
  return Array.isArray(errors) ? errors.flatMap((e) => (isRecord(e) && typeof e['code'] === 'number' ? [e['code']] : [])) : [];
}

export function recordOf(event: AutomationEvent, key: string): Record<string, unknown> | null {
  const value = event[key];
  return isRecord(value) ? value : null;
}
