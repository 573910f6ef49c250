import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/database.js';
import { ErrorResponse } from '../../http/error.schema.js';
import { replyError } from '../../http/reply-error.js';
import type { Clock } from '../../platform/clock.js';
import type { IdGenerator } from '../../platform/ids.js';
import type { NumberDirectory } from '../numbers/index.js';
import type { GraphClient } from '../outbound/index.js';
import { checkMedia, MEDIA_LIMITS, mediaKindFor, type MediaKind } from './core/media-limits.js';
import { mediaRepository } from './media.repository.js';
import type { MediaStore } from './media-store.js';

export type MediaRouteOptions = { db: Db; store: MediaStore; graph: GraphClient; numbers: NumberDirectory; clock: Clock; ids: IdGenerator };

const MediaResponse = z.object({
  id: z.string().describe("WhatsApp's media id: send it as image.id, document.id, …"),
  kind: z.string(),
  mimeType: z.string(),
  sizeBytes: z.number(),
  sha256: z.string(),
});

const LARGEST = Math.max(...Object.values(MEDIA_LIMITS).map((l) => l.maxBytes));

export const mediaRoutes: FastifyPluginAsyncZod<MediaRouteOptions> = async (app, options) => {
  const { db, store } = options;
  await app.register(multipart, { limits: { fileSize: LARGEST, files: 1 } });

  app.get(
    '/media/:id',
    {
      schema: {
        summary: 'The bytes of a media file, by our id or by WhatsApp\'s media id (as on the timeline)',
        tags: ['media'],
        description: 'Answers the file with its content type; 404 MEDIA_NOT_FOUND, 409 MEDIA_NOT_READY while it is being downloaded.',
        params: z.object({ id: z.string() }),
      },
    },
    async (request, reply) => {
      const file = await mediaRepository.find(db, request.params.id);
      if (!file) return replyError(reply, { code: 'MEDIA_NOT_FOUND', message: `No media ${request.params.id}.` });
      if (file.state !== 'stored' || !file.storage_path) {
        return replyError(reply, { code: 'MEDIA_NOT_READY', message: `The file is ${file.state === 'failed' ? 'not downloadable' : 'still being downloaded'}.`, details: { state: file.state } });
      }
      reply.header('content-type', file.mime_type ?? 'application/octet-stream');
      if (file.size_bytes !== null) reply.header('content-length', String(file.size_bytes));
      if (file.filename) reply.header('content-disposition', `attachment; filename="${file.filename.replace(/["\\\r\n]/g, '_')}"`);
      return reply.send(store.open(file.storage_path));
    },
  );

  app.post(
    '/media',
    {
      schema: {
        summary: 'Upload a file to WhatsApp for sending (multipart field `file`; optional field `from`: the phone-number id)',
        description: "Checked against Meta's type and size limits first.",
        tags: ['media'],
        consumes: ['multipart/form-data'],
        response: { 201: MediaResponse, 400: ErrorResponse, 413: ErrorResponse, 415: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) return replyError(reply, { code: 'BODY_INVALID', message: 'Send multipart/form-data with a `file` field.' });
      const part = await request.file();
      if (!part) return replyError(reply, { code: 'BODY_INVALID', message: 'The `file` field is missing.' });
      const bytes = await part.toBuffer().catch(() => null);
      if (!bytes || part.file.truncated) return replyError(reply, { code: 'MEDIA_TOO_LARGE', message: `Files are at most ${LARGEST} bytes.` });
      const fromField = part.fields['from'];
      const from = fromField && 'value' in fromField ? String(fromField.value) : undefined;
      const kindField = part.fields['kind'];
      const kind = (kindField && 'value' in kindField ? String(kindField.value) : mediaKindFor(part.mimetype)) as MediaKind;
      if (!(kind in MEDIA_LIMITS)) return replyError(reply, { code: 'VALIDATION_FAILED', message: `kind must be one of ${Object.keys(MEDIA_LIMITS).join(', ')}.` });
      const check = checkMedia(kind, part.mimetype, bytes.length);
      if (!check.ok) return replyError(reply, check);

      const number = from ? await options.numbers.get(from) : await options.numbers.defaultNumber();
      if (!number) return replyError(reply, { code: 'NUMBER_NOT_CONFIGURED', message: 'No WhatsApp number to upload through.' });
      const uploaded = await options.graph.uploadMedia(number.phoneNumberId, number.accessToken, { bytes, mimeType: part.mimetype, filename: part.filename });
      if (!uploaded.ok) return replyError(reply, { code: 'MEDIA_UPLOAD_FAILED', message: `Meta refused the upload: ${JSON.stringify(uploaded.error)}` });

      const stored = await store.put(bytes);
      const now = options.clock.now();
      await mediaRepository.insertIfAbsent(db, {
        id: options.ids.next(),
        whatsapp_media_id: uploaded.value,
        business_phone_number_id: number.phoneNumberId,
        message_wamid: null,
        contact_id: null,
        mime_type: part.mimetype,
        sha256: stored.sha256,
        size_bytes: bytes.length,
        filename: part.filename,
        storage_path: stored.path,
        state: 'stored',
        error: null,
        created_at: now,
        updated_at: now,
      });
      return reply.status(201).send({ id: uploaded.value, kind, mimeType: part.mimetype, sizeBytes: bytes.length, sha256: stored.sha256 });
    },
  );
};
