import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CrmError } from '../../crm-error.js';
import { translateHubspotError } from './hubspot-errors.js';
import { communicationInput, personProperties, toPerson } from './hubspot-mapping.js';
import { contactEvents, signatureUri, signV3 } from './hubspot-webhook.js';

describe('HubSpot mapping', () => {
  it('reads a contact: both phone properties, ;-separated tags, other properties as fields, record URL', () => {
    const person = toPerson(
      {
        id: '512',
        properties: { firstname: 'Ana', lastname: '', phone: '(415) 555-0142', mobilephone: '+14155550142', switchboard_tags: 'Hot Lead;VIP; ;VIP', budget: null, hs_object_id: '512', lastmodifieddate: '2026-01-01T00:00:00.000Z' },
        updatedAt: '2026-01-02T00:00:00.000Z',
      },
      '4242',
    );
    expect(person).toEqual({
      crmId: '512',
      switchboardKey: null,
      firstName: 'Ana',
      lastName: null,
      phones: ['(415) 555-0142', '+14155550142'],
      email: null,
      ownerId: null,
      tags: ['Hot Lead', 'VIP'],
      fields: { budget: null },
      url: 'https://app.hubspot.com/contacts/4242/record/0-1/512',
      updatedAt: Date.UTC(2026, 0, 2),
    });
    expect(toPerson({ id: '1' }, undefined).url).toBeNull();
  });

  it('writes only what the input names, null as "" (HubSpot clears it), our key always', () => {
    expect(personProperties({ switchboardKey: 'c1', firstName: null, phone: '+1415', tags: ['a', 'a', ' b '], fields: { budget: 'x' } }, 'mobilephone')).toEqual({
      budget: 'x',
      firstname: '',
      mobilephone: '+1415',
      switchboard_tags: 'a;b',
      switchboard_id: 'c1',
    });
    expect(() => personProperties({ switchboardKey: 'c1', fields: { 'bad name': 'x' } }, 'phone')).toThrow(CrmError);
  });

  it('logs a message as a WHATS_APP communication associated with the contact (type 81), its text escaped', () => {
    expect(communicationInput({ crmId: '7', idempotencyKey: 'wamid.X', direction: 'outbound', body: 'a<b>\nc', occurredAt: 0 })).toEqual({
      properties: {
        hs_communication_channel_type: 'WHATS_APP',
        hs_communication_logged_from: 'CRM',
        hs_communication_body: 'a&lt;b&gt;<br>c',
        hs_timestamp: '1970-01-01T00:00:00.000Z',
        switchboard_message_id: 'wamid.X',
      },
      associations: [{ to: { id: '7' }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 81 }] }],
    });
  });
});

describe('HubSpot errors', () => {
  const body = (category: string, extra: object = {}) => JSON.stringify({ status: 'error', message: 'm', correlationId: 'c', category, ...extra });

  it('waits 1 s after a search (SECONDLY) 429, a while after a DAILY one, Retry-After when HubSpot sends one', () => {
    expect(translateHubspotError(429, body('RATE_LIMITS', { policyName: 'SECONDLY' }), {}).details.retryAfterMs).toBe(1000);
    expect(translateHubspotError(429, body('RATE_LIMITS', { policyName: 'DAILY' }), {}).details.retryAfterMs).toBe(15 * 60_000);
    expect(translateHubspotError(429, body('RATE_LIMITS'), { 'retry-after': '3' }).details.retryAfterMs).toBe(3000);
    expect(translateHubspotError(429, 'not json', { 'x-hubspot-ratelimit-interval-milliseconds': '10000' }).code).toBe('CRM_RATE_LIMITED');
  });

  it('maps statuses and categories', () => {
    expect(translateHubspotError(401, body('INVALID_AUTHENTICATION'), {}).code).toBe('CRM_UNAUTHORIZED');
    expect(translateHubspotError(403, body('MISSING_SCOPES'), {}).code).toBe('CRM_UNAUTHORIZED');
    expect(translateHubspotError(404, '', {}).code).toBe('CRM_NOT_FOUND');
    expect(translateHubspotError(423, body('LOCKED'), {})).toMatchObject({ code: 'CRM_UNAVAILABLE', retryable: true });
    expect(translateHubspotError(502, '<html>', {}).code).toBe('CRM_UNAVAILABLE');
    expect(translateHubspotError(400, body('VALIDATION_ERROR', { errors: [{ code: 'PROPERTY_DOESNT_EXIST' }] }), {}).code).toBe('CRM_MISCONFIGURED');
    expect(translateHubspotError(400, body('VALIDATION_ERROR'), {})).toMatchObject({ code: 'CRM_REJECTED', details: { vendorCode: 'VALIDATION_ERROR' } });
  });
});

describe('HubSpot webhook signature v3', () => {
  it('is the base64 HMAC-SHA256 of method + uri + body + timestamp, with the URI’s encoded reserved characters decoded', () => {
    const uri = 'https://hub.example.com/hooks%3Fa%3Db';
    expect(signatureUri(uri)).toBe('https://hub.example.com/hooks?a%3Db');
    const expected = createHmac('sha256', 's').update('POSThttps://hub.example.com/hooks?a%3Db[]1700000000000').digest('base64');
    expect(signV3('s', 'POST', uri, '[]', '1700000000000')).toBe(expected);
  });

  it('keeps one event per contact, creation winning, and skips other objects and deletions', () => {
    const events = contactEvents(
      Buffer.from(
        JSON.stringify([
          { subscriptionType: 'contact.propertyChange', objectId: 5, occurredAt: 10 },
          { subscriptionType: 'contact.creation', objectId: 5, occurredAt: 5 },
          { subscriptionType: 'object.propertyChange', objectTypeId: '0-1', objectId: 6, occurredAt: 7 },
          { subscriptionType: 'object.propertyChange', objectTypeId: '0-3', objectId: 7 },
          { subscriptionType: 'contact.deletion', objectId: 8 },
          { subscriptionType: 'deal.creation', objectId: 9 },
          'junk',
        ]),
      ),
      99,
    );
    expect(events).toEqual([
      { contactId: '5', created: true, occurredAt: 10 },
      { contactId: '6', created: false, occurredAt: 7 },
    ]);
    expect(() => contactEvents(Buffer.from('{'), 0)).toThrow(CrmError);
  });
});
