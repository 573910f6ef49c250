import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Db } from '../../db/database.js';
import type { InboxDeps } from './assign-conversation.js';
import { conversationsRoutes } from './conversations.routes.js';
import { quickRepliesRoutes } from './quick-replies.routes.js';
import { usersRoutes } from './users.routes.js';

export type InboxNumber = { phoneNumberId: string; displayPhoneNumber: string | null };

export type InboxRouteOptions = { db: Db; deps: InboxDeps; numbers: () => Promise<InboxNumber[]> };

/** The inbox's authenticated routes (users, conversations, notes, quick replies); register inside the API's audited scope. */
export async function inboxRoutes(app: FastifyInstance, { db, deps, numbers }: InboxRouteOptions): Promise<void> {
  const { clock, ids } = deps;
  await app.register(usersRoutes, { db, clock, ids });
  await app.register(conversationsRoutes, { db, deps });
  await app.register(quickRepliesRoutes, { db, clock, ids });
  app.get(
    '/inbox/numbers',
    {
      schema: {
        summary: 'The WhatsApp numbers, for the inbox’s number filter',
        tags: ['inbox'],
        response: { 200: z.object({ items: z.array(z.object({ phoneNumberId: z.string(), displayPhoneNumber: z.string().nullable() })) }) },
      },
    },
    async () => ({ items: await numbers() }),
  );
}
