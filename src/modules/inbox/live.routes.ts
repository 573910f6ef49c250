import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/database.js';
import type { Clock } from '../../platform/clock.js';
import { ErrorResponse } from '../../http/error.schema.js';
import { replyError } from '../../http/reply-error.js';
import { conversationRepository } from './conversation.repository.js';
import type { LiveBus } from './live/live-bus.js';
import type { SseHub } from './live/sse-hub.js';
import { principalOf } from './principal.js';
import { userRepository } from './user.repository.js';

export type LiveRouteOptions = { db: Db; clock: Clock; bus: LiveBus; hub: SseHub };

/**
 * The event stream and the ephemeral signals (typing, presence). Register them behind the
 * authentication hook but outside the audit log: a keystroke or a heartbeat is not a change.
 */
export const liveRoutes: FastifyPluginAsyncZod<LiveRouteOptions> = async (app, { db, clock, bus, hub }) => {
  app.get(
    '/events',
    {
      schema: {
        summary: 'Live inbox events (Server-Sent Events): message, status, conversation, note, typing, alert, resync',
        description: 'Heartbeat comments every 15 s. Reconnecting with `Last-Event-ID` (or `?lastEventId=`) replays what was missed, or sends `resync` when that is too old.',
        tags: ['inbox'],
        querystring: z.object({ lastEventId: z.string().optional() }),
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const header = request.headers['last-event-id'];
      const lastEventId = (typeof header === 'string' && header.length > 0 ? header : request.query.lastEventId) ?? null;
      reply.hijack();
      await hub.connect(reply.raw, principal.kind === 'user' ? principal.id : null, lastEventId);
    },
  );

  app.post(
    '/conversations/:id/typing',
    { schema: { summary: 'Tells the other agents that you are typing a reply', tags: ['inbox'], params: z.object({ id: z.string() }), response: { 204: z.null(), 404: ErrorResponse } } },
    async (request, reply) => {
      const conversation = await conversationRepository.findById(db, request.params.id);
      if (!conversation) return replyError(reply, { code: 'CONVERSATION_NOT_FOUND', message: `No conversation ${request.params.id}.` });
      const principal = principalOf(request);
      await bus.publish(db, [{ event: 'typing', data: { conversationId: conversation.id, userId: principal.id, name: principal.name } }]);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/presence',
    { schema: { summary: 'Keeps you online for the assignment rules for 60 s (an open event stream does it too)', tags: ['inbox'], response: { 204: z.null() } } },
    async (request, reply) => {
      const principal = principalOf(request);
      if (principal.kind === 'user') await userRepository.touchSeen(db, [principal.id], clock.now());
      return reply.status(204).send(null);
    },
  );
};
