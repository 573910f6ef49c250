/**
 * `POST /{phone-number-id}/messages`: what the Cloud API enforces before accepting a message, and
 * what it answers (graph-send-*.json, graph-error-*.json). The order of the checks: request
 * shape (100/131009), recipient, template (132001/132015/132016/131062/132000/132012), service
 * window (131047), throughput (130429), pair rate (131056); then acceptance, with policy failures
 * that Meta reports later (131026, 131050) turned into a `failed` status webhook.
 */
import type { Clock } from '../platform/clock.js';
import type { Customer, CustomerRegistry } from './customers.js';
import { normalizePhone } from './customers.js';
import { serviceWindowOpen, type RateLimiter } from './enforcement.js';
import type { Pricing } from './envelopes.js';
import { graphError, type GraphReply } from './errors.js';
import type { IdFactory } from './ids.js';
import type { PhoneNumber, Settings } from './schemas.js';
import { parseSendRequest, type SendRequest, type TemplateContent } from './send-request.js';
import type { MessageLog, OutboundMessage } from './state.js';
import { checkTemplateParameters, type SentComponent, type Template, type TemplateStore } from './templates.js';

export type SendDeps = {
  settings: () => Settings;
  clock: Clock;
  ids: IdFactory;
  customers: CustomerRegistry;
  templates: TemplateStore;
  limiter: RateLimiter;
  log: MessageLog;
  /** Called once a message is accepted: schedules its status webhooks. */
  accepted(message: OutboundMessage): void;
};

const ok = (body: unknown): GraphReply => ({ status: 200, body });

/** Template statuses in which Meta answers "does not exist in the translation". */
const NOT_SENDABLE = new Set(['PENDING', 'REJECTED', 'IN_APPEAL', 'PENDING_DELETION', 'ARCHIVED', 'LIMIT_EXCEEDED']);

type Recipient = { customer: Customer | null; digits: string | null; kind: 'phone' | 'bsuid'; input: string; undeliverable: boolean };

export function sendMessage(deps: SendDeps, number: PhoneNumber, body: unknown): GraphReply {
  const trace = deps.ids.fbtraceId();
  const fail = (code: number, details?: string) => graphError(code, trace, details === undefined ? {} : { details });
  const settings = deps.settings();
  const now = deps.clock.now();

  const parsed = parseSendRequest(body);
  if (!parsed.ok) return fail(parsed.code, parsed.details);
  if (parsed.kind === 'mark_read') {
    const inbound = deps.log.inbound.get(parsed.messageId);
    if (!inbound || inbound.phoneNumberId !== number.phoneNumberId) return fail(100, `Param message_id (${parsed.messageId}) is not a message received on this number.`);
    // Marking one message read marks the earlier ones too (NOTES §7); the typing indicator implies it.
    for (const m of deps.log.inbound.values()) {
      if (m.phoneNumberId === inbound.phoneNumberId && m.customerId === inbound.customerId && m.at <= inbound.at) m.readByBusiness = true;
    }
    return ok({ success: true });
  }
  const request = parsed.request;

  const recipient = resolveRecipient(deps, settings, request);
  if ('error' in recipient) return fail(recipient.error, recipient.details);
  if (recipient.digits !== null && recipient.digits === number.displayPhoneNumber) return fail(131021);

  let template: Template | null = null;
  if (request.type === 'template') {
    const content = request.content as TemplateContent;
    const found = deps.templates.find(number.wabaId, content.name, content.language.code);
    if (!found || NOT_SENDABLE.has(found.status)) return fail(132001, `template name (${content.name}) does not exist in ${content.language.code}`);
    if (found.status === 'PAUSED') return fail(132015);
    if (found.status === 'DISABLED') return fail(132016);
    // One-tap, zero-tap and copy-code authentication templates cannot go to a BSUID (NOTES §0.1).
    if (found.category === 'AUTHENTICATION' && recipient.kind === 'bsuid') return fail(131062);
    const check = checkTemplateParameters(found, (content.components ?? []) as SentComponent[]);
    if (!check.ok) return fail(check.code, check.details);
    template = found;
  }

  const lastInbound = recipient.customer ? deps.customers.lastInboundAt(number.phoneNumberId, recipient.customer) : null;
  const windowOpen = serviceWindowOpen(lastInbound, now, settings.serviceWindowMs);
  let failureCode: number | null = null;
  if (!template && !windowOpen) {
    if (!settings.asyncFailures.includes(131047)) return fail(131047);
    failureCode = 131047;
  }

  if (!deps.limiter.takeThroughput(number.phoneNumberId, number.throughputMps, now)) return fail(130429);
  const pairKey = recipient.customer?.id ?? recipient.digits ?? recipient.input;
  if (!deps.limiter.takePair(number.phoneNumberId, pairKey, settings.pairRateLimit, now)) return fail(131056);

  if (recipient.undeliverable) {
    if (!settings.asyncFailures.includes(131026)) return fail(131026);
    failureCode ??= 131026;
  }
  if (template?.category === 'MARKETING' && recipient.customer && deps.customers.isOptedOut(number.wabaId, recipient.customer)) {
    if (!settings.asyncFailures.includes(131050)) return fail(131050);
    failureCode ??= 131050;
  }

  const wamid = deps.ids.wamid('outbound', recipient.customer?.waId ?? recipient.digits);
  const message: OutboundMessage = {
    wamid,
    phoneNumberId: number.phoneNumberId,
    customerId: recipient.customer?.id ?? null,
    input: recipient.input,
    recipientKind: recipient.kind,
    type: request.type,
    request: body as Record<string, unknown>,
    template: template ? { name: template.name, language: template.language, category: template.category } : null,
    bizOpaqueCallbackData: request.biz_opaque_callback_data ?? null,
    pricing: pricingOf(template, windowOpen),
    acceptedAt: now,
    failureCode,
    statusesSent: [],
  };
  deps.log.outbound.set(wamid, message);
  if (recipient.customer) deps.customers.setLastNumber(recipient.customer, number.phoneNumberId);
  deps.accepted(message);

  return ok({
    messaging_product: 'whatsapp',
    contacts: [
      recipient.kind === 'phone'
        ? { input: recipient.input, wa_id: recipient.customer?.waId ?? recipient.digits }
        : { input: recipient.input, user_id: recipient.customer?.bsuid ?? recipient.input },
    ],
    // `message_status` appears on template sends (pacing): accepted, held_for_quality_assessment, paused.
    messages: [{ id: wamid, ...(template ? { message_status: template.messageStatus } : {}) }],
  });
}

/** `to` wins over `recipient` when both are given (NOTES §0.1). */
function resolveRecipient(deps: SendDeps, settings: Settings, request: SendRequest): Recipient | { error: number; details: string } {
  if (request.to !== undefined) {
    const digits = normalizePhone(request.to);
    if (!digits) return { error: 100, details: `Param to (${request.to}) is not a valid phone number.` };
    let customer = deps.customers.byPhone(digits) ?? null;
    if (!customer && settings.unknownRecipients === 'accept' && !settings.undeliverableNumbers.some((n) => normalizePhone(n) === digits)) {
      customer = deps.customers.add({ waId: digits, name: `WhatsApp user ${digits.slice(-4)}` });
    }
    const undeliverable = !customer || customer.notOnWhatsApp || settings.undeliverableNumbers.some((n) => normalizePhone(n) === digits);
    return { customer, digits, kind: 'phone', input: request.to, undeliverable };
  }
  const bsuid = request.recipient as string;
  const customer = deps.customers.byBsuid(bsuid) ?? null;
  // A BSUID nobody registered cannot be invented into a user: it is undeliverable.
  return { customer, digits: null, kind: 'bsuid', input: bsuid, undeliverable: !customer || customer.notOnWhatsApp };
}

/**
 * Per-message pricing (PMP, NOTES §5 and §12): templates are billed in their category, except
 * utility templates inside an open service window; free-form messages are free service messages.
 */
function pricingOf(template: Template | null, windowOpen: boolean): Pricing {
  if (!template) return { billable: false, pricing_model: 'PMP', type: 'free_customer_service', category: 'service' };
  const category = template.category.toLowerCase();
  const free = category === 'utility' && windowOpen;
  return { billable: !free, pricing_model: 'PMP', type: free ? 'free_customer_service' : 'regular', category };
}
