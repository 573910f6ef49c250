import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/database.js';
import { ErrorResponse } from '../../http/error.schema.js';
import { replyError } from '../../http/reply-error.js';
import type { Clock } from '../../platform/clock.js';
import type { MediaStore } from '../media/index.js';
import { eraseContactNow } from './erase-contact.js';
import { exportContact } from './export-contact.js';

export type PrivacyRouteOptions = {
  db: Db;
  store: MediaStore;
  clock: Clock;
  /**
   * The secret salt of erasure tombstones (configuration, never stored in the database). Without
   * it the export still works and erasure answers 503 PRIVACY_SALT_MISSING: erasing without a
   * tombstone would forget the person's opt-out.
   */
  salt: string | null;
  /** Where the API serves media bytes (for the export's download paths). */
  mediaPathPrefix?: string;
};

/** The salt must be long enough that the hashes of phone numbers cannot be enumerated. */
export const MIN_SALT_LENGTH = 16;

export const privacyRoutes: FastifyPluginAsyncZod<PrivacyRouteOptions> = async (app, options) => {
  const { db, store, clock, salt } = options;
  if (salt !== null && salt.length < MIN_SALT_LENGTH) throw new Error(`the erasure salt must be at least ${MIN_SALT_LENGTH} characters`);

  app.get(
    '/contacts/:id/export',
    {
      schema: {
        summary: 'Everything held about a contact, as one JSON document (GDPR access and portability)',
        description:
          'The contact, their timeline with status history and reactions, media metadata with download paths, the consent ledger, ' +
          'outbox rows, the raw webhook records and dead letters that mention them, and audit entries about them.',
        tags: ['privacy'],
        params: z.object({ id: z.string() }),
        response: { 200: z.unknown().describe('The export document (format switchboard.contact-export, version 1)'), 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      // One snapshot: the export reads many tables and must not mix states.
      const exported = await db.transaction().execute((trx) => exportContact(trx, request.params.id, { clock, ...(options.mediaPathPrefix ? { mediaPathPrefix: options.mediaPathPrefix } : {}) }));
      if (!exported.ok) return replyError(reply, exported.error);
      return reply
        .status(200)
        .type('application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="contact-${request.params.id.replace(/[^A-Za-z0-9_-]/g, '_')}.json"`)
        .send(exported.value);
    },
  );

  app.delete(
    '/contacts/:id',
    {
      schema: {
        summary: 'Erase a contact and everything about them (GDPR right to erasure)',
        description:
          'Deletes their messages, statuses, reactions, outbox rows, consent ledger, media (rows and files), the raw webhook records and ' +
          'dead letters that mention them, and the contact. A salted hash of their identifiers is kept so that a marketing opt-out ' +
          'still applies if they write again.',
        tags: ['privacy'],
        params: z.object({ id: z.string() }),
        response: { 204: z.null().describe('Erased'), 404: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request, reply) => {
      if (salt === null) {
        return replyError(reply, { code: 'PRIVACY_SALT_MISSING', message: 'Set PRIVACY_SALT (at least 16 characters, never changed) to erase contacts.' });
      }
      const erased = await eraseContactNow(db, request.params.id, { store, salt, clock });
      if (!erased.ok) return replyError(reply, erased.error);
      const { files, filesToDelete: _paths, ...report } = erased.value;
      request.log.info({ ...report, filesRemoved: files.removed.length, filesKept: files.kept.length }, 'contact erased');
      if (files.failed.length > 0) request.log.warn({ failed: files.failed }, 'erasure could not delete some media files');
      return reply.status(204).send(null);
    },
  );
};
