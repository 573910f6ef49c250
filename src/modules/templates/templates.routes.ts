import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/database.js';
import { ErrorResponse } from '../../http/error.schema.js';
import { replyError } from '../../http/reply-error.js';
import { AppError } from '../../platform/errors.js';
import { TemplateMapping, TemplateParameters } from './core/fill-parameters.js';
import { createTemplate } from './create-template.js';
import { listTemplates } from './list-templates.js';
import { previewTemplate } from './preview-template.js';
import { syncTemplates } from './sync-templates.js';
import type { StoredTemplate } from './template.repository.js';
import { templateHistory } from './template-history.js';
import type { TemplatesDeps } from './templates.deps.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const VariantResponse = z.object({
  id: z.string(),
  language: z.string(),
  status: z.string().describe('APPROVED, PENDING, REJECTED, PAUSED, DISABLED, DELETED (gone from Meta), UNKNOWN (a stub not synced yet), …'),
  category: z.string().describe('MARKETING, UTILITY or AUTHENTICATION'),
  quality: z.string().nullable().describe('GREEN, YELLOW, RED or UNKNOWN'),
  parameterFormat: z.enum(['POSITIONAL', 'NAMED']),
  components: z.array(z.record(z.string(), z.unknown())).describe("Meta's components"),
  rejectionReason: z.string().nullable(),
  metaTemplateId: z.string().nullable(),
  statusChangedAt: z.string().nullable(),
  syncedAt: z.string().nullable(),
  updatedAt: z.string(),
});

const variantResponse = (v: StoredTemplate): z.infer<typeof VariantResponse> => ({
  id: v.id,
  language: v.language,
  status: v.status,
  category: v.category,
  quality: v.quality,
  parameterFormat: v.parameterFormat,
  components: v.components,
  rejectionReason: v.rejectionReason,
  metaTemplateId: v.metaTemplateId,
  statusChangedAt: iso(v.statusChangedAt),
  syncedAt: iso(v.syncedAt),
  updatedAt: new Date(v.updatedAt).toISOString(),
});

const TemplateResponse = z.object({ name: z.string(), wabaId: z.string(), variants: z.array(VariantResponse) });

const SyncResponse = z.object({
  wabas: z.number(),
  fetched: z.number(),
  created: z.number(),
  updated: z.number(),
  unchanged: z.number(),
  deleted: z.number().describe('Variants Meta no longer lists, now marked DELETED'),
  failures: z.array(z.object({ wabaId: z.string(), code: z.string(), message: z.string() })),
});

const PreviewButton = z.object({
  type: z.string(),
  text: z.string().nullable(),
  url: z.string().optional(),
  phoneNumber: z.string().optional(),
  payload: z.string().optional(),
  code: z.string().optional(),
});

const PreviewResponse = z.object({
  language: z.string(),
  chosenBecause: z.string(),
  status: z.string(),
  sendable: z.boolean().describe('Whether a send would go out now'),
  category: z.string(),
  wabaId: z.string(),
  header: z.record(z.string(), z.unknown()).nullable(),
  body: z.string().nullable(),
  footer: z.string().nullable(),
  buttons: z.array(PreviewButton),
  graphTemplate: z.record(z.string(), z.unknown()).describe('The Cloud API template object a send would carry'),
});

const HistoryEntry = z.object({
  language: z.string(),
  wabaId: z.string(),
  kind: z.string().describe('created, synced, content, status, category, category_notice, quality'),
  previousValue: z.string().nullable(),
  newValue: z.string().nullable(),
  reason: z.string().nullable(),
  source: z.string().describe('webhook, sync or api'),
  occurredAt: z.string(),
});

export type TemplatesRouteOptions = { db: Db; deps: TemplatesDeps };

export const templatesRoutes: FastifyPluginAsyncZod<TemplatesRouteOptions> = async (app, { db, deps }) => {
  app.get(
    '/templates',
    {
      schema: {
        summary: 'The template catalogue: each template with its language variants',
        tags: ['templates'],
        querystring: z.object({
          name: z.string().optional(),
          status: z.string().optional(),
          category: z.string().optional(),
          language: z.string().optional(),
          wabaId: z.string().optional(),
        }),
        response: { 200: z.object({ data: z.array(TemplateResponse) }) },
      },
    },
    async (request) => {
      const templates = await listTemplates(db, request.query);
      return { data: templates.map((t) => ({ name: t.name, wabaId: t.wabaId, variants: t.variants.map(variantResponse) })) };
    },
  );

  app.post(
    '/templates/sync',
    {
      schema: {
        summary: "Sync the catalogue with Meta's (every page, every configured WABA)",
        description: 'Templates Meta no longer lists are marked DELETED, never removed; status, category and quality changes are recorded.',
        tags: ['templates'],
        body: z.object({ wabaId: z.string().optional() }).nullish(),
        response: { 200: SyncResponse, 422: ErrorResponse, 502: ErrorResponse },
      },
    },
    async (request, reply) => {
      const counts = await syncTemplates({ ...deps, db }, { wabaId: request.body?.wabaId });
      if (counts.wabas === 0 && counts.failures.length === 0) {
        return replyError(reply, new AppError('NUMBER_NOT_CONFIGURED', 'No WhatsApp number with a business account id is configured: there is no catalogue to sync.'));
      }
      if (counts.wabas === 0) {
        return replyError(reply, new AppError('TEMPLATE_SYNC_FAILED', `The catalogue could not be listed: ${counts.failures.map((f) => `${f.wabaId}: ${f.message}`).join('; ')}`, { failures: counts.failures }));
      }
      return counts;
    },
  );

  app.post(
    '/templates',
    {
      schema: {
        summary: 'Author a template: checked against Meta’s rules, submitted, stored as PENDING until Meta reviews it',
        description: '400 TEMPLATE_INVALID lists every violation in `details.violations` as `{path, code, message}`.',
        tags: ['templates'],
        // Loose on purpose: the rules check every field and report all violations at once.
        body: z.object({
          name: z.unknown().optional(),
          category: z.unknown().optional(),
          language: z.unknown().optional(),
          parameterFormat: z.unknown().optional().describe('POSITIONAL or NAMED; inferred from the placeholders when omitted'),
          components: z.unknown().optional().describe("Meta's components: HEADER, BODY, FOOTER, BUTTONS, with examples"),
          wabaId: z.string().optional().describe('Default: the first configured number’s WABA'),
        }),
        response: { 201: TemplateResponse, 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse, 429: ErrorResponse, 502: ErrorResponse },
      },
    },
    async (request, reply) => {
      const result = await createTemplate(request.body, { ...deps, db });
      if (!result.ok) return replyError(reply, result.error);
      const v = result.value;
      return reply.status(201).send({ name: v.name, wabaId: v.wabaId, variants: [variantResponse(v)] });
    },
  );

  app.post(
    '/templates/:name/preview',
    {
      schema: {
        summary: 'What a contact would see: the variant chosen for them and the template filled in',
        tags: ['templates'],
        params: z.object({ name: z.string() }),
        body: z.object({
          contactId: z.string().optional(),
          wabaId: z.string().optional(),
          language: z.string().optional().describe("Exactly this language; default: the contact's locale, its language, any region of it, then the business default"),
          parameters: TemplateParameters.optional(),
          mapping: TemplateMapping.optional().describe('e.g. {"first_name": "contact.firstName", "balance": {"from": "crm.balance", "format": "currency", "currency": "USD"}}'),
        }),
        response: { 200: PreviewResponse, 400: ErrorResponse, 404: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      const result = await previewTemplate({ name: request.params.name, ...request.body }, { ...deps, db });
      if (!result.ok) return replyError(reply, result.error);
      return result.value;
    },
  );

  app.get(
    '/templates/:name/history',
    {
      schema: {
        summary: "Every change of a template's variants (status, category, quality, content), with its time and source",
        tags: ['templates'],
        params: z.object({ name: z.string() }),
        querystring: z.object({ language: z.string().optional(), wabaId: z.string().optional() }),
        response: { 200: z.object({ data: z.array(HistoryEntry) }), 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const result = await templateHistory(db, { name: request.params.name, ...request.query });
      if (!result.ok) return replyError(reply, result.error);
      return {
        data: result.value.map((e) => ({
          language: e.language,
          wabaId: e.wabaId,
          kind: e.kind,
          previousValue: e.previousValue,
          newValue: e.newValue,
          reason: e.reason,
          source: e.source,
          occurredAt: new Date(e.occurredAt).toISOString(),
        })),
      };
    },
  );
};
