import { z } from 'zod';
import { PermanentJobError, type JobDefinition } from '../../jobs/job-definition.js';
import type { NumberDirectory } from '../numbers/index.js';
import type { GraphClient } from '../outbound/index.js';
import type { Clock } from '../../platform/clock.js';
import { mediaRepository } from './media.repository.js';
import type { MediaStore } from './media-store.js';

export const DOWNLOAD_MEDIA = 'media.download';

/** Inbound files are at most 100 MB (Meta refuses larger ones with 131052). */
const MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024;

const Payload = z.object({ mediaFileId: z.string() });

/** Meta gives SHA-256 as base64 in webhooks and as hex in media metadata; we compare hex. */
export function sha256Hex(value: string): string | null {
  if (/^[0-9a-f]{64}$/i.test(value)) return value.toLowerCase();
  const bytes = Buffer.from(value, 'base64');
  return bytes.length === 32 ? bytes.toString('hex') : null;
}

export type DownloadMediaDeps = { graph: GraphClient; numbers: NumberDirectory; store: MediaStore; clock: Clock };

/**
 * Downloads an inbound media file: `GET /{media-id}` for a fresh URL (it expires after five
 * minutes, so every attempt asks anew), download with the bearer token, check the SHA-256 Meta
 * announced, store it. Runs under a lease, outside any transaction: a download can take a while.
 */
export function downloadMediaJob(deps: DownloadMediaDeps): JobDefinition<typeof Payload> {
  return {
    name: DOWNLOAD_MEDIA,
    mode: 'lease',
    leaseMs: 10 * 60_000,
    payload: Payload,
    retry: { baseDelayMs: 5_000, maxDelayMs: 30 * 60_000 },
    async handle({ mediaFileId }, { trx: db, log }) {
      const file = await mediaRepository.find(db, mediaFileId);
      if (!file || file.state === 'stored') return;
      const number = file.business_phone_number_id ? await deps.numbers.get(file.business_phone_number_id) : await deps.numbers.defaultNumber();
      if (!number) {
        // Retrying cannot help until the number is configured: dead-letter now, replay later.
        throw new PermanentJobError(`no access token for number ${file.business_phone_number_id ?? '(default)'}: configure the number, then run switchboard dlq replay`);
      }

      const metadata = await deps.graph.mediaMetadata(file.whatsapp_media_id, number.accessToken);
      if (!metadata.ok) throw new Error(`media metadata: ${JSON.stringify(metadata.error)}`);
      const download = await deps.graph.downloadMedia(metadata.value.url, number.accessToken, MAX_DOWNLOAD_BYTES);
      if (!download.ok) throw new Error(`media download: ${JSON.stringify(download.error)}`);

      const stored = await deps.store.put(download.value.bytes);
      const expected = file.sha256 ?? (metadata.value.sha256 ? sha256Hex(metadata.value.sha256) : null);
      if (expected && expected !== stored.sha256) {
        // A corrupted or substituted file: keep nothing, try again with a fresh URL.
        await deps.store.remove(stored.path);
        throw new Error(`sha256 mismatch: expected ${expected}, got ${stored.sha256}`);
      }
      await mediaRepository.update(db, file.id, {
        state: 'stored',
        storage_path: stored.path,
        sha256: stored.sha256,
        size_bytes: download.value.bytes.length,
        mime_type: file.mime_type ?? metadata.value.mime_type,
        error: null,
        updated_at: deps.clock.now(),
      });
      log.debug({ mediaFileId, bytes: download.value.bytes.length }, 'media stored');
    },
  };
}
