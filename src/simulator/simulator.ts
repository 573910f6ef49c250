/**
 * The composition root of the simulator: one call wires a fresh world (no module-level state),
 * a fastify app serving the Graph endpoints and the `/_simulator/*` control surface, and the
 * timers and webhook deliveries that `close()` cancels.
 */
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import { systemClock, type Clock } from '../platform/clock.js';
import { startAutopilot, type Autopilot } from './autopilot.js';
import { registerControlRoutes } from './control.routes.js';
import { createCustomerActions, type InteractiveReply, type MediaOptions } from './customer-actions.js';
import { createCustomerRegistry, type Customer, type CustomerRef } from './customers.js';
import { createRateLimiter } from './enforcement.js';
import { templateStatusEnvelope, type TemplateStatusUpdate } from './envelopes.js';
import { registerErrorHandlers } from './error-handlers.js';
import { SimulatorError } from './errors.js';
import { registerGraphRoutes } from './graph.routes.js';
import { createIdFactory } from './ids.js';
import { createInjections } from './injections.js';
import { createMediaStore, type MediaKind } from './media.js';
import { createRandom, randomSeed } from './prng.js';
import {
  SettingsSchema,
  type ConversationScript,
  type CustomerInput,
  type InjectErrorInput,
  type InjectTimeoutInput,
  type NumberInput,
  type PhoneNumber,
  type Settings,
  type SettingsInput,
  type TemplateSeed,
  type TemplateStatus,
} from './schemas.js';
import { sendMessage } from './send-message.js';
import { createAccessTokens, createMessageLog, createNumberRegistry, type InboundMessage, type OutboundMessage } from './state.js';
import { createStatusScheduler } from './status-scheduler.js';
import { defaultTemplateReview, type TemplateReview } from './template-create.js';
import { createTemplateStore, templateButtons, type Template } from './templates.js';
import { createTimers } from './timers.js';
import { createWebhookSender, type WebhookDelivery } from './webhook-sender.js';

export type SimulatorOptions = SettingsInput & {
  /** Bearer tokens the Graph endpoints accept. Default: `simulator-access-token`. */
  accessTokens?: string[];
  /** Default: one number with the fixtures' ids (118274650392817 / 15557340192, WABA 204857361209384). */
  numbers?: NumberInput[];
  customers?: CustomerInput[];
  templates?: TemplateSeed[];
  /** Seeds ids, duplicates, reordering and the autopilot. A fixed seed repeats wamids: use a fresh hub database per run. */
  seed?: number;
  /** Logical time: service window, rate limits, media URL expiry, timestamps. Timers still use real time. */
  clock?: Clock;
  /** Decides what happens to a created template after `templateReviewDelayMs`. */
  templateReview?: (template: Template) => TemplateReview;
  /** Fastify request logging (off by default). */
  logger?: boolean;
};

export type Simulator = {
  app: FastifyInstance;
  /** Starts listening; returns the base URL to use as the hub's GRAPH_API_BASE_URL (without version). */
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
  baseUrl(): string | null;

  settings(): Settings;
  configure(patch: SettingsInput): Settings;
  addNumber(input: NumberInput): PhoneNumber;
  numbers(): PhoneNumber[];
  addAccessToken(token: string): void;
  /** The token answers 190 (subcode 463, HTTP 401) from now on. */
  expireToken(token: string): void;

  addTemplate(seed: TemplateSeed): Template;
  templates(wabaId?: string): Template[];
  /** Changes a template's status and sends the `message_template_status_update` webhook. */
  setTemplateStatus(ref: { name: string; language: string; wabaId?: string }, status: TemplateStatus, reason?: string): Template;

  injectError(input: InjectErrorInput): void;
  injectTimeout(input: InjectTimeoutInput): void;
  clearInjections(): void;

  addCustomer(input: CustomerInput): Customer;
  customers(): Customer[];
  customer(ref: CustomerRef): Customer;
  /** Moves (or clears, with null) the customer's last message time: opens or closes the service window. */
  setLastInbound(customer: CustomerRef, numberId: string, at: number | null): void;
  /** Any inbound message: `content` is `{type, <type>: {...}, context?}` as in Meta's `messages[]`. */
  customerSends(customer: CustomerRef, numberId: string, content: Record<string, unknown> & { type: string }): string;
  customerSays(customer: CustomerRef, numberId: string, text: string): string;
  customerRepliesToButton(customer: CustomerRef, toWamid: string, button: { payload: string; text: string }): string;
  customerTapsInteractive(customer: CustomerRef, toWamid: string, reply: InteractiveReply): string;
  customerReacts(customer: CustomerRef, wamid: string, emoji: string | null): string;
  customerSendsMedia(customer: CustomerRef, kind: MediaKind, bytes: Buffer, mimeType: string, caption?: string, options?: MediaOptions): string;
  customerStops(customer: CustomerRef, numberId: string): string;
  customerResumes(customer: CustomerRef, numberId: string): void;
  startConversations(script?: ConversationScript): Autopilot;

  /** Messages the hub sent and the simulator accepted, oldest first. */
  sentMessages(): OutboundMessage[];
  /** Messages simulated customers sent. */
  receivedMessages(): InboundMessage[];
  /** Every webhook delivery with its attempts. */
  deliveries(): WebhookDelivery[];
  /** Resolves once no status or review webhook is scheduled and no delivery is pending. */
  idle(): Promise<void>;
  /** Called for each accepted message; returns an unsubscribe function. */
  onMessageSent(listener: (message: OutboundMessage) => void): () => void;
};

export const DEFAULT_NUMBER: NumberInput = { phoneNumberId: '118274650392817', displayPhoneNumber: '15557340192', wabaId: '204857361209384' };
export const DEFAULT_ACCESS_TOKEN = 'simulator-access-token';

const NESTED = ['statusDelaysMs', 'answerDelayMs', 'pairRateLimit', 'webhookRetry'] as const;

/** Patches merge into the settings given so far, one level deep for the grouped settings. */
function mergeSettings(current: SettingsInput, patch: SettingsInput): SettingsInput {
  const merged: Record<string, unknown> = { ...current, ...patch };
  for (const key of NESTED) if (patch[key]) merged[key] = { ...(current[key] ?? {}), ...patch[key] };
  return merged as SettingsInput;
}

export async function createSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const { accessTokens, numbers: numberInputs, customers: customerInputs, templates: templateSeeds, seed, clock = systemClock, templateReview, logger, ...settingsInput } = options;
  let currentInput: SettingsInput = settingsInput;
  let settings = SettingsSchema.parse(currentInput);
  const getSettings = () => settings;

  // Two streams from one seed: ids do not shift the draws that decide duplicates and reordering.
  const baseSeed = seed ?? randomSeed();
  const random = createRandom(baseSeed);
  const ids = createIdFactory(createRandom(baseSeed ^ 0x5eed1d5));
  const answerDelays = createRandom(baseSeed ^ 0x1a7e);

  const numbers = createNumberRegistry();
  for (const n of numberInputs ?? [DEFAULT_NUMBER]) numbers.add(n);
  const tokens = createAccessTokens(accessTokens ?? [DEFAULT_ACCESS_TOKEN]);
  const customers = createCustomerRegistry(ids, () => {
    // Numbers in the US 555 fiction range, unique within this simulator.
    for (;;) {
      const waId = `1555${random.digits(7)}`;
      if (!customers.byPhone(waId)) return waId;
    }
  });
  const templates = createTemplateStore(ids);
  const media = createMediaStore(ids);
  const log = createMessageLog();
  const limiter = createRateLimiter();
  const injections = createInjections();
  const scheduled = createTimers();
  const holds = createTimers();
  const autopilots = new Set<Autopilot>();
  const sentListeners = new Set<(m: OutboundMessage) => void>();
  const deliveredListeners = new Set<(m: OutboundMessage) => void>();
  let baseUrl: string | null = null;
  let closed = false;

  const sender = createWebhookSender({ target: () => ({ url: settings.webhookUrl, appSecret: settings.appSecret, retry: settings.webhookRetry }), clock });
  const scheduleStatuses = createStatusScheduler({
    settings: getSettings,
    clock,
    random,
    timers: scheduled,
    sender,
    numbers,
    customers,
    onStatus: (message, status) => {
      // The first `delivered` is when the customer can act on a message.
      if (status === 'delivered' && message.statusesSent.indexOf('delivered') === message.statusesSent.length - 1) {
        for (const listener of deliveredListeners) listener(message);
      }
    },
  });
  const actions = createCustomerActions({
    settings: getSettings,
    clock,
    ids,
    numbers,
    customers,
    media,
    log,
    sender,
    publicBaseUrl: () => settings.publicBaseUrl ?? baseUrl,
  });

  const defaultWaba = () => numbers.first().wabaId;
  for (const c of customerInputs ?? []) customers.add(c);
  for (const t of templateSeeds ?? []) templates.add(t, defaultWaba());

  const sendTemplateStatus = (template: Template, event: string, extra: Partial<TemplateStatusUpdate> = {}) => {
    sender.send(
      templateStatusEnvelope(template.wabaId, clock.now(), {
        event,
        message_template_id: Number(template.id),
        message_template_name: template.name,
        message_template_language: template.language,
        reason: 'NONE',
        message_template_category: template.category,
        ...extra,
      }),
    );
  };

  // close() must be prompt even with clients holding keep-alive connections open.
  const app = Fastify({ logger: logger ?? false, forceCloseConnections: true });
  // Multipart is registered only here, for `POST /{phone-number-id}/media`; the hub's app never sees it.
  await app.register(multipart, { limits: { fileSize: 100 * 1024 * 1024 + 1, files: 1, fields: 10 } });

  registerErrorHandlers(app, ids);

  registerGraphRoutes(app, {
    settings: getSettings,
    clock,
    ids,
    numbers,
    tokens,
    injections,
    media,
    templates,
    holds,
    answerDelayMs: () => {
      const { min, max } = settings.answerDelayMs;
      return min + answerDelays.int(max - min + 1);
    },
    send: (number, body) =>
      sendMessage(
        {
          settings: getSettings,
          clock,
          ids,
          customers,
          templates,
          limiter,
          log,
          accepted: (message) => {
            scheduleStatuses(message);
            for (const listener of sentListeners) listener(message);
          },
        },
        number,
        body,
      ),
    templateCreated: (template) => {
      scheduled.after(settings.templateReviewDelayMs, () => {
        const review = (templateReview ?? defaultTemplateReview)(template);
        templates.setStatus(template, review.status);
        if (review.status === 'APPROVED') sendTemplateStatus(template, 'APPROVED');
        else sendTemplateStatus(template, 'REJECTED', { reason: review.reason, ...(review.rejectionInfo ? { rejection_info: review.rejectionInfo } : {}) });
      });
    },
  });

  const simulator: Simulator = {
    app,
    async listen(port = 0, host = '127.0.0.1') {
      await app.listen({ port, host });
      const address = app.server.address();
      const actualPort = typeof address === 'object' && address ? address.port : port;
      baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
      return baseUrl;
    },
    async close() {
      closed = true;
      for (const autopilot of autopilots) autopilot.stop();
      autopilots.clear();
      scheduled.close();
      holds.close();
      await app.close();
      await sender.close();
    },
    baseUrl: () => baseUrl,

    settings: getSettings,
    configure(patch) {
      const next = mergeSettings(currentInput, patch);
      settings = SettingsSchema.parse(next);
      currentInput = next;
      return settings;
    },
    addNumber: (input) => numbers.add(input),
    numbers: () => numbers.all(),
    addAccessToken: (token) => tokens.add(token),
    expireToken: (token) => tokens.expire(token, clock.now()),

    addTemplate: (seed) => templates.add(seed, defaultWaba()),
    templates: (wabaId) => templates.list(wabaId),
    setTemplateStatus(ref, status, reason = 'NONE') {
      const template = templates.find(ref.wabaId ?? defaultWaba(), ref.name, ref.language);
      if (!template) throw new SimulatorError('NOT_FOUND', `no template ${ref.name} (${ref.language})`);
      templates.setStatus(template, status);
      // Meta explains pauses in `other_info` (template-status-paused.json).
      const extra: Partial<TemplateStatusUpdate> =
        status === 'PAUSED' ? { other_info: { title: 'FIRST_PAUSE', description: 'Your WhatsApp message template has been paused because of low quality.' } } : {};
      sendTemplateStatus(template, status, { reason, ...extra });
      return template;
    },

    injectError: (input) => injections.injectError(input),
    injectTimeout: (input) => injections.injectTimeout(input),
    clearInjections: () => injections.clear(),

    addCustomer: (input) => customers.add(input),
    customers: () => customers.all(),
    customer: (ref) => customers.get(ref),
    setLastInbound: (ref, numberId, at) => customers.setLastInboundAt(numbers.require(numberId).phoneNumberId, customers.get(ref), at),
    customerSends: (ref, numberId, content) => actions.send(ref, numberId, content),
    customerSays: (ref, numberId, text) => actions.says(ref, numberId, text),
    customerRepliesToButton: (ref, toWamid, button) => actions.repliesToButton(ref, toWamid, button),
    customerTapsInteractive: (ref, toWamid, reply) => actions.tapsInteractive(ref, toWamid, reply),
    customerReacts: (ref, wamid, emoji) => actions.reacts(ref, wamid, emoji),
    customerSendsMedia: (ref, kind, bytes, mimeType, caption, mediaOptions) => actions.sendsMedia(ref, kind, bytes, mimeType, caption, mediaOptions),
    customerStops: (ref, numberId) => actions.stops(ref, numberId),
    customerResumes: (ref, numberId) => actions.resumes(ref, numberId),
    startConversations(script = {}) {
      const autopilot = startAutopilot(
        {
          random,
          customers,
          numbers,
          actions,
          quickReplies: (message) => {
            const template = message.template && templates.find(numbers.require(message.phoneNumberId).wabaId, message.template.name, message.template.language);
            if (!template) return [];
            return templateButtons(template).flatMap((b, index) => (String(b.type).toUpperCase() === 'QUICK_REPLY' && typeof b.text === 'string' ? [{ index, text: b.text }] : []));
          },
          onDelivered: (listener) => {
            deliveredListeners.add(listener);
            return () => deliveredListeners.delete(listener);
          },
        },
        script,
      );
      const handle: Autopilot = {
        stop() {
          autopilot.stop();
          autopilots.delete(handle);
        },
      };
      autopilots.add(handle);
      return handle;
    },

    sentMessages: () => [...log.outbound.values()],
    receivedMessages: () => [...log.inbound.values()],
    deliveries: () => sender.deliveries(),
    async idle() {
      // A scheduled status becomes a delivery when it fires, so wait until both are quiet at once.
      while (!closed && (scheduled.pending() > 0 || sender.pending() > 0)) {
        await scheduled.idle();
        await sender.idle();
      }
    },
    onMessageSent(listener) {
      sentListeners.add(listener);
      return () => sentListeners.delete(listener);
    },
  };

  registerControlRoutes(app, simulator);
  return simulator;
}
