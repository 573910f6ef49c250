import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/database.js';
import { ErrorResponse } from '../../http/error.schema.js';
import { replyError } from '../../http/reply-error.js';
import type { Clock } from '../../platform/clock.js';
import type { IdGenerator } from '../../platform/ids.js';
import { requireRole } from './principal.js';
import { quickReplyRepository } from './quick-reply.repository.js';

const QuickReplyResponse = z.object({ id: z.string(), shortcut: z.string(), text: z.string() });

export const quickRepliesRoutes: FastifyPluginAsyncZod<{ db: Db; clock: Clock; ids: IdGenerator }> = async (app, { db, clock, ids }) => {
  const adminOnly = requireRole('admin');

  app.get(
    '/quick-replies',
    { schema: { summary: 'Saved replies, by shortcut', tags: ['inbox'], response: { 200: z.object({ items: z.array(QuickReplyResponse) }) } } },
    async () => ({ items: await quickReplyRepository.list(db) }),
  );

  app.post(
    '/quick-replies',
    {
      preHandler: adminOnly,
      schema: {
        summary: 'Save a reply under a shortcut (admins only)',
        tags: ['inbox'],
        body: z.object({
          shortcut: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'letters, digits, - and _, up to 32'),
          text: z.string().trim().min(1).max(4096),
        }),
        response: { 201: QuickReplyResponse, 400: ErrorResponse, 403: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request, reply) => {
      const quickReply = { id: ids.next(), shortcut: request.body.shortcut.toLowerCase(), text: request.body.text };
      if (!(await quickReplyRepository.insert(db, quickReply, clock.now()))) {
        return replyError(reply, { code: 'QUICK_REPLY_SHORTCUT_TAKEN', message: `The shortcut ${quickReply.shortcut} is taken.` });
      }
      return reply.status(201).send(quickReply);
    },
  );

  app.delete(
    '/quick-replies/:id',
    {
      preHandler: adminOnly,
      schema: { summary: 'Delete a saved reply (admins only)', tags: ['inbox'], params: z.object({ id: z.string() }), response: { 204: z.null(), 403: ErrorResponse, 404: ErrorResponse } },
    },
    async (request, reply) => {
      if (!(await quickReplyRepository.delete(db, request.params.id))) return replyError(reply, { code: 'QUICK_REPLY_NOT_FOUND', message: `No quick reply ${request.params.id}.` });
      return reply.status(204).send(null);
    },
  );
};
