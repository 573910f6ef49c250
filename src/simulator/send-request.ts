/**
 * The body of `POST /{phone-number-id}/messages`, checked the way the Cloud API checks it
 * (NOTES §7): a missing or mistyped field is error 100 ("Param text['body'] is required."), a
 * value out of range is 131009 ("Parameter value is not valid"). Unknown fields are tolerated.
 */
import { z } from 'zod';

const text = (max: number) => z.string().min(1).max(max);
const numeric = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/).transform(Number)]);

const MediaSchema = z
  .looseObject({
    id: z.string().min(1).optional(),
    link: z.url({ protocol: /^https?$/ }).optional(),
    caption: z.string().max(1024).optional(),
    filename: z.string().min(1).max(240).optional(),
  })
  .refine((m) => (m.id === undefined) !== (m.link === undefined), { message: 'must have exactly one of id or link', path: ['id'] });

const ReplyButtonsSchema = z.looseObject({
  buttons: z
    .array(z.looseObject({ type: z.literal('reply'), reply: z.looseObject({ id: text(256), title: text(20) }) }))
    .min(1)
    .max(3),
});

const ListActionSchema = z
  .looseObject({
    button: text(20),
    sections: z
      .array(
        z.looseObject({
          title: z.string().max(24).optional(),
          rows: z.array(z.looseObject({ id: text(200), title: text(24), description: z.string().max(72).optional() })).min(1).max(10),
        }),
      )
      .min(1)
      .max(10),
  })
  .refine((a) => a.sections.reduce((n, s) => n + s.rows.length, 0) <= 10, { message: 'must have at most 10 rows in total', path: ['sections'] });

const CtaUrlActionSchema = z.looseObject({
  name: z.literal('cta_url'),
  parameters: z.looseObject({ display_text: text(20), url: z.url({ protocol: /^https?$/ }) }),
});

const Body = z.looseObject({ text: text(1024) });
const Footer = z.looseObject({ text: text(60) }).optional();

const InteractiveSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('button'), body: Body, footer: Footer, action: ReplyButtonsSchema }),
  z.looseObject({ type: z.literal('list'), body: Body, footer: Footer, action: ListActionSchema }),
  z.looseObject({ type: z.literal('cta_url'), body: Body, footer: Footer, action: CtaUrlActionSchema }),
  // Flows, catalog and the rest are accepted as long as they carry an action.
  z.looseObject({
    type: z.enum([
      'flow', 'product', 'product_list', 'catalog_message', 'location_request_message', 'call_permission_request',
      'request_contact_info', 'order_details', 'order_status',
    ]),
    action: z.looseObject({}),
  }),
]);

const TemplateSchema = z.looseObject({
  name: z.string().min(1),
  language: z.looseObject({ code: z.string().min(2), policy: z.literal('deterministic').optional() }),
  components: z
    .array(
      z.looseObject({
        type: z.string().transform((s) => s.toLowerCase()).pipe(z.enum(['header', 'body', 'button', 'carousel', 'limited_time_offer', 'order_status'])),
        sub_type: z.string().optional(),
        index: z.union([z.string(), z.number()]).optional(),
        parameters: z.array(z.looseObject({ type: z.string() })).optional(),
      }),
    )
    .optional(),
});

const CONTENT_SCHEMAS = {
  text: z.looseObject({ body: text(4096), preview_url: z.boolean().optional() }),
  image: MediaSchema,
  video: MediaSchema,
  audio: MediaSchema,
  document: MediaSchema,
  sticker: MediaSchema,
  location: z.looseObject({
    latitude: numeric.pipe(z.number().min(-90).max(90)),
    longitude: numeric.pipe(z.number().min(-180).max(180)),
    name: z.string().optional(),
    address: z.string().optional(),
  }),
  contacts: z.array(z.looseObject({ name: z.looseObject({ formatted_name: z.string().min(1) }) })).min(1),
  interactive: InteractiveSchema,
  template: TemplateSchema,
  // An empty emoji removes the reaction.
  reaction: z.looseObject({ message_id: z.string().min(1), emoji: z.string() }),
} as const;

export type MessageType = keyof typeof CONTENT_SCHEMAS;
export const MESSAGE_TYPES = Object.keys(CONTENT_SCHEMAS) as MessageType[];

const EnvelopeSchema = z.looseObject({
  messaging_product: z.literal('whatsapp'),
  recipient_type: z.enum(['individual', 'group']).optional(),
  to: z.string().min(1).optional(),
  recipient: z.string().min(1).optional(),
  type: z.string().optional(),
  context: z.looseObject({ message_id: z.string().min(1) }).optional(),
  biz_opaque_callback_data: z.string().max(512).optional(),
});

const MarkReadSchema = z.looseObject({
  messaging_product: z.literal('whatsapp'),
  status: z.literal('read'),
  message_id: z.string().min(1),
  typing_indicator: z.looseObject({ type: z.literal('text') }).optional(),
});

type Envelope = z.infer<typeof EnvelopeSchema>;
export type SendRequest = Pick<Envelope, 'messaging_product' | 'recipient_type' | 'to' | 'recipient' | 'context' | 'biz_opaque_callback_data'> & {
  type: MessageType;
  content: Record<string, unknown>;
};
export type TemplateContent = z.infer<typeof TemplateSchema>;

export type ParsedSend =
  | { ok: true; kind: 'message'; request: SendRequest }
  | { ok: true; kind: 'mark_read'; messageId: string; typing: boolean }
  | { ok: false; code: 100 | 131009; details: string };

/** `['interactive','action','buttons',0]` → `interactive['action']['buttons'][0]`, Meta's way of naming a param. */
function paramName(path: PropertyKey[]): string {
  const [head, ...rest] = path.map(String);
  return `${head ?? 'body'}${rest.map((p) => (/^\d+$/.test(p) ? `[${p}]` : `['${p}']`)).join('')}`;
}

function failure(error: z.ZodError, prefix: PropertyKey[], input: unknown): ParsedSend {
  const issue = error.issues[0] as z.ZodError['issues'][number];
  const path = [...prefix, ...issue.path];
  const value = issue.path.reduce<unknown>((v, key) => (typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined), input);
  const name = paramName(path);
  if (value === undefined) return { ok: false, code: 100, details: `Param ${name} is required.` };
  if (issue.code === 'invalid_type' || issue.code === 'invalid_union' || issue.code === 'invalid_value') {
    return { ok: false, code: 100, details: `Param ${name} is invalid: ${issue.message}.` };
  }
  return { ok: false, code: 131009, details: `Param ${name} is not valid: ${issue.message}` };
}

export function parseSendRequest(body: unknown): ParsedSend {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, code: 100, details: 'The request body must be a JSON object.' };
  const record = body as Record<string, unknown>;
  if (record['status'] !== undefined) {
    const read = MarkReadSchema.safeParse(body);
    if (!read.success) return failure(read.error, [], body);
    return { ok: true, kind: 'mark_read', messageId: read.data.message_id, typing: read.data.typing_indicator !== undefined };
  }
  const envelope = EnvelopeSchema.safeParse(body);
  if (!envelope.success) return failure(envelope.error, [], body);
  const request = envelope.data;
  if (request.to === undefined && request.recipient === undefined) return { ok: false, code: 100, details: 'Param to is required.' };
  if (request.recipient_type === 'group') return { ok: false, code: 100, details: 'Param recipient_type: groups are not supported by this simulator.' };
  // Meta defaults a missing `type` to text; its own examples also omit it for interactive
  // messages, so when exactly one content object is present, that one is the type.
  const present = MESSAGE_TYPES.filter((t) => record[t] !== undefined);
  const typeName = request.type ?? (present.length === 1 ? (present[0] as string) : 'text');
  if (!(MESSAGE_TYPES as string[]).includes(typeName)) return { ok: false, code: 100, details: `Param type must be one of {${MESSAGE_TYPES.join(', ')}}.` };
  const type = typeName as MessageType;
  const content = CONTENT_SCHEMAS[type].safeParse(record[type]);
  if (!content.success) return failure(content.error, [type], record[type]);
  return { ok: true, kind: 'message', request: { ...request, type, content: content.data as Record<string, unknown> } };
}
