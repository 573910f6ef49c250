/**
 * What simulated customers do, turned into the inbound webhooks Meta would send (fixture shapes:
 * inbound-*.json, user-preferences-*.json). Every message opens (or renews) the 24 h service
 * window between that customer and that business number.
 */
import type { Clock } from '../platform/clock.js';
import type { Customer, CustomerRef, CustomerRegistry } from './customers.js';
import { inboundMessageEnvelope, userPreferencesEnvelope } from './envelopes.js';
import { SimulatorError } from './errors.js';
import type { IdFactory } from './ids.js';
import type { MediaKind, MediaStore } from './media.js';
import type { Settings } from './schemas.js';
import type { MessageLog, NumberRegistry } from './state.js';
import type { WebhookSender } from './webhook-sender.js';

export type InteractiveReply =
  | { buttonReply: { id: string; title: string } }
  | { listReply: { id: string; title: string; description?: string } };

export type MediaOptions = {
  /** The business number written to; the customer's last one (or the first number) when omitted. */
  numberId?: string;
  caption?: string;
  filename?: string;
  /** Audio: a voice note (`voice: true`). */
  voice?: boolean;
  /** Sticker: animated. */
  animated?: boolean;
};

export type CustomerActions = {
  /** Any message: `content` is `{type, <type>: {...}, context?}` as Meta puts it in `messages[]`. */
  send(customer: CustomerRef, numberId: string, content: Record<string, unknown> & { type: string }): string;
  says(customer: CustomerRef, numberId: string, text: string): string;
  repliesToButton(customer: CustomerRef, toWamid: string, button: { payload: string; text: string }): string;
  tapsInteractive(customer: CustomerRef, toWamid: string, reply: InteractiveReply): string;
  reacts(customer: CustomerRef, wamid: string, emoji: string | null): string;
  sendsMedia(customer: CustomerRef, kind: MediaKind, bytes: Buffer, mimeType: string, caption?: string, options?: MediaOptions): string;
  stops(customer: CustomerRef, numberId: string): string;
  resumes(customer: CustomerRef, numberId: string): void;
};

export type CustomerActionsDeps = {
  settings: () => Settings;
  clock: Clock;
  ids: IdFactory;
  numbers: NumberRegistry;
  customers: CustomerRegistry;
  media: MediaStore;
  log: MessageLog;
  sender: WebhookSender;
  /** Where webhook media `url`s point (null: no `url`, as before Meta's 2025 rollout). */
  publicBaseUrl: () => string | null;
};

export function createCustomerActions(deps: CustomerActionsDeps): CustomerActions {
  const active = (ref: CustomerRef): Customer => {
    const customer = deps.customers.get(ref);
    if (customer.notOnWhatsApp) throw new SimulatorError('BAD_REQUEST', `customer ${customer.id} is not on WhatsApp`);
    return customer;
  };

  /** The business message a customer answers: it fixes the number and the `context`. */
  const businessMessage = (customer: Customer, wamid: string) => {
    const message = deps.log.outbound.get(wamid);
    if (!message) throw new SimulatorError('NOT_FOUND', `no message ${wamid} was sent by the business`);
    if (message.customerId !== customer.id) throw new SimulatorError('BAD_REQUEST', `message ${wamid} was not sent to customer ${customer.id}`);
    const number = deps.numbers.require(message.phoneNumberId);
    return { number, context: { from: number.displayPhoneNumber, id: wamid } };
  };

  const send: CustomerActions['send'] = (ref, numberId, content) => {
    const customer = active(ref);
    const number = deps.numbers.require(numberId);
    const now = deps.clock.now();
    const wamid = deps.ids.wamid('inbound', customer.waId);
    deps.log.inbound.set(wamid, { wamid, phoneNumberId: number.phoneNumberId, customerId: customer.id, type: content.type, at: now, readByBusiness: false });
    deps.customers.setLastInboundAt(number.phoneNumberId, customer, now);
    deps.customers.setLastNumber(customer, number.phoneNumberId);
    deps.sender.send(inboundMessageEnvelope(number, customer, wamid, now, content));
    return wamid;
  };

  const defaultNumber = (customer: Customer) => deps.customers.lastNumber(customer) ?? deps.numbers.first().phoneNumberId;

  return {
    send,
    says: (customer, numberId, text) => send(customer, numberId, { type: 'text', text: { body: text } }),

    repliesToButton(ref, toWamid, button) {
      const customer = active(ref);
      const { number, context } = businessMessage(customer, toWamid);
      // A template quick-reply tap arrives as `type: button` (inbound-button-template-quick-reply.json).
      return send(customer, number.phoneNumberId, { type: 'button', button: { payload: button.payload, text: button.text }, context });
    },

    tapsInteractive(ref, toWamid, reply) {
      const customer = active(ref);
      const { number, context } = businessMessage(customer, toWamid);
      const interactive =
        'buttonReply' in reply
          ? { type: 'button_reply', button_reply: { id: reply.buttonReply.id, title: reply.buttonReply.title } }
          : { type: 'list_reply', list_reply: { ...reply.listReply } };
      return send(customer, number.phoneNumberId, { type: 'interactive', interactive, context });
    },

    reacts(ref, wamid, emoji) {
      const customer = active(ref);
      const target = deps.log.outbound.get(wamid) ?? deps.log.inbound.get(wamid);
      if (!target) throw new SimulatorError('NOT_FOUND', `no message ${wamid}`);
      // Removing a reaction: Meta omits `emoji` (inbound-reaction-removed.json).
      const reaction = emoji ? { message_id: wamid, emoji } : { message_id: wamid };
      return send(customer, target.phoneNumberId, { type: 'reaction', reaction });
    },

    sendsMedia(ref, kind, bytes, mimeType, caption, options = {}) {
      const customer = active(ref);
      const numberId = options.numberId ?? defaultNumber(customer);
      const stored = deps.media.put({ bytes, mimeType, filename: options.filename ?? null, phoneNumberId: numberId });
      const base = deps.publicBaseUrl();
      const url = base ? deps.media.issueUrl(stored.id, base, deps.clock.now(), deps.settings().mediaUrlTtlMs) : null;
      const object: Record<string, unknown> = {
        ...(caption !== undefined && kind !== 'audio' && kind !== 'sticker' ? { caption } : {}),
        ...(kind === 'document' ? { filename: options.filename ?? 'document' } : {}),
        mime_type: mimeType,
        // Webhooks carry the SHA-256 in base64 (inbound-image.json).
        sha256: stored.sha256Base64,
        id: stored.id,
        ...(url ? { url } : {}),
        ...(kind === 'audio' ? { voice: options.voice ?? false } : {}),
        ...(kind === 'sticker' ? { animated: options.animated ?? false } : {}),
      };
      return send(customer, numberId, { type: kind, [kind]: object });
    },

    stops(ref, numberId) {
      const customer = active(ref);
      const number = deps.numbers.require(numberId);
      // The user types STOP (a normal message the hub sees) and WhatsApp records the opt-out,
      // which Meta reports separately as a `user_preferences` webhook.
      const wamid = send(customer, numberId, { type: 'text', text: { body: 'STOP' } });
      deps.customers.setOptedOut(number.wabaId, customer, true);
      deps.sender.send(userPreferencesEnvelope(number, customer, 'stop', deps.clock.now()));
      return wamid;
    },

    resumes(ref, numberId) {
      const customer = active(ref);
      const number = deps.numbers.require(numberId);
      // Resuming happens in WhatsApp's business profile, not by a message: only the preference webhook.
      deps.customers.setOptedOut(number.wabaId, customer, false);
      deps.sender.send(userPreferencesEnvelope(number, customer, 'resume', deps.clock.now()));
    },
  };
}
