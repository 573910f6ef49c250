import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError } from '../../platform/config.js';
import { signV3 } from '../crm/connectors/hubspot/hubspot-webhook.js';
import { HUBSPOT_FAKE_TOKEN, startHubspotFake } from '../crm/connectors/hubspot/testing/hubspot-fake.server.js';
import { startHubWithSimulator } from '../../../test/support/hub-with-simulator.js';
import { DIALECTS } from '../../../test/support/test-databases.js';
import { PROPERTY_INQUIRY, SCENARIO_FIXTURES as FIXTURES, type AutomationRunDto as RunDto, type TimelineEntryDto as Entry } from './testing/hot-lead-scenario.js';

/**
 * The scenario of issue 5, end to end in one process with the real pieces: the hub (HTTP API,
 * worker, sender, built-in CRM, automation) and the Meta simulator over real HTTP. The rules come
 * from the rules file loaded at start. A lead created in the CRM tagged "Hot Lead – High
 * Priority" gets the property_inquiry template with their name within a second; their tap on
 * "$1M – $2M" lands in the CRM's budget field and books the owner's follow-up; the conversation is
 * on the contact's timeline, which is the built-in CRM's record.
 */

type Person = { id: string; name: string; fields: Record<string, unknown>; tags: string[]; ownerId: string | null; tasks: { subject: string; body: string | null; ownerId: string | null; dueAt: string | null; status: string }[] };

describe.each(DIALECTS)('a hot lead from the CRM to a booked follow-up on %s', (dialect) => {
  it('sends the inquiry within a second, writes the tapped budget to the CRM and books the owner\'s follow-up', async () => {
    const hub = await startHubWithSimulator({
      dialect,
      simulator: { templates: [PROPERTY_INQUIRY] },
      env: { AUTOMATION_RULES_FILE: join(FIXTURES, 'hot-lead-rules.yaml') },
    });
    onTestFinished(() => hub.close());
    const customer = hub.sim.addCustomer({ name: 'Dana Whitfield', waId: '14155550142' });
    expect((await hub.api<{ data: { id: string }[] }>('rules')).json.data.map((r) => r.id)).toEqual(['hot-lead-inquiry', 'budget-reply']);
    const openapi = await hub.api<{ paths: Record<string, unknown> }>('/api/v1/openapi.json');
    expect(Object.keys(openapi.json.paths)).toEqual(expect.arrayContaining(['/api/v1/rules', '/api/v1/rules/{id}', '/api/v1/rules/{id}/dry-run', '/api/v1/rules/{id}/runs', '/api/v1/automation/runs']));

    // The lead is created in the CRM (the sales team's side), tagged and owned.
    const createdAt = Date.now();
    const created = await hub.api<Person>('crm/people', {
      method: 'POST',
      body: JSON.stringify({ name: 'Dana Whitfield', phone: '+1 (415) 555-0142', tags: ['Hot Lead – High Priority'], ownerId: 'agent-ana' }),
    });
    expect(created.status, created.text).toBe(201);
    const contactId = created.json.id;

    // Within a second, the lead gets the template with their name, as Meta accepted it.
    const inquiry = await hub.waitFor(() => hub.sim.sentMessages().find((m) => m.template?.name === 'property_inquiry') ?? false, 5_000, 'the property inquiry to be sent');
    const latencyMs = inquiry.acceptedAt - createdAt;
    expect(latencyMs).toBeLessThan(1_000);
    expect(inquiry).toMatchObject({ customerId: customer.id, template: { name: 'property_inquiry', language: 'en_US' } });
    const components = (inquiry.request['template'] as { components: unknown[] }).components;
    expect(components).toContainEqual({ type: 'body', parameters: [{ type: 'text', text: 'Dana' }] });
    expect(components).toContainEqual({ type: 'button', sub_type: 'quick_reply', index: '1', parameters: [{ type: 'payload', payload: 'budget_1m_2m' }] });

    // The lead taps "$1M – $2M".
    await hub.waitFor(async () => (await hub.api<{ data: Entry[] }>(`contacts/${contactId}/timeline`)).json.data.some((e) => e.wamid === inquiry.wamid), 5_000);
    const tap = hub.sim.customerRepliesToButton(customer, inquiry.wamid, { payload: 'budget_1m_2m', text: '$1M – $2M' });

    // The CRM record holds the budget, and the owner has a follow-up task.
    const person = await hub.waitFor(
      async () => {
        const p = (await hub.api<Person>(`crm/people/${contactId}`)).json;
        return p.fields['budget'] === '$1M – $2M' && p.tasks.length > 0 ? p : false;
      },
      5_000,
      'the budget and the follow-up in the CRM',
    );
    expect(person).toMatchObject({ tags: ['Hot Lead – High Priority'], ownerId: 'agent-ana' });
    expect(person.tasks).toEqual([
      expect.objectContaining({ subject: 'Follow up with Dana Whitfield: budget $1M – $2M', body: 'Dana answered the property inquiry on WhatsApp.', ownerId: 'agent-ana', status: 'open' }),
    ]);
    const due = Date.parse(person.tasks[0]!.dueAt!);
    expect(due - createdAt).toBeGreaterThan(55 * 60_000);
    expect(due - createdAt).toBeLessThan(65 * 60_000);

    // The whole conversation is on the timeline (the built-in CRM's record of the person).
    const timeline = (await hub.api<{ data: Entry[] }>(`contacts/${contactId}/timeline?limit=50`)).json.data;
    expect(timeline.find((e) => e.wamid === inquiry.wamid)).toMatchObject({ direction: 'outbound', type: 'template' });
    expect(timeline.find((e) => e.wamid === tap)).toMatchObject({ direction: 'inbound', type: 'button' });

    // The audit trail: each rule ran once, every action ok.
    const runs = (await hub.api<{ data: RunDto[] }>(`automation/runs?contactId=${contactId}`)).json.data;
    expect(runs.map((r) => [r.ruleId, r.eventType, r.status]).sort()).toEqual([
      ['budget-reply', 'message.received', 'succeeded'],
      ['hot-lead-inquiry', 'crm.person_changed', 'succeeded'],
    ]);
    expect(runs.flatMap((r) => r.results.map((a) => [a.type, a.status])).sort()).toEqual([
      ['create_task', 'ok'],
      ['send_template', 'ok'],
      ['update_crm_field', 'ok'],
    ]);
    // Exactly one inquiry went out, and the tap fired nothing else.
    expect(hub.sim.sentMessages().filter((m) => m.customerId === customer.id)).toHaveLength(1);
    const hot = runs.find((r) => r.ruleId === 'hot-lead-inquiry')!;
    console.info(
      `[scenario ${dialect}] CRM lead created → rule started ${Date.parse(hot.startedAt) - createdAt} ms, finished ${Date.parse(hot.finishedAt!) - createdAt} ms → template accepted by Meta ${latencyMs} ms`,
    );
  });

  it('will not start with an invalid rules file, and says in one line which file and which rule', async () => {
    const file = join(FIXTURES, 'invalid-rules.yaml');
    const failure = await startHubWithSimulator({ dialect, syncTemplates: false, env: { AUTOMATION_RULES_FILE: file } }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message.startsWith(`Invalid AUTOMATION_RULES_FILE ${file}: rule 2 ("broken-regex"): trigger.regex: a repeated group`), (failure as Error).message).toBe(true);
    expect((failure as Error).message).not.toContain('\n');
  });
});

const HUBSPOT_APP_SECRET = 'hubspot-client-secret-0123456789';
/** Where HubSpot is told to send webhooks: the URL their signature covers. */
const HUBSPOT_WEBHOOK_URL = 'https://switchboard.example.com/webhooks/crm/hubspot';

describe.each(DIALECTS)('a hot lead from HubSpot (its local fake) to a booked follow-up on %s', (dialect) => {
  it('sends the inquiry within a second of HubSpot\'s webhook, writes the tapped budget to the HubSpot record, books the task there and logs the conversation on it', async () => {
    const hubspot = await startHubspotFake({ rateLimit: { perTenSeconds: 1000, searchPerSecond: 50 } });
    onTestFinished(() => hubspot.close());
    const hub = await startHubWithSimulator({
      dialect,
      simulator: { templates: [PROPERTY_INQUIRY] },
      env: {
        AUTOMATION_RULES_FILE: join(FIXTURES, 'hot-lead-rules.yaml'),
        CRM_CONNECTOR: 'hubspot',
        // The rep types the number the national way: the region completes it.
        DEFAULT_REGION: 'US',
        HUBSPOT_BASE_URL: hubspot.url,
        HUBSPOT_ACCESS_TOKEN: HUBSPOT_FAKE_TOKEN,
        HUBSPOT_WEBHOOK_SECRET: HUBSPOT_APP_SECRET,
        HUBSPOT_WEBHOOK_URL,
      },
    });
    onTestFinished(() => hub.close());
    const customer = hub.sim.addCustomer({ name: 'Dana Whitfield', waId: '14155550142' });

    // A sales rep creates the lead in HubSpot, and HubSpot sends its signed webhook.
    const crmId = await hubspot.controls.createPersonDirectly({ firstName: 'Dana', lastName: 'Whitfield', phone: '(415) 555-0142', tags: ['Hot Lead – High Priority'] });
    const createdAt = Date.now();
    const body = JSON.stringify([{ eventId: 1, subscriptionId: 7, portalId: 4242, appId: 1, occurredAt: createdAt, subscriptionType: 'contact.creation', attemptNumber: 0, objectId: Number(crmId), changeSource: 'CRM' }]);
    const timestamp = String(createdAt);
    const delivered = await fetch(`${hub.hubUrl}/webhooks/crm/hubspot`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hubspot-request-timestamp': timestamp, 'x-hubspot-signature-v3': signV3(HUBSPOT_APP_SECRET, 'POST', HUBSPOT_WEBHOOK_URL, body, timestamp) },
      body,
    });
    expect(delivered.status, await delivered.clone().text()).toBe(200);

    const inquiry = await hub.waitFor(() => hub.sim.sentMessages().find((m) => m.template?.name === 'property_inquiry') ?? false, 5_000, 'the property inquiry to be sent');
    const latencyMs = inquiry.acceptedAt - createdAt;
    expect(inquiry.customerId).toBe(customer.id);
    expect(latencyMs).toBeLessThan(1_000);

    hub.sim.customerRepliesToButton(customer, inquiry.wamid, { payload: 'budget_1m_2m', text: '$1M – $2M' });
    const tasks = await hub.waitFor(
      async () => {
        const t = await hubspot.controls.tasksOf(crmId);
        return hubspot.controls.contact(crmId)?.['budget'] === '$1M – $2M' && t.length > 0 ? t : false;
      },
      10_000,
      'the budget and the task on the HubSpot record',
    );
    expect(tasks).toEqual([expect.objectContaining({ subject: 'Follow up with Dana Whitfield: budget $1M – $2M' })]);
    const activities = await hub.waitFor(
      async () => {
        const bodies = (await hubspot.controls.activitiesOf(crmId)).map((a) => a.body);
        return bodies.length >= 2 ? bodies : false;
      },
      10_000,
      'the conversation on the HubSpot record',
    );
    // The template as Dana read it, and her tap.
    expect(activities.sort()).toEqual(['$1M – $2M', 'Hi Dana, thanks for your interest in our listings! Which budget range should we show you?']);
    expect(await hubspot.controls.personCount()).toBe(1);
    console.info(`[scenario hubspot ${dialect}] HubSpot webhook → template accepted by Meta in ${latencyMs} ms`);
  });
});
