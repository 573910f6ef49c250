import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventsAppliedOnIngest } from './apply-on-ingest.js';
import { parseWebhookEnvelope } from './core/parse-webhook.js';

const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/meta/${name}.json`, import.meta.url), 'utf8');

function envelopeOf(body: unknown) {
  const parsed = parseWebhookEnvelope(body);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.envelope;
}

const statusesValue = (statuses: unknown[]) => ({
  messaging_product: 'whatsapp',
  metadata: { display_phone_number: '15557340192', phone_number_id: '118274650392817' },
  statuses,
});
const bodyOf = (...changes: { field: string; value: unknown }[]) => ({ object: 'whatsapp_business_account', entry: [{ id: '204857361209384', changes }] });
const status = (id: string, value = 'delivered') => ({ id, status: value, timestamp: '1791040200', recipient_id: '16505550142' });

describe('which webhooks are applied on ingest', () => {
  it('takes a body of statuses alone, every status of every change', () => {
    const events = eventsAppliedOnIngest(envelopeOf(bodyOf({ field: 'messages', value: statusesValue([status('wamid.A'), status('wamid.B', 'read')]) }, { field: 'messages', value: statusesValue([status('wamid.C')]) })));
    expect(events?.map((event) => event.kind === 'status_changed' && `${event.wamid} ${event.status}`)).toEqual(['wamid.A delivered', 'wamid.B read', 'wamid.C delivered']);
  });

  it('takes the status fixture Meta sends with PMP pricing', () => {
    expect(eventsAppliedOnIngest(envelopeOf(JSON.parse(fixture('status-sent-pmp-v24-marketing'))))).toHaveLength(1);
  });

  it('leaves to the worker a body with a message, an error, another field, no status, or a status that does not parse', () => {
    const leftToJob = [
      JSON.parse(fixture('batch-messages-and-statuses')),
      JSON.parse(fixture('inbound-text')),
      bodyOf({ field: 'messages', value: { ...statusesValue([status('wamid.A')]), errors: [{ code: 131000, title: 'Something went wrong' }] } }),
      bodyOf({ field: 'messages', value: statusesValue([status('wamid.A')]) }, { field: 'message_template_status_update', value: { event: 'APPROVED' } }),
      bodyOf({ field: 'messages', value: statusesValue([]) }),
      bodyOf({ field: 'messages', value: statusesValue([{ status: 'read' }]) }),
      bodyOf(),
    ];
    for (const body of leftToJob) expect(eventsAppliedOnIngest(envelopeOf(body))).toBeNull();
  });
});
