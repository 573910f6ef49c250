/**
 * Meta's limits for media sent through the Cloud API (NOTES §4, §10), checked before anything is
 * uploaded or sent so that a file Meta would refuse costs nothing.
 */
export type MediaKind = 'image' | 'video' | 'audio' | 'document' | 'sticker';

const MB = 1024 * 1024;

type Limit = { mimeTypes: readonly string[] | 'any'; maxBytes: number };

export const MEDIA_LIMITS: Record<MediaKind, Limit> = {
  image: { mimeTypes: ['image/jpeg', 'image/png'], maxBytes: 5 * MB },
  video: { mimeTypes: ['video/mp4', 'video/3gpp'], maxBytes: 16 * MB },
  audio: { mimeTypes: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'], maxBytes: 16 * MB },
  document: { mimeTypes: 'any', maxBytes: 100 * MB },
  // 100 KB static, 500 KB animated; the animated limit is the outer bound we can check without decoding.
  sticker: { mimeTypes: ['image/webp'], maxBytes: 500 * 1024 },
};

export type MediaCheck = { ok: true } | { ok: false; code: 'MEDIA_TYPE_UNSUPPORTED' | 'MEDIA_TOO_LARGE'; message: string };

/** `mimeType` may carry parameters (`audio/ogg; codecs=opus`); only the essence is compared. */
export function checkMedia(kind: MediaKind, mimeType: string, sizeBytes: number): MediaCheck {
  const limit = MEDIA_LIMITS[kind];
  const essence = mimeType.split(';')[0]!.trim().toLowerCase();
  if (limit.mimeTypes !== 'any' && !limit.mimeTypes.includes(essence)) {
    return { ok: false, code: 'MEDIA_TYPE_UNSUPPORTED', message: `WhatsApp does not accept ${essence} as ${kind}; use ${limit.mimeTypes.join(', ')}.` };
  }
  if (sizeBytes > limit.maxBytes) {
    return { ok: false, code: 'MEDIA_TOO_LARGE', message: `A ${kind} may be at most ${limit.maxBytes} bytes; this one has ${sizeBytes}.` };
  }
  return { ok: true };
}

/** The kind a file would be sent as, from its type. */
export function mediaKindFor(mimeType: string): MediaKind {
  const essence = mimeType.split(';')[0]!.trim().toLowerCase();
  if (essence === 'image/webp') return 'sticker';
  if (essence.startsWith('image/')) return 'image';
  if (essence.startsWith('video/')) return 'video';
  if (essence.startsWith('audio/')) return 'audio';
  return 'document';
}
