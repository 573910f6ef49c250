import { describe, expect, it } from 'vitest';
import { messageCategory, OutboundRequest, timelineText, toGraphMessage } from './outbound-request.js';

const parse = (body: unknown) => OutboundRequest.safeParse(body);

describe('OutboundRequest', () => {
  it('accepts each message type in our shape and gives Meta its own', () => {
    const cases: [unknown, Record<string, unknown>][] = [
      [{ to: '+1 650 555 0142', type: 'text', text: { body: 'Hi', previewUrl: true } }, { type: 'text', text: { body: 'Hi', preview_url: true } }],
      [{ contactId: 'c', type: 'image', image: { id: '123', caption: 'Look' } }, { type: 'image', image: { id: '123', caption: 'Look' } }],
      [{ contactId: 'c', type: 'document', document: { link: 'https://example.com/a.pdf', filename: 'a.pdf' } }, { type: 'document', document: { link: 'https://example.com/a.pdf', filename: 'a.pdf' } }],
      [{ contactId: 'c', type: 'location', location: { latitude: -23.5, longitude: -46.6, name: 'Loja' } }, { type: 'location', location: { latitude: -23.5, longitude: -46.6, name: 'Loja' } }],
      [{ bsuid: 'BR.1', type: 'template', template: { name: 'order_update', language: 'pt_BR' } }, { type: 'template', template: { name: 'order_update', language: { code: 'pt_BR' } } }],
      [{ contactId: 'c', type: 'reaction', reaction: { messageId: 'wamid.X', emoji: '👍' } }, { type: 'reaction', reaction: { message_id: 'wamid.X', emoji: '👍' } }],
      [
        { contactId: 'c', type: 'text', text: { body: 'Re' }, context: { messageId: 'wamid.Q' } },
        { type: 'text', text: { body: 'Re' }, context: { message_id: 'wamid.Q' } },
      ],
    ];
    for (const [body, graph] of cases) {
      const parsed = parse(body);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      expect(toGraphMessage(parsed.data!)).toEqual(graph);
    }
  });

  it.each([
    ['no recipient', { type: 'text', text: { body: 'x' } }],
    ['two recipients', { to: '1', contactId: 'c', type: 'text', text: { body: 'x' } }],
    ['text over 4096 characters', { contactId: 'c', type: 'text', text: { body: 'x'.repeat(4097) } }],
    ['empty text', { contactId: 'c', type: 'text', text: { body: '' } }],
    ['caption over 1024 characters', { contactId: 'c', type: 'image', image: { id: '1', caption: 'x'.repeat(1025) } }],
    ['media with both id and link', { contactId: 'c', type: 'image', image: { id: '1', link: 'https://e.com/a.png' } }],
    ['a caption on audio', { contactId: 'c', type: 'audio', audio: { id: '1', caption: 'no' } }],
    ['four reply buttons', { contactId: 'c', type: 'interactive', interactive: { type: 'button', body: { text: 'Pick' }, action: { buttons: [1, 2, 3, 4].map((i) => ({ type: 'reply', reply: { id: `b${i}`, title: `B${i}` } })) } } }],
    ['a button title over 20 characters', { contactId: 'c', type: 'interactive', interactive: { type: 'button', body: { text: 'Pick' }, action: { buttons: [{ type: 'reply', reply: { id: 'b', title: 'x'.repeat(21) } }] } } }],
    ['a list of 11 rows', { contactId: 'c', type: 'interactive', interactive: { type: 'list', body: { text: 'Pick' }, action: { button: 'Open', sections: [{ rows: Array.from({ length: 11 }, (_, i) => ({ id: `r${i}`, title: `R${i}` })) }] } } }],
    ['a template name with capitals', { contactId: 'c', type: 'template', template: { name: 'Order', language: 'en' } }],
    ['a latitude beyond 90', { contactId: 'c', type: 'location', location: { latitude: 91, longitude: 0 } }],
    ['an unknown type', { contactId: 'c', type: 'poll', poll: {} }],
  ])('refuses %s', (_, body) => {
    expect(parse(body).success).toBe(false);
  });

  it('shows text, captions and template names on the timeline and prices free-form as service', () => {
    const text = parse({ contactId: 'c', type: 'text', text: { body: 'Olá' } }).data!;
    const template = parse({ contactId: 'c', type: 'template', template: { name: 'promo', language: 'en' } }).data!;
    expect(timelineText(text)).toBe('Olá');
    expect(timelineText(template)).toBe('promo');
    expect(messageCategory(text)).toBe('service');
    expect(messageCategory(template)).toBe('unknown');
  });
});
