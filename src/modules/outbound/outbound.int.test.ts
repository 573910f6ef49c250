import { createHash } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { PROCESS_INBOUND_EVENT } from '../inbound/index.js';
import { DOWNLOAD_MEDIA } from '../media/index.js';
import { DEFAULT_ACCESS_TOKEN, DEFAULT_NUMBER, type Customer, type TemplateSeed } from '../../simulator/index.js';
import { statusesIn } from '../../simulator/testing/harness.js';
import type { HttpResult } from '../../../test/support/server-process.js';
import {
  DISPLAY_NUMBER,
  HUB_SECRET_KEY,
  NUMBER_ID,
  startHubWithSimulator,
  WABA_ID,
  type HubWithSimulator,
  type HubWithSimulatorOptions,
} from '../../../test/support/hub-with-simulator.js';
import { inPool } from '../../../test/support/async-pool.js';
import { DIALECTS } from '../../../test/support/test-databases.js';

/**
 * Outbound messaging end to end in one process: the hub (HTTP API, worker, sender) talks to the
 * Meta simulator over real HTTP, and the simulator answers with Meta's responses, enforces Meta's
 * limits and posts signed status webhooks back. Every test starts its own hub and simulator on a
 * fresh database, with a fixed simulator seed.
 */

// ---------------------------------------------------------------------------------------------
// Shapes

type ContactDto = { id: string; phone: string | null; waId: string | null; bsuid: string | null };
type WindowDto = { phoneNumberId: string; open: boolean; lastInboundAt: string | null; closesAt: string | null };
type ContactWithWindowsDto = ContactDto & { serviceWindows: WindowDto[] };
type MessageDto = {
  id: string;
  contactId: string;
  from: string;
  to: string;
  type: string;
  category: string;
  status: string;
  wamid: string | null;
  idempotencyKey: string | null;
  error: { code: string; message: string } | null;
};
type EntryDto = {
  id: string;
  wamid: string | null;
  direction: 'inbound' | 'outbound';
  type: string;
  text: string | null;
  status: string | null;
  error: { code: number; title: string; details: string | null } | null;
  media: { id?: string } | null;
};
type ErrorDto = { error: { code: string; message: string; details?: Record<string, unknown> } };

// ---------------------------------------------------------------------------------------------
// Fixtures

const DAY_MS = 24 * 60 * 60 * 1000;
const TEMPLATES: TemplateSeed[] = [
  { name: 'order_update', language: 'en_US', category: 'UTILITY', components: [{ type: 'BODY', text: 'Your order has shipped.' }] },
  { name: 'order_ready', language: 'en_US', category: 'UTILITY', components: [{ type: 'BODY', text: 'Order {{1}} is ready for pickup.' }] },
  { name: 'spring_sale', language: 'en_US', category: 'MARKETING', components: [{ type: 'BODY', text: 'Spring sale: 20% off everything.' }] },
  { name: 'held_promo', language: 'en_US', category: 'MARKETING', components: [{ type: 'BODY', text: 'New arrivals.' }], messageStatus: 'held_for_quality_assessment' },
  { name: 'paused_promo', language: 'en_US', category: 'MARKETING', components: [{ type: 'BODY', text: 'Last chance.' }], messageStatus: 'paused' },
];
const template = (name: string) => ({ type: 'template', template: { name, language: 'en_US' } });

/** A real 1×1 PNG, a real 1×1 GIF, and a "PNG" just over Meta's 5 MB image limit. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const BIG_PNG = Buffer.concat([PNG, Buffer.alloc(6 * 1024 * 1024)]);

/** Delivery progress as the API reports it: it may skip steps, never go back. */
const PROGRESS = ['queued', 'sending', 'accepted', 'held_for_quality_assessment', 'paused', 'sent', 'delivered', 'failed', 'read', 'played'];
const DELIVERED = ['delivered', 'read'];

const iso = (ms: number) => new Date(ms).toISOString();
/** Webhook timestamps are whole seconds. */
const toSecond = (ms: number) => Math.floor(ms / 1000) * 1000;

function expectStatus(result: HttpResult, status: number): void {
  expect(result.status, `HTTP ${result.status}: ${result.text.slice(0, 500)}`).toBe(status);
}

/** The most timestamps in any half-open window [t, t + windowMs). */
function maxInWindow(timestamps: number[], windowMs: number): number {
  const sorted = [...timestamps].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

// ---------------------------------------------------------------------------------------------

describe.each(DIALECTS)('outbound messages against the Meta simulator on %s', (dialect) => {
  async function start(options: Omit<HubWithSimulatorOptions, 'dialect'> = {}): Promise<HubWithSimulator> {
    const h = await startHubWithSimulator({ dialect, ...options, simulator: { templates: TEMPLATES, ...options.simulator } });
    onTestFinished(() => h.close());
    return h;
  }

  const send = (h: HubWithSimulator, body: Record<string, unknown>) => h.api<MessageDto & ErrorDto>('messages', { method: 'POST', body: JSON.stringify(body) });

  async function queued(h: HubWithSimulator, body: Record<string, unknown>): Promise<MessageDto> {
    const result = await send(h, body);
    expectStatus(result, 202);
    expect(result.json).toMatchObject({ wamid: null, error: null });
    // The answer is built from what was stored, before the sender is woken: always "queued".
    expect(result.json.status).toBe('queued');
    return result.json;
  }

  async function messageOf(h: HubWithSimulator, id: string): Promise<MessageDto> {
    const result = await h.api<MessageDto>(`messages/${id}`);
    expectStatus(result, 200);
    return result.json;
  }

  async function waitForMessage(h: HubWithSimulator, id: string, statuses: string[], timeoutMs = 10_000): Promise<MessageDto> {
    return h.waitFor(
      async () => {
        const message = await messageOf(h, id);
        expect(statuses, `message ${id} is ${message.status} (${JSON.stringify(message.error)})`).toContain(message.status);
        return message;
      },
      timeoutMs,
      `message ${id} to reach ${statuses.join(' or ')}`,
    );
  }

  async function timeline(h: HubWithSimulator, contactId: string): Promise<EntryDto[]> {
    const result = await h.api<{ data: EntryDto[] }>(`contacts/${contactId}/timeline?limit=500`);
    expectStatus(result, 200);
    return result.json.data;
  }

  async function entryOf(h: HubWithSimulator, contactId: string, id: string): Promise<EntryDto | undefined> {
    return (await timeline(h, contactId)).find((e) => e.id === id);
  }

  async function contactsWithPhone(h: HubWithSimulator, phone: string): Promise<ContactDto[]> {
    const result = await h.api<{ data: ContactDto[] }>(`contacts?phone=${encodeURIComponent(phone)}`);
    expectStatus(result, 200);
    return result.json.data;
  }

  /** A simulated customer writes to a business number; resolves once the hub has filed the message. */
  async function customerWritesIn(h: HubWithSimulator, waId: string, options: { text?: string; numberId?: string } = {}) {
    const customer: Customer = h.sim.customers().find((c) => c.waId === waId) ?? h.sim.addCustomer({ name: `Customer ${waId.slice(-4)}`, waId });
    const wamid = h.sim.customerSays(customer, options.numberId ?? NUMBER_ID, options.text ?? 'Olá, tudo bem?');
    const contact = await h.waitFor(
      async () => {
        const [found] = await contactsWithPhone(h, waId);
        if (!found) return false;
        return (await timeline(h, found.id)).some((e) => e.wamid === wamid) ? found : false;
      },
      10_000,
      `the hub to file ${wamid}`,
    );
    return { customer, contact, wamid };
  }

  /** What the simulator accepted for one of our messages (the callback data names our id). */
  const acceptedFor = (h: HubWithSimulator, id: string) => h.sim.sentMessages().filter((m) => m.bizOpaqueCallbackData === `sb:${id}`);
  /** Every send request the simulator received for one of our messages, whatever it answered. */
  const attemptsFor = (h: HubWithSimulator, id: string) =>
    h.sendAttempts().filter((r) => (r.body as { biz_opaque_callback_data?: string }).biz_opaque_callback_data === `sb:${id}`);

  const count = async (h: HubWithSimulator, table: 'contacts' | 'outbound_messages' | 'messages' | 'media_files') =>
    Number((await h.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  const outboxRow = (h: HubWithSimulator, id: string) => h.db.selectFrom('outbound_messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  /** Waits until the simulator has nothing left to deliver and the hub has processed every webhook. */
  async function settled(h: HubWithSimulator): Promise<void> {
    await h.sim.idle();
    await h.waitFor(
      async () => {
        const waiting = await h.db.selectFrom('jobs').select(['id', 'state']).where('name', '=', PROCESS_INBOUND_EVENT).where('state', 'not in', ['done', 'dead']).execute();
        expect(waiting).toEqual([]);
      },
      10_000,
      'the worker to process every webhook',
    );
  }

  /** An inbound text from `waId` to the default number, as Meta would post it, at `atMs`. */
  function inboundTextWebhook(waId: string, wamid: string, atMs: number, text: string): string {
    return JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: WABA_ID,
          changes: [
            {
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: DISPLAY_NUMBER, phone_number_id: NUMBER_ID },
                contacts: [{ profile: { name: 'Old Friend' }, wa_id: waId }],
                messages: [{ from: waId, id: wamid, timestamp: String(Math.floor(atMs / 1000)), type: 'text', text: { body: text } }],
              },
              field: 'messages',
            },
          ],
        },
      ],
    });
  }

  // -------------------------------------------------------------------------------------------
  describe('the service window', () => {
    it('opens the window when the customer writes, sends a text exactly once, and settles on read despite duplicated and reordered statuses', async () => {
      const h = await start({ simulator: { duplicateRate: 0.9, outOfOrderRate: 0.9 } });
      const { contact } = await customerWritesIn(h, '16505550101');
      const inbound = h.sim.receivedMessages().at(-1)!;

      const withWindows = await h.api<ContactWithWindowsDto>(`contacts/${contact.id}`);
      expectStatus(withWindows, 200);
      expect(withWindows.json.serviceWindows).toEqual([
        { phoneNumberId: NUMBER_ID, open: true, lastInboundAt: iso(toSecond(inbound.at)), closesAt: iso(toSecond(inbound.at) + DAY_MS) },
      ]);

      const message = await queued(h, { to: '+1 650-555-0101', type: 'text', text: { body: 'Your order #4411 has shipped 📦' } });
      expect(message).toMatchObject({ contactId: contact.id, from: NUMBER_ID, to: '16505550101', type: 'text', category: 'service' });

      // Follow the message through the API while it travels.
      const seen: string[] = ['queued'];
      const final = await h.waitFor(
        async () => {
          const now = await messageOf(h, message.id);
          if (seen.at(-1) !== now.status) seen.push(now.status);
          return now.status === 'read' ? now : false;
        },
        10_000,
        'the message to be read',
      );
      const ranks = seen.map((s) => PROGRESS.indexOf(s));
      expect(ranks.every((r) => r >= 0), `statuses seen: ${seen.join(' → ')}`).toBe(true);
      expect([...ranks].sort((a, b) => a - b), `statuses seen: ${seen.join(' → ')}`).toEqual(ranks);

      await settled(h);
      const accepted = acceptedFor(h, message.id);
      expect(accepted).toHaveLength(1);
      expect(h.sim.sentMessages()).toHaveLength(1);
      expect(accepted[0]).toMatchObject({ phoneNumberId: NUMBER_ID, input: '16505550101', type: 'text', bizOpaqueCallbackData: `sb:${message.id}` });
      expect(accepted[0]!.request).toMatchObject({ messaging_product: 'whatsapp', to: '16505550101', type: 'text', text: { body: 'Your order #4411 has shipped 📦' } });
      // The simulator did duplicate and reorder: more status webhooks than statuses, not in order.
      expect(accepted[0]!.statusesSent.length).toBeGreaterThan(3);
      expect(final).toMatchObject({ status: 'read', wamid: accepted[0]!.wamid, error: null });

      const outbound = (await timeline(h, contact.id)).filter((e) => e.direction === 'outbound');
      expect(outbound).toHaveLength(1);
      expect(outbound[0]).toMatchObject({ id: message.id, wamid: accepted[0]!.wamid, status: 'read', type: 'text', text: 'Your order #4411 has shipped 📦', error: null });
      const history = await h.db.selectFrom('message_statuses').select('status').where('wamid', '=', accepted[0]!.wamid).orderBy('status').execute();
      expect(history.map((r) => r.status)).toEqual(['delivered', 'read', 'sent']);
    });

    it('settles every entry when Meta batches statuses, several to a POST, duplicated and reordered', async () => {
      const h = await start({ simulator: { webhookBatch: { windowMs: 100, maxUpdates: 7 }, duplicateRate: 0.5, outOfOrderRate: 0.5 } });
      const customers = [await customerWritesIn(h, '16505550111'), await customerWritesIn(h, '16505550112')];
      const messages: MessageDto[] = [];
      for (let i = 0; i < 6; i++) {
        const { contact } = customers[i % 2]!;
        messages.push(await queued(h, { contactId: contact.id, type: 'text', text: { body: `Update ${i}` } }));
      }
      for (const message of messages) await waitForMessage(h, message.id, ['read']);
      await settled(h);

      const statusCounts = h.sim
        .deliveries()
        .map((d) => statusesIn(d.body).length)
        .filter((n) => n > 0);
      expect(Math.max(...statusCounts)).toBeGreaterThan(1);
      expect(Math.max(...statusCounts)).toBeLessThanOrEqual(7);
      for (const message of messages) {
        const [accepted, ...again] = acceptedFor(h, message.id);
        expect(again).toEqual([]);
        expect(await entryOf(h, message.contactId, message.id)).toMatchObject({ wamid: accepted!.wamid, status: 'read', error: null });
        const history = await h.db.selectFrom('message_statuses').select('status').where('wamid', '=', accepted!.wamid).orderBy('status').execute();
        expect(history.map((r) => r.status)).toEqual(['delivered', 'read', 'sent']);
      }
      expect(await count(h, 'outbound_messages')).toBe(6);
    });

    it('refuses a free-form message to a number that never wrote with 422 WINDOW_CLOSED, storing and sending nothing, and sends a template to it', async () => {
      const h = await start();
      const [contactsBefore, outboxBefore] = [await count(h, 'contacts'), await count(h, 'outbound_messages')];

      const refused = await send(h, { to: '+1 650 555 0102', type: 'text', text: { body: 'Hi there' } });
      expectStatus(refused, 422);
      expect(refused.json).toMatchObject({ error: { code: 'WINDOW_CLOSED', message: expect.any(String), details: { hint: expect.stringContaining('template'), lastInboundAt: null } } });
      expect(await count(h, 'contacts')).toBe(contactsBefore);
      expect(await count(h, 'outbound_messages')).toBe(outboxBefore);
      expect(await contactsWithPhone(h, '16505550102')).toEqual([]);

      // A contact the CRM created, who never wrote either.
      const created = await h.api<ContactDto>('contacts', { method: 'POST', body: JSON.stringify({ name: 'Lead from the website', phone: '+1 650 555 0115' }) });
      expectStatus(created, 201);
      const refusedToo = await send(h, { contactId: created.json.id, type: 'text', text: { body: 'Thanks for signing up' } });
      expectStatus(refusedToo, 422);
      expect(refusedToo.json.error.code).toBe('WINDOW_CLOSED');
      expect(await count(h, 'outbound_messages')).toBe(outboxBefore);

      const sent = await queued(h, { to: '+1 650 555 0102', ...template('order_update') });
      await waitForMessage(h, sent.id, DELIVERED);
      expect(acceptedFor(h, sent.id)).toHaveLength(1);
      expect(acceptedFor(h, sent.id)[0]).toMatchObject({ input: '16505550102', type: 'template', template: { name: 'order_update', language: 'en_US' } });
      // The refused text never reached Meta.
      expect(h.sendAttempts()).toHaveLength(1);
      expect(await contactsWithPhone(h, '16505550102')).toHaveLength(1);
    });

    it('refuses a free-form message once the last inbound is more than 24 h old by the hub’s clock, and still sends a template', async () => {
      const h = await start();
      const waId = '16505550103';
      const wroteAt = Date.now() - DAY_MS - 60 * 60 * 1000;
      expectStatus(await h.postWebhook(inboundTextWebhook(waId, 'wamid.OLD-INBOUND-0103', wroteAt, 'are you open tomorrow?')), 200);
      const contact = await h.waitFor(async () => (await contactsWithPhone(h, waId))[0] ?? false, 10_000, 'the old inbound to be filed');
      await h.waitFor(async () => (await timeline(h, contact.id)).length === 1, 10_000);

      const withWindows = await h.api<ContactWithWindowsDto>(`contacts/${contact.id}`);
      expect(withWindows.json.serviceWindows).toEqual([
        { phoneNumberId: NUMBER_ID, open: false, lastInboundAt: iso(toSecond(wroteAt)), closesAt: iso(toSecond(wroteAt) + DAY_MS) },
      ]);

      const outboxBefore = await count(h, 'outbound_messages');
      const refused = await send(h, { contactId: contact.id, type: 'text', text: { body: 'Yes, from 9 am' } });
      expectStatus(refused, 422);
      expect(refused.json.error).toMatchObject({
        code: 'WINDOW_CLOSED',
        details: { hint: expect.any(String), lastInboundAt: iso(toSecond(wroteAt)), closedAt: iso(toSecond(wroteAt) + DAY_MS) },
      });
      expect(await count(h, 'outbound_messages')).toBe(outboxBefore);
      expect(await timeline(h, contact.id)).toHaveLength(1);

      const sent = await queued(h, { contactId: contact.id, ...template('order_update') });
      await waitForMessage(h, sent.id, DELIVERED);
      expect(acceptedFor(h, sent.id)).toHaveLength(1);
      expect(h.sendAttempts()).toHaveLength(1);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('requests', () => {
    it('answers five concurrent posts with one idempotency key with one message, stored once and sent once', async () => {
      const h = await start();
      const { contact } = await customerWritesIn(h, '16505550104');
      const body = { to: '+1 (650) 555-0104', type: 'text', text: { body: 'Your table is booked' }, idempotencyKey: 'booking-7731-confirmation' };

      const results = await Promise.all(Array.from({ length: 5 }, () => send(h, body)));
      expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 202]);
      const ids = new Set(results.map((r) => r.json.id));
      expect(ids.size).toBe(1);
      const [id] = [...ids] as [string];
      for (const r of results) expect(r.json).toMatchObject({ id, idempotencyKey: 'booking-7731-confirmation', contactId: contact.id });

      await waitForMessage(h, id, DELIVERED);
      const again = await send(h, body);
      expectStatus(again, 200);
      expect(again.json.id).toBe(id);

      await settled(h);
      const rows = await h.db.selectFrom('outbound_messages').select('id').where('idempotency_key', '=', 'booking-7731-confirmation').execute();
      expect(rows).toEqual([{ id }]);
      expect(await count(h, 'outbound_messages')).toBe(1);
      expect((await timeline(h, contact.id)).filter((e) => e.direction === 'outbound')).toHaveLength(1);
      expect(h.sim.sentMessages()).toHaveLength(1);
      expect(acceptedFor(h, id)).toHaveLength(1);
    });

    // On PostgreSQL concurrent requests for one new number all miss the lookup; the insert then
    // meets the unique phone, and the losers read the winner's contact (insertOrGetByPhone).
    it('accepts concurrent messages to a number it has never seen, creating one contact', async () => {
      const h = await start();
      // Eight different messages (their own idempotency keys) to one new number, at the same moment.
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => send(h, { to: '+1 650 555 0160', ...template('order_update'), idempotencyKey: `campaign-7-${i}` })));
      expect(results.map((r) => `${r.status} ${r.status === 202 ? '' : r.text.slice(0, 200)}`)).toEqual(Array.from({ length: 8 }, () => '202 '));
      expect(new Set(results.map((r) => r.json.contactId)).size).toBe(1);
      expect(await contactsWithPhone(h, '16505550160')).toHaveLength(1);
      for (const r of results) await waitForMessage(h, r.json.id, DELIVERED);
      expect(h.sim.sentMessages()).toHaveLength(8);
    });

    it('replies to a username-only customer (no phone) by BSUID', async () => {
      const h = await start();
      const customer = h.sim.addCustomer({ name: 'Username Only', username: 'ana.designs' });
      const wamid = h.sim.customerSays(customer, NUMBER_ID, 'hi, do you ship abroad?');
      const found = await h.waitFor(async () => {
        const result = await h.api<{ data: ContactDto[] }>(`contacts?bsuid=${encodeURIComponent(customer.bsuid)}`);
        const [contact] = result.json.data;
        return contact && (await timeline(h, contact.id)).some((e) => e.wamid === wamid) ? contact : false;
      }, 10_000);
      expect(found).toMatchObject({ phone: null, waId: null, bsuid: customer.bsuid });

      const reply = await queued(h, { bsuid: customer.bsuid, type: 'text', text: { body: 'Yes, worldwide' } });
      expect(reply).toMatchObject({ contactId: found.id, to: customer.bsuid });
      await waitForMessage(h, reply.id, DELIVERED);
      const [accepted] = acceptedFor(h, reply.id);
      expect(accepted).toMatchObject({ recipientKind: 'bsuid', input: customer.bsuid, customerId: customer.id });
      expect(accepted!.request).toMatchObject({ recipient: customer.bsuid });
      expect(accepted!.request).not.toHaveProperty('to');
    });

    it('answers 400 with the error shape to bodies Meta would refuse, storing and sending nothing', async () => {
      const h = await start();
      const { contact } = await customerWritesIn(h, '16505550105');
      const buttons = [1, 2, 3, 4].map((i) => ({ type: 'reply', reply: { id: `b${i}`, title: `Option ${i}` } }));
      const bodies: [string, Record<string, unknown>, string][] = [
        ['no recipient', { type: 'text', text: { body: 'Hello' } }, 'VALIDATION_FAILED'],
        ['text over 4096 characters', { contactId: contact.id, type: 'text', text: { body: 'x'.repeat(4097) } }, 'VALIDATION_FAILED'],
        ['four reply buttons', { contactId: contact.id, type: 'interactive', interactive: { type: 'button', body: { text: 'Pick one' }, action: { buttons } } }, 'VALIDATION_FAILED'],
        ['a phone number that is no phone number', { to: 'call me maybe', type: 'text', text: { body: 'Hello' } }, 'CONTACT_PHONE_INVALID'],
      ];
      const before = { contacts: await count(h, 'contacts'), outbox: await count(h, 'outbound_messages'), messages: await count(h, 'messages') };
      for (const [what, body, code] of bodies) {
        const result = await send(h, body);
        expect(result.status, `${what}: ${result.text.slice(0, 300)}`).toBe(400);
        expect(result.json, what).toEqual({ error: { code, message: expect.any(String), ...(result.json.error.details ? { details: expect.any(Object) } : {}) } });
      }
      expect({ contacts: await count(h, 'contacts'), outbox: await count(h, 'outbound_messages'), messages: await count(h, 'messages') }).toEqual(before);
      await sleep(300);
      expect(h.sendAttempts()).toEqual([]);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('Meta’s errors', () => {
    it('retries 130429 with growing backoff, then delivers exactly once', async () => {
      const h = await start();
      await customerWritesIn(h, '16505550106');
      h.sim.injectError({ code: 130429, times: 2, match: { to: '16505550106' } });

      const message = await queued(h, { to: '16505550106', type: 'text', text: { body: 'Throttled, then fine' } });
      await waitForMessage(h, message.id, DELIVERED, 15_000);
      const attempts = attemptsFor(h, message.id).map((a) => a.at);
      expect(attempts).toHaveLength(3);
      // Backoff with jitter: the first retry after 0.5–1 s, the second after 1–2 s.
      expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(450);
      expect(attempts[2]! - attempts[1]!).toBeGreaterThanOrEqual(950);
      expect(acceptedFor(h, message.id)).toHaveLength(1);
      expect(await outboxRow(h, message.id)).toMatchObject({ state: 'accepted', attempts: 3, error_code: null });
    });

    it('retries 500 and 503 answers, then delivers exactly once', async () => {
      const h = await start();
      await customerWritesIn(h, '16505550107');
      h.sim.injectError({ httpStatus: 500, times: 1, match: { to: '16505550107' } });
      h.sim.injectError({ httpStatus: 503, times: 1, match: { to: '16505550107' } });

      const message = await queued(h, { to: '16505550107', type: 'text', text: { body: 'Meta hiccups' } });
      await waitForMessage(h, message.id, DELIVERED, 15_000);
      expect(attemptsFor(h, message.id)).toHaveLength(3);
      expect(acceptedFor(h, message.id)).toHaveLength(1);
    });

    it('rides out a storm of 503s and delivers every message exactly once when Meta recovers', async () => {
      const h = await start();
      const waIds = ['16505550111', '16505550112', '16505550113'];
      const contacts = [];
      for (const waId of waIds) contacts.push((await customerWritesIn(h, waId)).contact);
      h.sim.injectError({ httpStatus: 503, times: 6 });

      const messages = await Promise.all(contacts.map((c, i) => queued(h, { contactId: c.id, type: 'text', text: { body: `Storm ${i}` } })));
      for (const m of messages) await waitForMessage(h, m.id, DELIVERED, 20_000);
      // Six refused attempts in all, then one accepted send per message.
      expect(h.sendAttempts()).toHaveLength(messages.length + 6);
      for (const m of messages) expect(acceptedFor(h, m.id)).toHaveLength(1);
      expect(h.sim.sentMessages()).toHaveLength(messages.length);
    });

    it('waits about a second after 131056 (pair rate limit, enforced by the simulator) and then delivers once', async () => {
      const h = await start({ simulator: { pairRateLimit: { capacity: 1, refillIntervalMs: 800 } } });
      const { contact } = await customerWritesIn(h, '16505550108');
      const first = await queued(h, { contactId: contact.id, type: 'text', text: { body: 'One' } });
      const second = await queued(h, { contactId: contact.id, type: 'text', text: { body: 'Two' } });
      for (const m of [first, second]) await waitForMessage(h, m.id, DELIVERED, 10_000);

      const attempts = [first, second].map((m) => attemptsFor(h, m.id).map((a) => a.at));
      // One of them got the pair token first; the other was refused once and retried after 4^0 s.
      const retried = attempts.find((a) => a.length === 2);
      expect(attempts.map((a) => a.length).sort()).toEqual([1, 2]);
      expect(retried![1]! - retried![0]!).toBeGreaterThanOrEqual(950);
      expect(retried![1]! - retried![0]!).toBeLessThan(3_000);
      for (const m of [first, second]) expect(acceptedFor(h, m.id)).toHaveLength(1);
      const rows = await Promise.all([first, second].map((m) => outboxRow(h, m.id)));
      expect(rows.map((r) => Number(r.pair_attempts)).sort()).toEqual([0, 1]);
    });

    it('fails with 131047 when Meta thinks the window closed while the hub thinks it is open', async () => {
      const h = await start();
      const { customer, contact } = await customerWritesIn(h, '16505550109');
      h.sim.setLastInbound(customer, NUMBER_ID, null);

      const message = await queued(h, { contactId: contact.id, type: 'text', text: { body: 'Still there?' } });
      const failed = await waitForMessage(h, message.id, ['failed']);
      expect(failed.error).toMatchObject({ code: 'WINDOW_CLOSED' });
      expect(await entryOf(h, contact.id, message.id)).toMatchObject({ status: 'failed', error: { code: 131047 } });
      await sleep(500);
      expect(attemptsFor(h, message.id)).toHaveLength(1);
      expect(h.sim.sentMessages()).toEqual([]);
    });

    /** Meta's copy of a template changes and the hub misses the webhook: its catalogue is stale. */
    async function behindTheHubsBack(h: HubWithSimulator, change: () => void): Promise<void> {
      const { webhookUrl } = h.sim.settings();
      h.sim.configure({ webhookUrl: 'http://127.0.0.1:9/unreachable', webhookRetry: { maxAttempts: 1 } });
      change();
      await h.sim.idle();
      h.sim.configure({ webhookUrl, webhookRetry: { maxAttempts: 60 } });
    }

    it('fails with 132001 when Meta no longer has a template the catalogue still lists, with the code on the timeline, and does not retry', async () => {
      const h = await start();
      const { contact } = await customerWritesIn(h, '16505550110');
      await behindTheHubsBack(h, () => h.sim.setTemplateStatus({ name: 'order_update', language: 'en_US' }, 'PENDING_DELETION'));

      const message = await queued(h, { contactId: contact.id, ...template('order_update') });
      const failed = await waitForMessage(h, message.id, ['failed']);
      // The message says it in our words; the timeline keeps Meta's code.
      expect(failed.error?.code).toBe('TEMPLATE_NOT_FOUND');
      expect(await entryOf(h, contact.id, message.id)).toMatchObject({ status: 'failed', error: { code: 132001 } });
      await sleep(500);
      expect(attemptsFor(h, message.id)).toHaveLength(1);
      expect(h.sim.sentMessages()).toEqual([]);
    });

    it('refuses a template without its parameter before Meta, and fails with 132000 when Meta’s own components are passed through short', async () => {
      const h = await start();
      const { contact } = await customerWritesIn(h, '16505550114');
      const refused = await send(h, { contactId: contact.id, ...template('order_ready') });
      expect(refused.status, refused.text).toBeGreaterThanOrEqual(400);
      expect(refused.status).toBeLessThan(500);
      expect(h.sendAttempts()).toEqual([]);

      const message = await queued(h, { contactId: contact.id, type: 'template', template: { name: 'order_ready', language: 'en_US', components: [] } });
      const failed = await waitForMessage(h, message.id, ['failed']);
      expect(failed.error?.code).toBe('TEMPLATE_PARAMETER_COUNT_MISMATCH');
      expect(await entryOf(h, contact.id, message.id)).toMatchObject({ status: 'failed', error: { code: 132000, details: expect.stringContaining('number of localizable_params (0)') } });
      await sleep(500);
      expect(attemptsFor(h, message.id)).toHaveLength(1);
      expect(h.sim.sentMessages()).toEqual([]);
    });

    it('tracks 131026: accepted by Meta, then failed by a status webhook', async () => {
      const h = await start({ simulator: { undeliverableNumbers: ['16505550120'] } });
      const message = await queued(h, { to: '+16505550120', ...template('order_update') });
      const failed = await waitForMessage(h, message.id, ['failed']);
      const accepted = acceptedFor(h, message.id);
      expect(accepted).toHaveLength(1);
      expect(failed).toMatchObject({ wamid: accepted[0]!.wamid, error: { code: '131026' } });
      expect(await entryOf(h, failed.contactId, message.id)).toMatchObject({ wamid: accepted[0]!.wamid, status: 'failed', error: { code: 131026, title: 'Message undeliverable' } });
    });

    it('does not deliver a marketing template to a customer who stopped marketing, and the consent ledger holds the opt-out', async () => {
      const h = await start();
      const { customer, contact } = await customerWritesIn(h, '16505550121');
      h.sim.customerStops(customer, NUMBER_ID);
      const optOuts = () => h.db.selectFrom('consent_events').selectAll().where('contact_id', '=', contact.id).where('action', '=', 'opt_out').execute();
      await h.waitFor(async () => (await optOuts()).some((e) => e.category === 'marketing' && e.source === 'user_preferences'), 10_000, 'the user_preferences webhook to be filed');

      // Refused by the hub itself (the ledger knows), or sent and failed by Meta with 131050: either way never delivered.
      const result = await send(h, { contactId: contact.id, ...template('spring_sale') });
      if (result.status === 202) {
        const failed = await waitForMessage(h, result.json.id, ['failed']);
        expect(failed.error?.code).toMatch(/131050|RECIPIENT_OPTED_OUT|CONSENT_REQUIRED/);
        expect((await entryOf(h, contact.id, result.json.id))?.status).toBe('failed');
      } else {
        expectStatus(result, 422);
        expect(result.json.error.code).toBe('CONSENT_REQUIRED');
      }
      await settled(h);
      expect(h.sim.sentMessages().filter((m) => m.type === 'template')).toEqual(h.sim.sentMessages().filter((m) => m.type === 'template' && m.failureCode === 131050));
    });

    /** The customer stops marketing in WhatsApp, and the hub misses both webhooks (STOP and user_preferences): only Meta knows. */
    async function stopsBehindTheHubsBack(h: HubWithSimulator, customer: Customer): Promise<void> {
      await behindTheHubsBack(h, () => h.sim.customerStops(customer, NUMBER_ID));
    }

    it('fails a marketing template refused with 131050 on the send, and records the opt-out in the consent ledger', async () => {
      const h = await start({ simulator: { asyncFailures: [131026] } });
      const { customer, contact } = await customerWritesIn(h, '16505550127');
      await stopsBehindTheHubsBack(h, customer);

      const message = await queued(h, { contactId: contact.id, ...template('spring_sale') });
      const failed = await waitForMessage(h, message.id, ['failed']);
      expect(failed.error).toMatchObject({ code: 'RECIPIENT_OPTED_OUT' });
      expect(await entryOf(h, contact.id, message.id)).toMatchObject({ status: 'failed', error: { code: 131050 } });
      expect(attemptsFor(h, message.id)).toHaveLength(1);
      expect(h.sim.sentMessages()).toEqual([]);
      const events = await h.db.selectFrom('consent_events').selectAll().where('contact_id', '=', contact.id).execute();
      expect(events.map((e) => [e.category, e.action, e.source])).toEqual([['marketing', 'opt_out', 'meta_error_131050']]);
    });

    it('tracks a 131050 that Meta reports as a failed status after accepting the send', async () => {
      const h = await start();
      const { customer, contact } = await customerWritesIn(h, '16505550128');
      await stopsBehindTheHubsBack(h, customer);

      const message = await queued(h, { contactId: contact.id, ...template('spring_sale') });
      const failed = await waitForMessage(h, message.id, ['failed']);
      expect(failed).toMatchObject({ wamid: acceptedFor(h, message.id)[0]!.wamid, error: { code: '131050' } });
      expect(await entryOf(h, contact.id, message.id)).toMatchObject({ status: 'failed', error: { code: 131050 } });
    });

    // Meta usually reports 131050 as a `failed` status webhook after accepting the send.
    it('records the opt-out in the consent ledger when 131050 arrives as a failed status webhook', async () => {
      const h = await start();
      const { customer, contact } = await customerWritesIn(h, '16505550129');
      await stopsBehindTheHubsBack(h, customer);

      const message = await queued(h, { contactId: contact.id, ...template('spring_sale') });
      await waitForMessage(h, message.id, ['failed']);
      await settled(h);
      const events = await h.db.selectFrom('consent_events').selectAll().where('contact_id', '=', contact.id).execute();
      expect(events.map((e) => [e.category, e.action])).toContainEqual(['marketing', 'opt_out']);
    });

    it('marks the number unhealthy on 190 and keeps the message queued, unsent and not failed, until the token is replaced', async () => {
      const h = await start({ env: { SWITCHBOARD_SECRET_KEY: HUB_SECRET_KEY } });
      const { contact } = await customerWritesIn(h, '16505550122');
      expect((await fetch(`${h.hubUrl}/readyz`)).status).toBe(200);
      h.sim.expireToken(DEFAULT_ACCESS_TOKEN);

      const message = await queued(h, { contactId: contact.id, type: 'text', text: { body: 'Token?' } });
      const ready = await h.waitFor(
        async () => {
          const response = await fetch(`${h.hubUrl}/readyz`);
          return response.status === 503 ? ((await response.json()) as ErrorDto) : false;
        },
        10_000,
        '/readyz to report the expired token',
      );
      expect(ready.error).toMatchObject({ code: 'WHATSAPP_TOKEN_EXPIRED', details: { numbers: [NUMBER_ID] } });
      const numbers = await h.api<{ data: { phoneNumberId: string; healthy: boolean; tokenExpiredAt: string | null }[] }>('numbers');
      expect(numbers.json.data).toEqual([expect.objectContaining({ phoneNumberId: NUMBER_ID, healthy: false, tokenExpiredAt: expect.any(String) })]);

      await sleep(1_000);
      expect(await messageOf(h, message.id)).toMatchObject({ status: 'queued', wamid: null, error: null });
      expect((await entryOf(h, contact.id, message.id))?.status).toBe('queued');
      expect(attemptsFor(h, message.id)).toHaveLength(1);
      expect(h.sim.sentMessages()).toEqual([]);

      // A new token for the number makes it healthy again.
      h.sim.addAccessToken('replacement-access-token-5d2e');
      const replaced = await h.api('numbers', { method: 'POST', body: JSON.stringify({ phoneNumberId: NUMBER_ID, wabaId: WABA_ID, accessToken: 'replacement-access-token-5d2e' }) });
      expectStatus(replaced, 201);
      expect(replaced.json).toMatchObject({ phoneNumberId: NUMBER_ID, healthy: true });
      expect((await fetch(`${h.hubUrl}/readyz`)).status).toBe(200);
      // The queued message goes out at once with the new token, not after the number's pause.
      await waitForMessage(h, message.id, ['sent', 'delivered', 'read'], 5_000);
      expect(h.sim.sentMessages()).toHaveLength(1);
    });

    it('does not send again after a timeout when the status webhook proves Meta accepted the message', async () => {
      const h = await start({ env: { GRAPH_API_TIMEOUT_MS: '1000', OUTBOUND_IN_DOUBT_MS: '3000' } });
      const { contact } = await customerWritesIn(h, '16505550123');
      h.sim.injectTimeout({ delayMs: 1_400, match: { to: '16505550123' } });

      const postedAt = Date.now();
      const message = await queued(h, { contactId: contact.id, type: 'text', text: { body: 'Slow Meta' } });
      // Past the timeout the hub cannot know: the message is in doubt, shown as still sending.
      await h.waitFor(async () => (await outboxRow(h, message.id)).state === 'in_doubt' || (await outboxRow(h, message.id)).wamid !== null, 5_000);
      const final = await waitForMessage(h, message.id, ['read'], 10_000);
      const accepted = acceptedFor(h, message.id);
      expect(accepted).toHaveLength(1);
      expect(final.wamid).toBe(accepted[0]!.wamid);
      // Past the moment an unconfirmed send would have gone again: still one request.
      const resendAt = postedAt + 1_000 + 3_000;
      await sleep(Math.max(0, resendAt - Date.now()) + 750);
      expect(attemptsFor(h, message.id)).toHaveLength(1);
      expect(acceptedFor(h, message.id)).toHaveLength(1);
      expect((await timeline(h, contact.id)).filter((e) => e.direction === 'outbound')).toHaveLength(1);
    });

    it('sends again after OUTBOUND_IN_DOUBT_MS when a timed-out send was never processed, and delivers once', async () => {
      const h = await start();
      const { contact } = await customerWritesIn(h, '16505550124');
      // Held until the simulator closes: Meta never acted on it.
      h.sim.injectTimeout({ delayMs: 120_000, match: { to: '16505550124' } });

      const message = await queued(h, { contactId: contact.id, type: 'text', text: { body: 'Lost in transit' } });
      await waitForMessage(h, message.id, DELIVERED, 10_000);
      const attempts = attemptsFor(h, message.id).map((a) => a.at);
      expect(attempts).toHaveLength(2);
      // Timeout (1 s), then the in-doubt wait (1.5 s), before the second attempt.
      expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(2_400);
      expect(acceptedFor(h, message.id)).toHaveLength(1);
    });

    it.each([
      ['held_promo', 'held_for_quality_assessment'],
      ['paused_promo', 'paused'],
    ])('shows the pacing answer of %s (%s) until a status arrives', async (name, pacing) => {
      const h = await start({ simulator: { statusDelaysMs: { sent: 1_500, delivered: 1_600, read: 1_700 } } });
      const { contact } = await customerWritesIn(h, '16505550125');
      const message = await queued(h, { contactId: contact.id, ...template(name) });
      const held = await waitForMessage(h, message.id, [pacing, 'sent', 'delivered', 'read'], 5_000);
      expect(held.status).toBe(pacing);
      expect(held.wamid).toBe(acceptedFor(h, message.id)[0]!.wamid);
      await waitForMessage(h, message.id, ['read'], 10_000);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('rate limits', () => {
    /** 60 customers write in (windows open) and 60 messages to them are queued before the sender starts. */
    async function sixtyQueued(h: HubWithSimulator): Promise<MessageDto[]> {
      const waIds = Array.from({ length: 60 }, (_, i) => `165055502${String(i).padStart(2, '0')}`);
      for (const waId of waIds) h.sim.customerSays(h.sim.addCustomer({ name: `Bulk ${waId.slice(-2)}`, waId }), NUMBER_ID, 'hi');
      await h.waitFor(async () => (await count(h, 'messages')) === waIds.length, 20_000, 'the 60 inbound messages to be filed');
      const contacts = await Promise.all(waIds.map(async (waId) => (await contactsWithPhone(h, waId))[0]!));
      return inPool(contacts, 10, (c) => queued(h, { contactId: c.id, type: 'text', text: { body: 'Flash sale starts now' } }));
    }

    // The sender starts once all 60 are queued, and statuses come after the burst: what the
    // simulator sees is the sender's pace, not the API's or the webhooks' load.
    const paced = {
      env: { WHATSAPP_THROUGHPUT_MPS: '20' },
      startSender: false,
      simulator: { numbers: [{ ...DEFAULT_NUMBER, throughputMps: 20 }], statusDelaysMs: { sent: 4_000, delivered: 4_100, read: 4_200 } },
    };
    const gaps = (times: number[]) => times.map((t, i) => (i ? t - times[i - 1]! : 0)).join(',');

    it('keeps to WHATSAPP_THROUGHPUT_MPS=20: 60 messages to 60 customers, never more than 20 in any second where Meta counts them, none refused with 130429', async () => {
      const h = await start(paced);
      const messages = await sixtyQueued(h);
      h.hub.sender!.start();
      await h.waitFor(() => h.sim.sentMessages().length === messages.length, 20_000, 'all 60 to be accepted');

      const acceptedAt = h.sim.sentMessages().map((m) => m.acceptedAt);
      // Counted where Meta counts them: when the requests arrive, in any sliding second.
      expect(maxInWindow(acceptedAt, 1_000), `arrival gaps (ms): ${gaps(acceptedAt)}`).toBeLessThanOrEqual(20);
      // The simulator's own 130429 never fired: one request per message.
      expect(h.sendAttempts()).toHaveLength(messages.length);
      // And the limit set the pace: 60 at 20 per second take about three seconds.
      expect(Math.max(...acceptedAt) - Math.min(...acceptedAt)).toBeGreaterThanOrEqual(2_800);

      for (const m of messages) await waitForMessage(h, m.id, DELIVERED);
      for (const m of messages) expect(acceptedFor(h, m.id)).toHaveLength(1);
    }, 60_000);

    // A send waiting for the throughput window must never outlive its lease (GRAPH_API_TIMEOUT_MS
    // + 5 s = 6 s), or the next round would take it for a crashed send and send it again. Here 1
    // message per second and 12 claimed together: the last ones go back to the queue instead of
    // waiting. Were they to wait, the 9th to the 12th would still be waiting when their lease and
    // then OUTBOUND_IN_DOUBT_MS ran out (7.5 s), and be sent twice. The timeout is not shorter: on a
    // loaded machine a Graph answer slower than 100 ms was taken for a lost send and sent again.
    it('sends each message once even when the throughput limit keeps it waiting longer than its lease', async () => {
      const h = await start({
        env: { WHATSAPP_THROUGHPUT_MPS: '1', GRAPH_API_TIMEOUT_MS: '1000', OUTBOUND_IN_DOUBT_MS: '1500' },
        startSender: false,
        simulator: { numbers: [{ ...DEFAULT_NUMBER, throughputMps: 1 }] },
      });
      const waIds = Array.from({ length: 12 }, (_, i) => `165055503${String(i).padStart(2, '0')}`);
      for (const waId of waIds) h.sim.customerSays(h.sim.addCustomer({ name: `Slow ${waId.slice(-2)}`, waId }), NUMBER_ID, 'hi');
      await h.waitFor(async () => (await count(h, 'messages')) === waIds.length, 10_000, 'the inbound messages to be filed');
      const messages: MessageDto[] = [];
      for (const waId of waIds) messages.push(await queued(h, { contactId: (await contactsWithPhone(h, waId))[0]!.id, type: 'text', text: { body: 'Slowly' } }));

      h.hub.sender!.start();
      await h.waitFor(() => messages.every((m) => acceptedFor(h, m.id).length >= 1), 30_000, 'every message to be accepted');
      await sleep(2_500);
      expect(messages.map((m) => acceptedFor(h, m.id).length)).toEqual(messages.map(() => 1));
    }, 45_000);

    // Meta answers in 100–300 ms, so a 1,000 mps number needs hundreds of sends waiting for their
    // answers at once, each on its own connection: with 64 the sender, not Meta, set the pace.
    it('keeps more than 64 sends waiting for Meta at once for a 1,000 mps number when Meta answers slowly', async () => {
      const h = await start({
        env: { WHATSAPP_THROUGHPUT_MPS: '1000', GRAPH_API_TIMEOUT_MS: '10000', OUTBOUND_IN_DOUBT_MS: '60000' },
        startSender: false,
        simulator: { numbers: [{ ...DEFAULT_NUMBER, throughputMps: 1000 }] },
      });
      // 45 to each of three customers: the pair limit lets 45 through at once.
      const messages: MessageDto[] = [];
      for (const waId of ['16505550401', '16505550402', '16505550403']) {
        const { contact } = await customerWritesIn(h, waId);
        for (let i = 1; i <= 45; i++) messages.push(await queued(h, { contactId: contact.id, type: 'text', text: { body: `Sale ${i}` } }));
      }
      h.sim.injectTimeout({ times: messages.length, delayMs: 2_000, endpoint: 'messages' });

      h.hub.sender!.start();
      await h.waitFor(() => h.sendAttempts().length === messages.length, 10_000, 'all 135 to reach Meta');
      const arrivals = h.sendAttempts().map((r) => r.at);
      // Each one reached Meta before Meta answered the first.
      expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeLessThan(2_000);
      await h.waitFor(() => messages.every((m) => acceptedFor(h, m.id).length === 1), 20_000, 'all 135 to be accepted once');
      expect(h.sendAttempts()).toHaveLength(messages.length);
    }, 45_000);

    // Outcomes wait a few milliseconds for the next round's commit: stopping must still record
    // every send Meta accepted, or each would be taken for a crash and resent after its lease.
    it('records the outcome of every send still in flight when the sender stops', async () => {
      const h = await start({ startSender: false });
      const messages = await sixtyQueued(h);
      const lastAccepted = new Promise<void>((resolve) => {
        const stopListening = h.sim.onMessageSent(() => {
          if (h.sim.sentMessages().length < messages.length) return;
          stopListening();
          resolve();
        });
      });
      h.hub.sender!.start();
      await lastAccepted;
      // Meta has just answered the last one; the hub has not yet read that answer.
      await h.hub.sender!.stop();

      const rows = await h.db.selectFrom('outbound_messages').select(['id', 'state', 'wamid']).where('id', 'in', messages.map((m) => m.id)).execute();
      expect(rows.filter((r) => r.state !== 'accepted')).toEqual([]);
      for (const row of rows) expect(row.wamid).toBe(acceptedFor(h, row.id)[0]!.wamid);
    }, 45_000);

    it('sends a burst of 45 to one customer at once and holds the 46th about 6 s (pair limit)', async () => {
      // The sender starts once all 46 are queued: the burst is then the sender's pace, not that of
      // 46 API calls made one after another (which a loaded machine stretches past 3 s).
      const h = await start({ startSender: false });
      const { contact } = await customerWritesIn(h, '16505550126');
      const messages: MessageDto[] = [];
      for (let i = 1; i <= 46; i++) messages.push(await queued(h, { contactId: contact.id, type: 'text', text: { body: `Update ${i}` } }));

      h.hub.sender!.start();
      await h.waitFor(async () => messages.every((m) => acceptedFor(h, m.id).length === 1), 20_000, 'all 46 to be accepted');
      // When each message was first offered to Meta, from the first one. Which message is held
      // back is not fixed: messages claimed together are sent concurrently, in no set order.
      const firstAttempts = messages.map((m) => attemptsFor(h, m.id)[0]!.at);
      const start0 = Math.min(...firstAttempts);
      const offsets = firstAttempts.map((t) => t - start0).sort((x, y) => x - y);
      expect(offsets[44], `first attempts (ms): ${offsets.join(',')}`).toBeLessThan(3_000);
      expect(offsets[45], `first attempts (ms): ${offsets.join(',')}`).toBeGreaterThanOrEqual(5_500);
      for (const m of messages) expect(acceptedFor(h, m.id)).toHaveLength(1);
      expect(h.sim.sentMessages()).toHaveLength(46);
    }, 30_000);
  });

  // -------------------------------------------------------------------------------------------
  describe('media', () => {
    it('downloads an image a customer sends and serves its exact bytes with its content type', async () => {
      const h = await start();
      const customer = h.sim.addCustomer({ name: 'Photo Sender', waId: '16505550130' });
      const photo = Buffer.concat([PNG, Buffer.from('-photo-of-a-receipt')]);
      const wamid = h.sim.customerSendsMedia(customer, 'image', photo, 'image/png', 'my receipt');
      const contact = await h.waitFor(async () => (await contactsWithPhone(h, '16505550130'))[0] ?? false, 10_000);
      const entry = await h.waitFor(async () => (await timeline(h, contact.id)).find((e) => e.wamid === wamid) ?? false, 10_000);
      const mediaId = entry.media?.id;
      expect(mediaId).toEqual(expect.any(String));

      const response = await h.waitFor(
        async () => {
          const r = await fetch(`${h.hubUrl}/api/v1/media/${mediaId}`, { headers: { authorization: `Bearer ${h.config.SWITCHBOARD_API_TOKEN}` } });
          if (r.status === 200) return r;
          // Read what is not used: an unread body keeps the connection busy.
          await r.text();
          return false;
        },
        10_000,
        'the image to be downloaded',
      );
      expect(response.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await response.arrayBuffer()).equals(photo)).toBe(true);
    });

    it('still downloads an image when the first download URL has expired', async () => {
      // Every reading of the simulator's clock moves it 5 ms on, so a 1 ms URL is always stale when fetched.
      let ticks = 0;
      const h = await start({ simulator: { mediaUrlTtlMs: 1, clock: { now: () => Date.now() + 5 * ticks++ } } });
      const customer = h.sim.addCustomer({ name: 'Slow Network', waId: '16505550131' });
      const photo = Buffer.concat([PNG, Buffer.from('-expired-first')]);
      h.sim.customerSendsMedia(customer, 'image', photo, 'image/png');

      const job = () => h.db.selectFrom('jobs').selectAll().where('name', '=', DOWNLOAD_MEDIA).executeTakeFirst();
      const failedOnce = await h.waitFor(async () => ((await job())?.attempts ?? 0) >= 1 && (await job())?.last_error ? (await job())! : false, 10_000, 'a first failed download');
      expect(failedOnce.last_error).toMatch(/404|expired/i);
      h.sim.configure({ mediaUrlTtlMs: 5 * 60_000 });

      const mediaId = (await h.db.selectFrom('media_files').select('whatsapp_media_id').executeTakeFirstOrThrow()).whatsapp_media_id;
      const response = await h.waitFor(
        async () => {
          const r = await fetch(`${h.hubUrl}/api/v1/media/${mediaId}`, { headers: { authorization: `Bearer ${h.config.SWITCHBOARD_API_TOKEN}` } });
          if (r.status === 200) return r;
          // Read what is not used: an unread body keeps the connection busy.
          await r.text();
          return false;
        },
        15_000,
        'the retried download',
      );
      expect(Buffer.from(await response.arrayBuffer()).equals(photo)).toBe(true);
    }, 30_000);

    it('uploads a PNG and sends it by id; refuses a GIF (415) and a 6 MB image (413) before calling Meta', async () => {
      const h = await start();
      const { contact } = await customerWritesIn(h, '16505550132');
      const upload = (bytes: Buffer, type: string, filename: string) => {
        const form = new FormData();
        form.append('file', new Blob([bytes], { type }), filename);
        return h.api<{ id: string; kind: string; mimeType: string; sizeBytes: number; sha256: string } & ErrorDto>('media', { method: 'POST', body: form });
      };
      const mediaRequests = () => h.graphRequests().filter((r) => r.url.endsWith('/media'));

      const uploaded = await upload(PNG, 'image/png', 'pixel.png');
      expectStatus(uploaded, 201);
      expect(uploaded.json).toEqual({ id: expect.any(String), kind: 'image', mimeType: 'image/png', sizeBytes: PNG.length, sha256: createHash('sha256').update(PNG).digest('hex') });
      expect(mediaRequests()).toHaveLength(1);

      const message = await queued(h, { contactId: contact.id, type: 'image', image: { id: uploaded.json.id, caption: 'A pixel' } });
      await waitForMessage(h, message.id, DELIVERED);
      expect(acceptedFor(h, message.id)[0]).toMatchObject({ type: 'image', request: { type: 'image', image: { id: uploaded.json.id, caption: 'A pixel' } } });

      const gif = await upload(GIF, 'image/gif', 'anim.gif');
      expectStatus(gif, 415);
      expect(gif.json.error.code).toBe('MEDIA_TYPE_UNSUPPORTED');
      const big = await upload(BIG_PNG, 'image/png', 'huge.png');
      expectStatus(big, 413);
      expect(big.json.error.code).toBe('MEDIA_TOO_LARGE');
      expect(mediaRequests()).toHaveLength(1);
      expect(await count(h, 'media_files')).toBe(1);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('numbers and read receipts', () => {
    it('marks an inbound message as read at Meta with MARK_INBOUND_AS_READ=true', async () => {
      const h = await start({ env: { MARK_INBOUND_AS_READ: 'true' } });
      const { wamid } = await customerWritesIn(h, '16505550140');
      await h.waitFor(() => h.sim.receivedMessages().find((m) => m.wamid === wamid)?.readByBusiness === true, 10_000, 'the read receipt');
      const receipts = h.graphRequests().filter((r) => (r.body as { status?: string } | undefined)?.status === 'read');
      expect(receipts).toHaveLength(1);
      expect(receipts[0]!.body).toMatchObject({ messaging_product: 'whatsapp', status: 'read', message_id: wamid });
      expect(receipts[0]!.url).toMatch(new RegExp(`/${NUMBER_ID}/messages$`));
    });

    it('replies from the number the customer wrote to, refuses an unknown `from`, and keeps the stored token sealed', async () => {
      const h = await start({ env: { SWITCHBOARD_SECRET_KEY: HUB_SECRET_KEY } });
      const second = { phoneNumberId: '228374650392818', displayPhoneNumber: '15557340193', wabaId: WABA_ID };
      const secondToken = 'second-number-access-token-6b1f0c';
      h.sim.addNumber(second);
      h.sim.addAccessToken(secondToken);

      const added = await h.api('numbers', { method: 'POST', body: JSON.stringify({ ...second, accessToken: secondToken, throughputMps: 80 }) });
      expectStatus(added, 201);
      expect(added.json).toMatchObject({ phoneNumberId: second.phoneNumberId, healthy: true, source: 'database' });
      expect(JSON.stringify(added.json)).not.toContain(secondToken);
      const listed = await h.api<{ data: { phoneNumberId: string }[] }>('numbers');
      expect(listed.json.data.map((n) => n.phoneNumberId)).toEqual([NUMBER_ID, second.phoneNumberId]);

      const { contact } = await customerWritesIn(h, '16505550141', { numberId: second.phoneNumberId });
      const withWindows = await h.api<ContactWithWindowsDto>(`contacts/${contact.id}`);
      expect(withWindows.json.serviceWindows).toEqual([expect.objectContaining({ phoneNumberId: second.phoneNumberId, open: true })]);

      const reply = await queued(h, { contactId: contact.id, type: 'text', text: { body: 'Answered from the second line' } });
      expect(reply.from).toBe(second.phoneNumberId);
      await waitForMessage(h, reply.id, DELIVERED);
      expect(acceptedFor(h, reply.id)).toEqual([expect.objectContaining({ phoneNumberId: second.phoneNumberId })]);
      expect(attemptsFor(h, reply.id)[0]!.url).toMatch(new RegExp(`/${second.phoneNumberId}/messages$`));

      const unknown = await send(h, { contactId: contact.id, from: '999000111', type: 'text', text: { body: 'From nowhere' } });
      expectStatus(unknown, 404);
      expect(unknown.json.error.code).toBe('NUMBER_NOT_FOUND');
      // The first number never heard from this customer: free-form from it is refused.
      const otherLine = await send(h, { contactId: contact.id, from: NUMBER_ID, type: 'text', text: { body: 'From the first line' } });
      expectStatus(otherLine, 422);
      expect(otherLine.json.error.code).toBe('WINDOW_CLOSED');

      const stored = await h.db.selectFrom('business_numbers').select(['phone_number_id', 'access_token_sealed']).execute();
      expect(stored.map((r) => r.phone_number_id)).toEqual([second.phoneNumberId]);
      expect(stored[0]!.access_token_sealed).not.toContain(secondToken);
      expect(stored[0]!.access_token_sealed).not.toContain(Buffer.from(secondToken).toString('base64'));
    });
  });
});

// SQLite commits skip their fsync and the WAL is fsynced on the thread pool (WalSync) before
// anyone relies on the write: the API before its 202, the sender before it calls Meta.
describe('the sender on SQLite', () => {
  it('calls Meta only once its claim of the message is on disk', async () => {
    const h = await startHubWithSimulator({ dialect: 'sqlite', simulator: { templates: TEMPLATES } });
    onTestFinished(() => h.close());
    // Every fsync of a file handle waits until the test lets it go (WalSync fsyncs the WAL so).
    const probePath = join(tmpdir(), `switchboard-sync-probe-${process.pid}`);
    const probe = await open(probePath, 'w');
    const fileHandle = Object.getPrototypeOf(probe) as { sync(this: FileHandle): Promise<void> };
    await probe.close();
    await rm(probePath);
    const realSync = fileHandle.sync;
    let holding = true;
    const held: (() => void)[] = [];
    fileHandle.sync = function (this: FileHandle) {
      if (!holding) return realSync.call(this);
      return new Promise<void>((resolve, reject) => held.push(() => void realSync.call(this).then(resolve, reject)));
    };
    onTestFinished(() => void (fileHandle.sync = realSync));

    const answer = h.api<MessageDto>('messages', { method: 'POST', body: JSON.stringify({ to: '+1 650 555 0190', ...template('order_update') }) });
    // Committed, so the sender's poll (every 250 ms) claims it; the claim is committed too, and waits for its fsync.
    const claimed = await h.waitFor(async () => (await h.db.selectFrom('outbound_messages').select('state').executeTakeFirst())?.state === 'sending', 5_000, 'the sender to claim the message');
    expect(claimed).toBe(true);
    await sleep(300);
    expect(h.sim.sentMessages()).toHaveLength(0);
    expect(held.length).toBeGreaterThan(0);

    holding = false;
    for (const release of held) release();
    const accepted = await answer;
    expectStatus(accepted, 202);
    await h.waitFor(() => h.sim.sentMessages().length === 1, 5_000, 'the message to reach Meta once its claim is on disk');
    expect(h.sim.sentMessages()[0]!.bizOpaqueCallbackData).toBe(`sb:${accepted.json.id}`);
  });
});
