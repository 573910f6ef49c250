import type { DbExecutor } from '../../db/database.js';
import type { NewJob } from '../../jobs/job-definition.js';
import type { Clock } from '../../platform/clock.js';
import type { IdGenerator } from '../../platform/ids.js';
import type { MediaRef } from '../inbound/index.js';
import { DOWNLOAD_MEDIA, sha256Hex } from './download-media.job.js';
import { mediaRepository } from './media.repository.js';

export type InboundMedia = { media: MediaRef; wamid: string; contactId: string; businessPhoneNumberId: string | null };

/**
 * Registers an inbound file and the job that downloads it, in the caller's transaction. Keyed by
 * WhatsApp's media id, so a replayed webhook neither adds a row nor downloads twice.
 */
export async function recordInboundMedia(
  exec: DbExecutor,
  inbound: InboundMedia,
  enqueue: (exec: DbExecutor, jobs: NewJob[]) => Promise<void>,
  deps: { clock: Clock; ids: IdGenerator },
): Promise<void> {
  const now = deps.clock.now();
  const id = deps.ids.next();
  await mediaRepository.insertIfAbsent(exec, {
    id,
    whatsapp_media_id: inbound.media.id,
    business_phone_number_id: inbound.businessPhoneNumberId,
    message_wamid: inbound.wamid,
    contact_id: inbound.contactId,
    mime_type: inbound.media.mimeType,
    sha256: inbound.media.sha256 ? sha256Hex(inbound.media.sha256) : null,
    size_bytes: null,
    filename: inbound.media.filename,
    storage_path: null,
    state: 'pending',
    error: null,
    created_at: now,
    updated_at: now,
  });
  const file = await mediaRepository.findByWhatsAppId(exec, inbound.media.id);
  await enqueue(exec, [{ name: DOWNLOAD_MEDIA, payload: { mediaFileId: file!.id }, dedupeKey: `${DOWNLOAD_MEDIA}:${inbound.media.id}` }]);
}
