import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractPerson, mentionsDeep, mentionTest, scrubBody } from './mentions.js';

const ANA = { waId: '551187654321', phone: '5511987654321', bsuid: 'BR.27403918572640193841' };
const BOB = { waId: '16505550142', bsuid: 'US.13491208655302741918' };

/** One webhook body batching Ana's message and Bob's status, as Meta does. */
const batch = () => ({
  object: 'whatsapp_business_account',
  entry: [
    {
      id: '204857361209384',
      changes: [
        {
          field: 'messages',
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '15557340192', phone_number_id: '118274650392817' },
            contacts: [{ profile: { name: 'Ana Souza' }, wa_id: ANA.waId, user_id: ANA.bsuid }],
            messages: [{ from: ANA.waId, from_user_id: ANA.bsuid, id: 'wamid.A', timestamp: '1791043200', type: 'text', text: { body: 'Oi' } }],
            statuses: [{ id: 'wamid.B', status: 'read', timestamp: '1791043201', recipient_id: BOB.waId, recipient_user_id: BOB.bsuid }],
          },
        },
      ],
    },
  ],
});

describe('mentionTest', () => {
  const ana = mentionTest([ANA.waId, `+${ANA.phone}`, ANA.bsuid]);

  it('finds an identifier as a whole token, and a phone written with separators', () => {
    expect(ana(ANA.waId)).toBe(true);
    expect(ana(`my number is ${ANA.phone}, call me`)).toBe(true);
    expect(ana('+55 (11) 98765-4321')).toBe(true);
    expect(ana(ANA.bsuid)).toBe(true);
  });

  it('does not find an identifier inside a longer number or word', () => {
    expect(ana(`9${ANA.waId}`)).toBe(false);
    expect(ana(`${ANA.waId}7`)).toBe(false);
    expect(ana(`x${ANA.bsuid}`)).toBe(false);
    expect(ana(BOB.waId)).toBe(false);
  });

  it('ignores identifiers too short to mean anything', () => {
    expect(mentionTest(['123', '', null])('123')).toBe(false);
  });
});

describe('scrubBody', () => {
  const ana = mentionTest([ANA.waId, ANA.phone, ANA.bsuid]);

  it("cuts one person's records out of a batch and keeps the others'", () => {
    const outcome = scrubBody(batch(), ana);
    expect(outcome.kind).toBe('rewrite');
    if (outcome.kind !== 'rewrite') return;
    expect(mentionsDeep(outcome.body, ana)).toBe(false);
    expect(JSON.stringify(outcome.body)).not.toContain('Ana Souza');
    expect(JSON.stringify(outcome.body)).toContain(BOB.waId);
    expect(outcome.removedRecords).toBe(2);
  });

  it('deletes a body that was only about the person, and leaves one that never mentions them', () => {
    const only = batch();
    only.entry[0]!.changes[0]!.value.statuses = [];
    expect(scrubBody(only, ana).kind).toBe('delete');
    expect(scrubBody(batch(), mentionTest(['447700900123'])).kind).toBe('unchanged');
  });

  it('deletes a body that is not an envelope when it mentions the person', () => {
    expect(scrubBody({ note: `from ${ANA.waId}` }, ana).kind).toBe('delete');
  });

  it('property: after scrubbing, nothing left mentions the person', () => {
    const record = fc.oneof(
      fc.constant({ from: ANA.waId, text: { body: 'hi' } }),
      fc.constant({ recipient_id: BOB.waId, status: 'sent' }),
      fc.constant({ wa_id: ANA.waId, profile: { name: 'Ana' } }),
      fc.constant({ from: BOB.waId, contacts: [{ phones: [{ phone: '+55 11 98765-4321' }] }] }),
    );
    const body = fc.array(fc.array(fc.record({ messages: fc.array(record, { maxLength: 3 }), statuses: fc.array(record, { maxLength: 3 }) }), { minLength: 1, maxLength: 2 }), {
      minLength: 1,
      maxLength: 2,
    }).map((entries) => ({ object: 'whatsapp_business_account', entry: entries.map((changes) => ({ id: '1', changes: changes.map((value) => ({ field: 'messages', value })) })) }));
    fc.assert(
      fc.property(body, (b) => {
        const outcome = scrubBody(b, ana);
        if (outcome.kind === 'rewrite') expect(mentionsDeep(outcome.body, ana)).toBe(false);
        if (outcome.kind === 'unchanged') expect(mentionsDeep(b, ana)).toBe(false);
      }),
    );
  });
});

describe('extractPerson', () => {
  it("keeps only the person's records, so an export discloses no one else", () => {
    const ana = mentionTest([ANA.waId, ANA.bsuid]);
    const extracted = extractPerson(batch(), ana);
    const text = JSON.stringify(extracted);
    expect(text).toContain('Ana Souza');
    expect(text).not.toContain(BOB.waId);
    expect(extractPerson(batch(), mentionTest(['447700900123']))).toBeNull();
  });
});
