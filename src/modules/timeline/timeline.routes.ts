import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/database.js';
import { ErrorResponse } from '../../http/error.schema.js';
import { replyError } from '../../http/reply-error.js';
import { contactRepository } from '../contacts/index.js';
import { getTimeline } from './get-timeline.js';

const TimelineEntryResponse = z.object({
  id: z.string(),
  wamid: z.string().nullable().describe("Meta's message id; null while an outbound message is queued"),
  direction: z.enum(['inbound', 'outbound']),
  type: z.string(),
  text: z.string().nullable(),
  status: z.string().nullable().describe('sent, delivered, read, played or failed; null for inbound'),
  error: z.object({ code: z.number(), title: z.string(), details: z.string().nullable() }).nullable(),
  timestamp: z.string().describe("ISO 8601, WhatsApp's own time"),
  media: z.unknown(),
  content: z.unknown().describe('Type-specific content: location, contacts, button or list reply, order, …'),
  context: z.unknown(),
  referral: z.unknown(),
  pricing: z.unknown(),
  reactions: z.array(z.object({ emoji: z.string(), from: z.literal('contact'), timestamp: z.string() })),
});

export const timelineRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/contacts/:id/timeline',
    {
      schema: {
        summary: "A contact's messages, statuses and reactions, newest last",
        description: 'Returns the latest entries; pass `nextCursor` as `cursor` to get the entries before them.',
        tags: ['timeline'],
        params: z.object({ id: z.string() }),
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50), cursor: z.string().optional() }),
        response: { 200: z.object({ data: z.array(TimelineEntryResponse), nextCursor: z.string().nullable() }), 400: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const contact = await contactRepository.findById(db, request.params.id);
      if (!contact) return replyError(reply, { code: 'CONTACT_NOT_FOUND', message: `No contact ${request.params.id}.` });
      const page = await getTimeline(db, contact.id, request.query);
      if (!page.ok) return replyError(reply, page.error);
      return page.value;
    },
  );
};
