import { z } from 'zod';

/**
 * The body of `POST /api/v1/messages`, checked against Meta's limits before anything is stored,
 * so that a message Meta would refuse never costs a call. Field names are ours (camelCase);
 * `toGraphMessage` turns them into Meta's.
 */
const MediaById = z.object({ id: z.string().min(1) });
const MediaByLink = z.object({ link: z.url({ protocol: /^https?$/ }) });
const mediaSource = <T extends z.ZodRawShape>(extra: T) =>
  z.union([MediaById.extend(extra).strict(), MediaByLink.extend(extra).strict()]);

const Caption = z.string().min(1).max(1024);

const Target = {
  to: z.string().min(3).max(64).optional().describe('Phone number in any format'),
  contactId: z.string().min(1).optional(),
  bsuid: z.string().min(3).max(160).optional().describe('Business-scoped user id, for users without a phone'),
  from: z.string().regex(/^\d+$/).optional().describe('Sending phone-number id; default: the number the contact last wrote to'),
  idempotencyKey: z.string().min(1).max(200).optional().describe('The same key never sends twice'),
  context: z.object({ messageId: z.string().min(1) }).optional().describe('Quote (reply to) a message by its wamid'),
};

const ReplyButton = z.object({ type: z.literal('reply'), reply: z.object({ id: z.string().min(1).max(256), title: z.string().min(1).max(20) }) });
const ListRow = z.object({ id: z.string().min(1).max(200), title: z.string().min(1).max(24), description: z.string().max(72).optional() });
const InteractiveBody = z.object({ text: z.string().min(1).max(1024) });
const InteractiveFooter = z.object({ text: z.string().min(1).max(60) }).optional();
const InteractiveHeader = z.looseObject({ type: z.enum(['text', 'image', 'video', 'document']) }).optional();

const Interactive = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('button'),
    header: InteractiveHeader,
    body: InteractiveBody,
    footer: InteractiveFooter,
    action: z.object({ buttons: z.array(ReplyButton).min(1).max(3) }),
  }),
  z.object({
    type: z.literal('list'),
    header: InteractiveHeader,
    body: InteractiveBody,
    footer: InteractiveFooter,
    action: z.object({
      button: z.string().min(1).max(20),
      sections: z
        .array(z.object({ title: z.string().max(24).optional(), rows: z.array(ListRow).min(1).max(10) }))
        .min(1)
        .max(10)
        .refine((sections) => sections.reduce((n, s) => n + s.rows.length, 0) <= 10, 'a list has at most 10 rows in all'),
    }),
  }),
  z.object({
    type: z.literal('cta_url'),
    header: InteractiveHeader,
    body: InteractiveBody,
    footer: InteractiveFooter,
    action: z.object({
      name: z.literal('cta_url'),
      parameters: z.object({ display_text: z.string().min(1).max(20), url: z.url({ protocol: /^https?$/ }) }),
    }),
  }),
]);

const TemplateComponent = z.looseObject({
  type: z.enum(['header', 'body', 'button']),
  sub_type: z.string().optional(),
  index: z.union([z.string(), z.number()]).optional(),
  parameters: z.array(z.looseObject({ type: z.string() })).optional(),
});

export const OutboundRequest = z.discriminatedUnion('type', [
  z.object({ ...Target, type: z.literal('text'), text: z.object({ body: z.string().min(1).max(4096), previewUrl: z.boolean().optional() }) }),
  z.object({ ...Target, type: z.literal('image'), image: mediaSource({ caption: Caption.optional() }) }),
  z.object({ ...Target, type: z.literal('video'), video: mediaSource({ caption: Caption.optional() }) }),
  z.object({ ...Target, type: z.literal('audio'), audio: mediaSource({}) }),
  z.object({ ...Target, type: z.literal('document'), document: mediaSource({ caption: Caption.optional(), filename: z.string().min(1).max(240).optional() }) }),
  z.object({ ...Target, type: z.literal('sticker'), sticker: mediaSource({}) }),
  z.object({
    ...Target,
    type: z.literal('location'),
    location: z.object({ latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180), name: z.string().max(1000).optional(), address: z.string().max(1000).optional() }),
  }),
  z.object({ ...Target, type: z.literal('interactive'), interactive: Interactive }),
  z.object({
    ...Target,
    type: z.literal('template'),
    template: z.object({
      name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'template names are lowercase letters, digits and _'),
      language: z
        .union([z.string().min(2).max(15), z.object({ code: z.string().min(2).max(15) })])
        .optional()
        .describe("A variant's language; default: the contact's locale, then its language, then the business default"),
      parameters: z.unknown().optional().describe('Values per component {header, body, buttons}; a bare list is the body\'s positional values'),
      mapping: z.unknown().optional().describe('Values from the contact: {"first_name": "contact.firstName", "balance": {"from": "crm.balance", "format": "currency", "currency": "USD"}}'),
      components: z.array(TemplateComponent).optional().describe("Meta's components, sent as they are (instead of parameters or mapping)"),
    }),
  }),
  z.object({ ...Target, type: z.literal('reaction'), reaction: z.object({ messageId: z.string().min(1), emoji: z.string().max(16) }) }),
]).superRefine((request, ctx) => {
  const targets = [request.to, request.contactId, request.bsuid].filter((t) => t !== undefined).length;
  if (targets !== 1) ctx.addIssue({ code: 'custom', path: ['to'], message: 'give exactly one of to, contactId or bsuid' });
});

export type OutboundRequest = z.infer<typeof OutboundRequest>;
export type OutboundType = OutboundRequest['type'];

/** The Cloud API message object (without `to`/`recipient`, which the sender adds). */
export function toGraphMessage(request: OutboundRequest): Record<string, unknown> {
  const context = request.context ? { context: { message_id: request.context.messageId } } : {};
  switch (request.type) {
    case 'text':
      return { type: 'text', text: { body: request.text.body, ...(request.text.previewUrl ? { preview_url: true } : {}) }, ...context };
    case 'image':
      return { type: 'image', image: request.image, ...context };
    case 'video':
      return { type: 'video', video: request.video, ...context };
    case 'audio':
      return { type: 'audio', audio: request.audio, ...context };
    case 'document':
      return { type: 'document', document: request.document, ...context };
    case 'sticker':
      return { type: 'sticker', sticker: request.sticker, ...context };
    case 'location':
      return { type: 'location', location: request.location, ...context };
    case 'interactive':
      return { type: 'interactive', interactive: request.interactive, ...context };
    case 'template': {
      // Normally replaced by the catalogue's prepared template (queueMessage); this is its raw form.
      const { name, language, components } = request.template;
      const code = typeof language === 'string' ? language : language?.code;
      return { type: 'template', template: { name, ...(code ? { language: { code } } : {}), ...(components ? { components } : {}) }, ...context };
    }
    case 'reaction':
      return { type: 'reaction', reaction: { message_id: request.reaction.messageId, emoji: request.reaction.emoji } };
  }
}

/** What the timeline shows as the message's text. */
export function timelineText(request: OutboundRequest): string | null {
  switch (request.type) {
    case 'text':
      return request.text.body;
    case 'image':
      return request.image.caption ?? null;
    case 'video':
      return request.video.caption ?? null;
    case 'document':
      return request.document.caption ?? null;
    case 'location':
      return request.location.name ?? null;
    case 'interactive':
      return request.interactive.body.text;
    case 'template':
      return request.template.name;
    case 'reaction':
      return request.reaction.emoji;
    default:
      return null;
  }
}

/** Pricing category of a free-form message (service); a template's comes from the catalogue. */
export function messageCategory(request: OutboundRequest): string {
  return request.type === 'template' ? 'unknown' : 'service';
}
