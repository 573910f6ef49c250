import { describe, expect, it } from 'vitest';
import { checkMedia, mediaKindFor } from './media-limits.js';

describe('media limits', () => {
  it.each([
    ['image', 'image/jpeg', 5 * 1024 * 1024, true],
    ['image', 'image/png', 5 * 1024 * 1024 + 1, false],
    ['image', 'image/gif', 10, false],
    ['video', 'video/mp4', 16 * 1024 * 1024, true],
    ['video', 'video/quicktime', 10, false],
    ['audio', 'audio/ogg; codecs=opus', 1000, true],
    ['audio', 'audio/wav', 1000, false],
    ['document', 'application/pdf', 100 * 1024 * 1024, true],
    ['document', 'application/zip', 100 * 1024 * 1024 + 1, false],
    ['sticker', 'image/webp', 500 * 1024, true],
    ['sticker', 'image/webp', 500 * 1024 + 1, false],
  ] as const)('%s of type %s and %i bytes is accepted: %s', (kind, mime, size, accepted) => {
    expect(checkMedia(kind, mime, size).ok).toBe(accepted);
  });

  it('says which limit was broken', () => {
    expect(checkMedia('image', 'image/gif', 1)).toMatchObject({ code: 'MEDIA_TYPE_UNSUPPORTED' });
    expect(checkMedia('image', 'image/jpeg', 6 * 1024 * 1024)).toMatchObject({ code: 'MEDIA_TOO_LARGE' });
  });

  it('picks the kind a file is sent as from its type', () => {
    expect(mediaKindFor('image/png')).toBe('image');
    expect(mediaKindFor('image/webp')).toBe('sticker');
    expect(mediaKindFor('video/mp4')).toBe('video');
    expect(mediaKindFor('audio/ogg; codecs=opus')).toBe('audio');
    expect(mediaKindFor('application/pdf')).toBe('document');
  });
});
