import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/database.js';
import { ErrorResponse } from '../../http/error.schema.js';
import { replyError } from '../../http/reply-error.js';
import { listAudit } from './audit-log.js';

const AuditEntryResponse = z.object({
  id: z.string(),
  actor: z.string().describe('api-token (later: a user), cli, system, unauthenticated'),
  action: z.string().describe('`METHOD /route/:pattern` for API requests'),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
  requestId: z.string().nullable(),
  occurredAt: z.string(),
});

export const auditRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/audit',
    {
      schema: {
        summary: 'Who changed what through the API or the CLI, newest first',
        description: 'Pass `nextCursor` as `cursor` for older entries. `actor` and `action` filter exactly.',
        tags: ['audit'],
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(500).default(50),
          cursor: z.string().optional(),
          actor: z.string().min(1).optional(),
          action: z.string().min(1).optional(),
        }),
        response: { 200: z.object({ data: z.array(AuditEntryResponse), nextCursor: z.string().nullable() }), 400: ErrorResponse },
      },
    },
    async (request, reply) => {
      const page = await listAudit(db, request.query);
      if (!page.ok) return replyError(reply, page.error);
      return page.value;
    },
  );
};
