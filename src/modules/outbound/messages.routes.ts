import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/database.js';
import { ErrorResponse } from '../../http/error.schema.js';
import { replyError } from '../../http/reply-error.js';
import { OutboundRequest } from './core/outbound-request.js';
import { outboxRepository } from './outbox.repository.js';
import { queueMessage, type QueueMessageDeps } from './queue-message.js';
import { readMessageView } from './read-message-view.js';

const MessageResponse = z.object({
  id: z.string(),
  contactId: z.string(),
  from: z.string().describe('Sending phone-number id'),
  to: z.string().describe('wa_id, phone digits or BSUID'),
  type: z.string(),
  category: z.string().describe('service for free-form messages; marketing, utility or authentication for templates'),
  template: z.object({ name: z.string(), language: z.string().nullable() }).nullable().describe('The template variant chosen'),
  status: z.string(),
  wamid: z.string().nullable(),
  idempotencyKey: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const messagesRoutes: FastifyPluginAsyncZod<{ db: Db; deps: QueueMessageDeps }> = async (app, { db, deps }) => {
  app.post(
    '/messages',
    {
      schema: {
        summary: 'Send a message: text, media, location, interactive, template or reaction',
        description:
          'Stored in the outbox and answered 202 with `status: "queued"`; the sender delivers it within Meta\'s limits. ' +
          'Free-form messages need the 24-hour customer-service window (422 WINDOW_CLOSED otherwise). ' +
          'A repeated `idempotencyKey` answers with the message it first created and sends nothing.',
        tags: ['messages'],
        body: OutboundRequest,
        response: { 200: MessageResponse, 202: MessageResponse, 400: ErrorResponse, 404: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      const result = await queueMessage(request.body, deps);
      if (!result.ok) return replyError(reply, result.error);
      return reply.status(result.value.replayed ? 200 : 202).send(result.value.message);
    },
  );

  app.get(
    '/messages/:id',
    {
      schema: {
        summary: 'A message sent through the API, with its current status',
        tags: ['messages'],
        params: z.object({ id: z.string() }),
        response: { 200: MessageResponse, 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const message = await readMessageView(db, (exec) => outboxRepository.findById(exec, request.params.id));
      if (!message) return replyError(reply, { code: 'MESSAGE_NOT_FOUND', message: `No message ${request.params.id}.` });
      return message;
    },
  );
};
