/**
 * Media as the Cloud API keeps it (NOTES §10): an upload returns an id; `GET /{media-id}` returns
 * metadata with a download URL that expires after 5 minutes and needs the bearer token; the URL
 * answers 404 once expired (the client must ask for a fresh one). Media sent by simulated
 * customers lives in the same store, so the hub downloads it the same way.
 */
import { createHash } from 'node:crypto';
import type { IdFactory } from './ids.js';

export type MediaKind = 'image' | 'video' | 'audio' | 'document' | 'sticker';

export type StoredMedia = {
  id: string;
  bytes: Buffer;
  /** As given, parameters included (`audio/ogg; codecs=opus`). */
  mimeType: string;
  sha256Hex: string;
  sha256Base64: string;
  filename: string | null;
  /** The number it was uploaded to (or received on); `GET ?phone_number_id=` checks it. */
  phoneNumberId: string | null;
};

/** Types and size limits Meta accepts per kind (NOTES §4 "Media limits"). */
const KINDS: Record<MediaKind, { types: string[]; maxBytes: number }> = {
  audio: { types: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'], maxBytes: 16 * 1024 * 1024 },
  document: {
    types: [
      'text/plain',
      'application/pdf',
      'application/msword',
      'application/vnd.ms-excel',
      'application/vnd.ms-powerpoint',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    ],
    maxBytes: 100 * 1024 * 1024,
  },
  image: { types: ['image/jpeg', 'image/png'], maxBytes: 5 * 1024 * 1024 },
  // Animated stickers may be 500 KB, static ones 100 KB; the bytes do not tell us which, so the larger.
  sticker: { types: ['image/webp'], maxBytes: 500 * 1024 },
  video: { types: ['video/mp4', 'video/3gpp'], maxBytes: 16 * 1024 * 1024 },
};

export const SUPPORTED_MEDIA_TYPES = [...new Set(Object.values(KINDS).flatMap((k) => k.types))];

const baseType = (mimeType: string) => mimeType.split(';')[0]!.trim().toLowerCase();

/** The kind an upload of this type becomes (webp counts as a sticker), or null if Meta refuses the type. */
export function kindOf(mimeType: string): MediaKind | null {
  const type = baseType(mimeType);
  const entry = Object.entries(KINDS).find(([, k]) => k.types.includes(type));
  return entry ? (entry[0] as MediaKind) : null;
}

export function maxBytesFor(mimeType: string): number | null {
  const kind = kindOf(mimeType);
  return kind ? KINDS[kind].maxBytes : null;
}

export type MediaStore = {
  put(input: { bytes: Buffer; mimeType: string; filename?: string | null; phoneNumberId?: string | null }): StoredMedia;
  get(id: string): StoredMedia | undefined;
  delete(id: string): boolean;
  /** A fresh download URL token for this media, valid for `ttlMs`. */
  issueUrl(id: string, baseUrl: string, now: number, ttlMs: number): string;
  /** What a download URL token leads to. */
  resolve(token: string, mediaId: string, now: number): StoredMedia | 'expired' | 'unknown';
};

export function createMediaStore(ids: IdFactory): MediaStore {
  const media = new Map<string, StoredMedia>();
  const tokens = new Map<string, { mediaId: string; expiresAt: number }>();

  const prune = (now: number) => {
    // Expired tokens are kept for a while so that they answer 404 (expired) rather than unknown.
    for (const [token, entry] of tokens) if (entry.expiresAt + 60 * 60 * 1000 < now) tokens.delete(token);
  };

  return {
    put({ bytes, mimeType, filename = null, phoneNumberId = null }) {
      const digest = createHash('sha256').update(bytes).digest();
      const stored: StoredMedia = {
        id: ids.mediaId(),
        bytes,
        mimeType,
        sha256Hex: digest.toString('hex'),
        sha256Base64: digest.toString('base64'),
        filename,
        phoneNumberId,
      };
      media.set(stored.id, stored);
      return stored;
    },
    get: (id) => media.get(id),
    delete: (id) => media.delete(id),
    issueUrl(id, baseUrl, now, ttlMs) {
      prune(now);
      const token = ids.urlToken();
      const expiresAt = now + ttlMs;
      tokens.set(token, { mediaId: id, expiresAt });
      // Shaped like Meta's lookaside URL: …/whatsapp_business/attachments/?mid=…&ext=…&hash=…
      return `${baseUrl}/whatsapp_business/attachments/?mid=${id}&ext=${Math.floor(expiresAt / 1000)}&hash=${token}`;
    },
    resolve(token, mediaId, now) {
      const entry = tokens.get(token);
      if (!entry || entry.mediaId !== mediaId) return 'unknown';
      if (now >= entry.expiresAt) return 'expired';
      return media.get(mediaId) ?? 'unknown';
    },
  };
}
