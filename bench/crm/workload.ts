/**
 * The CRM bench's workload: `messages` inbound WhatsApp messages from `contacts` people, message
 * k from contact k mod contacts (interleaved, as a busy number receives them), every contact
 * with a valid US number, a name and a stable Switchboard key.
 */
export type BenchContact = { key: string; firstName: string; lastName: string; phone: string };
export type BenchMessage = { wamid: string; contactIndex: number; body: string; occurredAt: number };
export type Workload = { contacts: BenchContact[]; messages: BenchMessage[] };

const T0 = Date.UTC(2026, 10, 2, 9);

export function workload(contacts: number, messages: number, prefix: string): Workload {
  const people = Array.from({ length: contacts }, (_, i): BenchContact => ({
    key: `${prefix}-contact-${i}`,
    firstName: `Lead${i}`,
    lastName: `Bench`,
    // 415-200-xxxx, 415-201-xxxx, …: valid, allocated San Francisco numbers, distinct per contact.
    phone: `+1415${String(2_000_000 + i).padStart(7, '0')}`,
  }));
  const list = Array.from({ length: messages }, (_, k): BenchMessage => ({
    wamid: `wamid.${prefix}.${k}`,
    contactIndex: k % contacts,
    body: `Message ${k}: is the 2-bedroom flat on Rua Augusta still available?`,
    occurredAt: T0 + k * 1000,
  }));
  return { contacts: people, messages: list };
}
