import { describe, expect, it } from 'vitest';
import { parseSendRequest } from './send-request.js';

const base = { messaging_product: 'whatsapp', to: '+16505550142' };

describe('send request parsing', () => {
  it('defaults a missing type to text, or to the one content object present (as in Meta\'s own examples)', () => {
    expect(parseSendRequest({ ...base, text: { body: 'hi' } })).toMatchObject({ ok: true, request: { type: 'text' } });
    expect(parseSendRequest({ ...base, reaction: { message_id: 'wamid.X', emoji: '👍' } })).toMatchObject({ ok: true, request: { type: 'reaction' } });
    expect(parseSendRequest(base)).toMatchObject({ ok: false, details: 'Param text is required.' });
  });

  it("names missing params the way Graph does: Param text['body'] is required.", () => {
    expect(parseSendRequest({ ...base, type: 'text', text: {} })).toEqual({ ok: false, code: 100, details: "Param text['body'] is required." });
    expect(parseSendRequest({ ...base, type: 'image' })).toEqual({ ok: false, code: 100, details: 'Param image is required.' });
    expect(parseSendRequest({ to: '1', type: 'text', text: { body: 'x' } })).toMatchObject({ code: 100, details: 'Param messaging_product is required.' });
    expect(parseSendRequest({ ...base, messaging_product: 'sms', type: 'text', text: { body: 'x' } })).toMatchObject({ code: 100 });
    expect(parseSendRequest({ messaging_product: 'whatsapp', type: 'text', text: { body: 'x' } })).toMatchObject({ code: 100, details: 'Param to is required.' });
  });

  it('reports values out of range as 131009', () => {
    const tooLong = { ...base, type: 'interactive', interactive: { type: 'button', body: { text: 'Pick' }, action: { buttons: [{ type: 'reply', reply: { id: 'a', title: 'x'.repeat(21) } }] } } };
    expect(parseSendRequest(tooLong)).toMatchObject({ ok: false, code: 131009, details: expect.stringContaining("interactive['action']['buttons'][0]['reply']['title']") });
    expect(parseSendRequest({ ...base, type: 'text', text: { body: 'x'.repeat(4097) } })).toMatchObject({ code: 131009 });
  });

  it('needs exactly one of id or link for media', () => {
    expect(parseSendRequest({ ...base, type: 'image', image: { id: '1', link: 'https://x/y.jpg' } }).ok).toBe(false);
    expect(parseSendRequest({ ...base, type: 'image', image: { caption: 'x' } }).ok).toBe(false);
    expect(parseSendRequest({ ...base, type: 'image', image: { link: 'https://x/y.jpg' } }).ok).toBe(true);
  });

  it('recognises mark-as-read and the typing indicator', () => {
    expect(parseSendRequest({ messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.X' })).toEqual({ ok: true, kind: 'mark_read', messageId: 'wamid.X', typing: false });
    expect(parseSendRequest({ messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.X', typing_indicator: { type: 'text' } })).toMatchObject({ typing: true });
  });
});
