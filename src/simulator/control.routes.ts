/**
 * `/_simulator/*`: the control surface over HTTP, for the CLI, demos and tests in other processes.
 * Same operations and the same input schemas as the in-process methods. Not authenticated: the
 * simulator is a local development tool and listens on 127.0.0.1 by default.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  ConversationScriptSchema,
  CustomerInputSchema,
  InjectErrorSchema,
  InjectTimeoutSchema,
  NumberInputSchema,
  type SettingsInput,
  TemplateSeedSchema,
  TemplateStatusSchema,
} from './schemas.js';
import type { Simulator } from './simulator.js';
import type { Autopilot } from './autopilot.js';
import { publicTemplate } from './templates.js';

const Params = z.object({ ref: z.string() });

const SaysSchema = z.object({ numberId: z.string().optional(), text: z.string().min(1) });
const SendSchema = z.object({ numberId: z.string().optional(), message: z.looseObject({ type: z.string() }) });
const ButtonReplySchema = z.object({ toWamid: z.string(), payload: z.string(), text: z.string() });
const InteractiveReplySchema = z.union([
  z.object({ toWamid: z.string(), buttonReply: z.object({ id: z.string(), title: z.string() }) }),
  z.object({ toWamid: z.string(), listReply: z.object({ id: z.string(), title: z.string(), description: z.string().optional() }) }),
]);
const ReactionSchema = z.object({ wamid: z.string(), emoji: z.string().nullable() });
const MediaSchema = z.object({
  kind: z.enum(['image', 'video', 'audio', 'document', 'sticker']),
  /** The file, base64-encoded. */
  data: z.base64(),
  mimeType: z.string().min(1),
  caption: z.string().optional(),
  filename: z.string().optional(),
  voice: z.boolean().optional(),
  animated: z.boolean().optional(),
  numberId: z.string().optional(),
});
const NumberRefSchema = z.object({ numberId: z.string().optional() });
const WindowSchema = z.object({ numberId: z.string().optional(), lastInboundAt: z.number().int().nullable() });
const TemplateStatusChangeSchema = z.object({ name: z.string(), language: z.string(), wabaId: z.string().optional(), status: TemplateStatusSchema, reason: z.string().optional() });
const TokenSchema = z.object({ token: z.string().min(1) });

export function registerControlRoutes(app: FastifyInstance, sim: Simulator): void {
  const firstNumber = () => sim.numbers()[0]?.phoneNumberId ?? '';
  let autopilot: Autopilot | null = null;

  app.get('/_simulator/state', async () => ({
    baseUrl: sim.baseUrl(),
    settings: { ...sim.settings(), appSecret: '[redacted]' },
    numbers: sim.numbers(),
    customers: sim.customers(),
    templates: sim.templates().map((t) => ({ wabaId: t.wabaId, ...publicTemplate(t) })),
    autopilot: autopilot !== null,
  }));

  app.patch('/_simulator/config', async (request) => {
    // Validated by `configure` once merged with the current settings (a partial schema would fill in defaults).
    const patch = z.record(z.string(), z.unknown()).parse(request.body ?? {}) as SettingsInput;
    const settings = sim.configure(patch);
    return { ...settings, appSecret: '[redacted]' };
  });

  app.post('/_simulator/numbers', async (request, reply) => reply.code(201).send(sim.addNumber(NumberInputSchema.parse(request.body))));
  app.post('/_simulator/tokens', async (request) => {
    sim.addAccessToken(TokenSchema.parse(request.body).token);
    return { ok: true };
  });
  app.post('/_simulator/tokens/expire', async (request) => {
    sim.expireToken(TokenSchema.parse(request.body).token);
    return { ok: true };
  });

  app.get('/_simulator/templates', async () => sim.templates().map((t) => ({ wabaId: t.wabaId, ...publicTemplate(t) })));
  app.post('/_simulator/templates', async (request, reply) => {
    const t = sim.addTemplate(TemplateSeedSchema.parse(request.body));
    return reply.code(201).send({ wabaId: t.wabaId, ...publicTemplate(t) });
  });
  app.post('/_simulator/templates/status', async (request) => {
    const body = TemplateStatusChangeSchema.parse(request.body);
    const ref = { name: body.name, language: body.language, ...(body.wabaId ? { wabaId: body.wabaId } : {}) };
    return publicTemplate(sim.setTemplateStatus(ref, body.status, body.reason));
  });

  app.post('/_simulator/errors', async (request, reply) => {
    sim.injectError(InjectErrorSchema.parse(request.body));
    return reply.code(201).send({ ok: true });
  });
  app.post('/_simulator/timeouts', async (request, reply) => {
    sim.injectTimeout(InjectTimeoutSchema.parse(request.body));
    return reply.code(201).send({ ok: true });
  });
  app.delete('/_simulator/errors', async () => {
    sim.clearInjections();
    return { ok: true };
  });

  app.get('/_simulator/customers', async () => sim.customers());
  app.post('/_simulator/customers', async (request, reply) => reply.code(201).send(sim.addCustomer(CustomerInputSchema.parse(request.body))));
  app.get('/_simulator/customers/:ref', async (request) => sim.customer(Params.parse(request.params).ref));

  const action = (path: string, run: (ref: string, body: unknown) => string | void) =>
    app.post(`/_simulator/customers/:ref/${path}`, async (request) => {
      const wamid = run(Params.parse(request.params).ref, request.body ?? {});
      return wamid === undefined ? { ok: true } : { wamid };
    });

  action('says', (ref, body) => {
    const b = SaysSchema.parse(body);
    return sim.customerSays(ref, b.numberId ?? firstNumber(), b.text);
  });
  action('sends', (ref, body) => {
    const b = SendSchema.parse(body);
    return sim.customerSends(ref, b.numberId ?? firstNumber(), b.message);
  });
  action('button-reply', (ref, body) => {
    const b = ButtonReplySchema.parse(body);
    return sim.customerRepliesToButton(ref, b.toWamid, { payload: b.payload, text: b.text });
  });
  action('interactive-reply', (ref, body) => {
    const b = InteractiveReplySchema.parse(body);
    return sim.customerTapsInteractive(ref, b.toWamid, 'buttonReply' in b ? { buttonReply: b.buttonReply } : { listReply: b.listReply });
  });
  action('reaction', (ref, body) => {
    const b = ReactionSchema.parse(body);
    return sim.customerReacts(ref, b.wamid, b.emoji);
  });
  action('media', (ref, body) => {
    const b = MediaSchema.parse(body);
    const { kind, data, mimeType, caption, ...options } = b;
    const mediaOptions = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    return sim.customerSendsMedia(ref, kind, Buffer.from(data, 'base64'), mimeType, caption, mediaOptions);
  });
  action('stop', (ref, body) => sim.customerStops(ref, NumberRefSchema.parse(body).numberId ?? firstNumber()));
  action('resume', (ref, body) => sim.customerResumes(ref, NumberRefSchema.parse(body).numberId ?? firstNumber()));
  action('window', (ref, body) => {
    const b = WindowSchema.parse(body);
    sim.setLastInbound(ref, b.numberId ?? firstNumber(), b.lastInboundAt);
  });

  app.post('/_simulator/autopilot/start', async (request) => {
    autopilot?.stop();
    autopilot = sim.startConversations(ConversationScriptSchema.parse(request.body ?? {}));
    return { ok: true };
  });
  app.post('/_simulator/autopilot/stop', async () => {
    autopilot?.stop();
    autopilot = null;
    return { ok: true };
  });

  // Without this, `/_simulator/x` would match the Graph route `/:version/:objectId`.
  app.all('/_simulator/*', async (request, reply) =>
    reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no control endpoint ${request.method} ${request.url}` } }),
  );

  app.get('/_simulator/messages', async () => ({ sent: sim.sentMessages(), received: sim.receivedMessages() }));
  app.get('/_simulator/webhooks', async () =>
    sim.deliveries().map((d) => ({ id: d.id, field: d.field, state: d.state, attempts: d.attempts, body: d.body })),
  );
}
