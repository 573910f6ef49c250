import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../db/database.js';
import { SqlJobQueue } from '../../jobs/sql-job-queue.js';
import { ManualClock } from '../../platform/clock.js';
import { ConfigError } from '../../platform/config.js';
import { uuidGenerator } from '../../platform/ids.js';
import { createLogger } from '../../platform/logger.js';
import { findOrCreateContactByPhone } from '../contacts/index.js';
import { NumberDirectory } from '../numbers/index.js';
import type { QueueMessageDeps } from '../outbound/index.js';
import { apiWith } from '../../../test/support/api-with.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/support/test-databases.js';
import type { AutomationDeps } from './automation.deps.js';
import { loadRulesFile } from './load-rules-file.js';
import { createRegexTester } from './regex-tester.js';
import { ruleRepository } from './rule.repository.js';
import { rulesRoutes } from './rules.routes.js';
import { runRulesForEvent } from './run-rules.js';
import { InMemoryCrmCommands, InMemoryInboxCommands } from './testing/in-memory-commands.js';
import { createWebhookSender } from './webhook.client.js';

/** The rules API (`/rules`, dry-run, runs) and the rules file, on real databases. */

const FIXTURES = join(import.meta.dirname, '../../../test/fixtures/automation');
const T0 = Date.UTC(2026, 10, 30, 12, 0);

const hotLead = {
  id: 'hot-lead-inquiry',
  name: 'Hot lead gets the property inquiry',
  trigger: { type: 'crm.person_created' },
  conditions: [{ field: 'tags', op: 'contains', value: 'Hot Lead – High Priority' }],
  actions: [{ type: 'send_template', name: 'property_inquiry', parameters: { body: ['{{contact.firstName}}'], buttons: ['budget_500k_1m', 'budget_1m_2m', 'budget_2m_plus'] } }],
};
const budgetReply = {
  id: 'budget-reply',
  name: 'Budget reply',
  trigger: { type: 'reply', payloads: ['budget_1m_2m'] },
  actions: [
    { type: 'update_crm_field', field: 'budget', value: '{{reply.title}}' },
    { type: 'create_task', subject: 'Follow up with {{contact.name}}', dueInMinutes: 60 },
  ],
};

describe.each(DIALECTS)('the rules API on %s', (dialect) => {
  let database: TestDatabase;
  let db: Db;
  let app: FastifyInstance;
  let deps: AutomationDeps;
  let contactId: string;
  const clock = new ManualClock(T0);
  const webhooks = createWebhookSender({ allowPrivate: false });

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    db = database.db;
    const queue = new SqlJobQueue(db, database.dialect, clock, uuidGenerator, 8);
    const numbers = new NumberDirectory(db, clock, null, { phoneNumberId: '1000200030004000', wabaId: '77', displayPhoneNumber: '15550001111', accessToken: 'token', throughputMps: 80 });
    const queueDeps = {
      db, clock, ids: uuidGenerator, numbers, defaultRegion: 'US', onQueued: () => undefined,
      consentPolicy: { marketing: 'respect-opt-out', utility: 'ignore-opt-out', authentication: 'ignore-opt-out' }, privacySalt: null, templateDefaultLanguage: 'en_US', templateTimeZone: 'UTC',
    } as QueueMessageDeps;
    deps = { db, clock, ids: uuidGenerator, log: createLogger('silent'), queueDeps, crm: new InMemoryCrmCommands(), inbox: new InMemoryInboxCommands(), webhooks, webhookTimeoutMs: 1_000, regex: createRegexTester(), enqueue: (exec, jobs) => queue.enqueue(exec, jobs) };
    app = await apiWith((a) => a.register(rulesRoutes, { deps }));
    const contact = await findOrCreateContactByPhone(db, '+14155550142', { clock, ids: uuidGenerator, defaultRegion: 'US' });
    if (!contact.ok) throw contact.error;
    contactId = contact.value.id;
    await db.updateTable('contacts').set({ name: 'Dana Whitfield' }).where('id', '=', contactId).execute();
  });
  afterAll(async () => {
    await app?.close();
    await webhooks.close();
    await database?.drop();
  });
  beforeEach(async () => {
    for (const table of ['automation_rules', 'automation_runs', 'automation_action_results', 'automation_handled_events', 'automation_crm_snapshots', 'jobs', 'outbound_messages'] as const) await db.deleteFrom(table).execute();
  });

  const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) => {
    const response = await app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
    // Bodies are read loosely and checked with toMatchObject.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: response.statusCode, body: response.body ? (JSON.parse(response.body) as Record<string, any>) : null };
  };

  it('creates, lists, reads, replaces and deletes rules', async () => {
    const created = await call('POST', '/rules', hotLead);
    expect(created).toMatchObject({ status: 201, body: { ...hotLead, enabled: true, position: 0, source: 'api' } });
    expect((await call('POST', '/rules', budgetReply)).body).toMatchObject({ position: 1 });
    expect((await call('GET', '/rules')).body!['data'].map((r: { id: string }) => r.id)).toEqual(['hot-lead-inquiry', 'budget-reply']);
    expect((await call('GET', '/rules/budget-reply')).body).toMatchObject({ id: 'budget-reply', trigger: { type: 'reply' } });

    const replaced = await call('PUT', '/rules/budget-reply', { ...budgetReply, id: undefined, enabled: false });
    expect(replaced).toMatchObject({ status: 200, body: { id: 'budget-reply', enabled: false, position: 1 } });
    const createdByPut = await call('PUT', '/rules/new-one', { name: 'New', trigger: { type: 'consent.opt_out' }, actions: [{ type: 'add_tag', tag: 'Opted out' }] });
    expect(createdByPut).toMatchObject({ status: 201, body: { id: 'new-one', position: 2 } });

    expect((await call('DELETE', '/rules/new-one')).status).toBe(204);
    expect(await call('DELETE', '/rules/new-one')).toMatchObject({ status: 404, body: { error: { code: 'RULE_NOT_FOUND' } } });
    expect(await call('GET', '/rules/new-one')).toMatchObject({ status: 404, body: { error: { code: 'RULE_NOT_FOUND', message: 'No rule new-one.' } } });
  });

  it('refuses invalid rules with every problem and its path, and stores nothing', async () => {
    const bad = await call('POST', '/rules', { ...hotLead, trigger: { type: 'message.received', regex: '(a+)+' }, actions: [{ type: 'send_message', text: 'Hi {{contact.nick}}' }] });
    expect(bad.status).toBe(422);
    expect(bad.body!['error']).toMatchObject({ code: 'RULE_INVALID', message: expect.stringMatching(/^The rule is invalid: trigger\.regex: a repeated group/) });
    expect(bad.body!['error'].details.issues.map((i: { path: string }) => i.path)).toEqual(['trigger.regex', 'actions.0.text']);
    expect(await call('POST', '/rules', [1, 2])).toMatchObject({ status: 422, body: { error: { code: 'RULE_INVALID' } } });
    expect(await call('POST', '/rules', { ...hotLead, actions: [{ type: 'teleport' }] })).toMatchObject({ status: 422, body: { error: { code: 'RULE_INVALID' } } });
    expect(await ruleRepository.list(db)).toEqual([]);

    expect((await call('POST', '/rules', hotLead)).status).toBe(201);
    expect(await call('POST', '/rules', hotLead)).toMatchObject({ status: 409, body: { error: { code: 'RULE_ALREADY_EXISTS' } } });
    expect(await call('PUT', '/rules/other-id', hotLead)).toMatchObject({ status: 400, body: { error: { code: 'RULE_ID_MISMATCH' } } });
    expect(await call('PUT', '/rules/has%20space', { ...hotLead, id: undefined })).toMatchObject({ status: 422, body: { error: { code: 'RULE_INVALID', details: { issues: [{ path: 'id' }] } } } });
    expect((await ruleRepository.list(db)).map((s) => s.rule.id)).toEqual(['hot-lead-inquiry']);
  });

  it('never shows a webhook secret, and keeps the stored one when the mask comes back for the same url', async () => {
    const hook = { id: 'hook', name: 'Hook', trigger: { type: 'message.received' }, actions: [{ type: 'webhook', url: 'https://hooks.example.com/in', secret: 'the-real-secret-0123' }] };
    const created = await call('POST', '/rules', hook);
    expect(created.body!['actions'][0].secret).toBe('[stored secret: hidden]');
    expect(JSON.stringify((await call('GET', '/rules')).body)).not.toContain('the-real-secret');

    const roundTrip = await call('PUT', '/rules/hook', { ...created.body, source: undefined, createdAt: undefined, updatedAt: undefined, name: 'Hook, renamed' });
    expect(roundTrip).toMatchObject({ status: 200, body: { name: 'Hook, renamed' } });
    const stored = await ruleRepository.find(db, 'hook');
    expect(stored!.rule.actions[0]).toMatchObject({ secret: 'the-real-secret-0123' });

    const moved = await call('PUT', '/rules/hook', { ...hook, actions: [{ ...hook.actions[0], url: 'https://elsewhere.example.com/', secret: '[stored secret: hidden]' }] });
    expect(moved).toMatchObject({ status: 422, body: { error: { code: 'RULE_INVALID', details: { issues: [{ path: 'actions.0.secret' }] } } } });
    expect(await call('POST', '/rules', { ...hook, id: 'hook-2', actions: [{ ...hook.actions[0], secret: '[stored secret: hidden]' }] })).toMatchObject({ status: 422 });
    expect((await ruleRepository.find(db, 'hook'))!.rule.actions[0]).toMatchObject({ url: 'https://hooks.example.com/in', secret: 'the-real-secret-0123' });
  });

  it('dry-runs a rule: the conditions it saw and the actions with their values, changing nothing', async () => {
    await call('POST', '/rules', hotLead);
    await call('POST', '/rules', budgetReply);
    const hot = await call('POST', '/rules/hot-lead-inquiry/dry-run', { event: { contactId, kind: 'crm.person_created', tags: ['Hot Lead – High Priority'], ownerId: 'owner-7' } });
    expect(hot.status).toBe(200);
    expect(hot.body).toMatchObject({
      ruleId: 'hot-lead-inquiry',
      wouldRun: true,
      trigger: { matched: true },
      conditions: [{ field: 'tags', op: 'contains', matched: true, actual: ['Hot Lead – High Priority'] }],
      actions: [
        {
          type: 'send_template',
          request: { contactId, template: { name: 'property_inquiry', parameters: { body: ['Dana'] } } },
          // The catalogue has no such template here: the preview says why a send would fail.
          preview: { error: { code: 'TEMPLATE_NOT_FOUND' } },
        },
      ],
    });

    const tap = await call('POST', '/rules/budget-reply/dry-run', { event: { contactId, kind: 'reply', reply: { payload: 'budget_1m_2m', title: '$1M – $2M' } } });
    expect(tap.body!['actions']).toEqual([
      { index: 0, type: 'update_crm_field', field: 'budget', value: '$1M – $2M' },
      { index: 1, type: 'create_task', subject: 'Follow up with Dana Whitfield', body: null, dueAt: T0 + 3_600_000, ownerId: null },
    ]);
    const cold = await call('POST', '/rules/hot-lead-inquiry/dry-run', { event: { type: 'crm.person_changed', contactId, change: 'created', tags: ['Cold'], fields: {}, ownerId: null } });
    expect(cold.body).toMatchObject({ wouldRun: false, conditions: [{ matched: false }], actions: [] });
    const text = await call('POST', '/rules/budget-reply/dry-run', { event: { contactId, kind: 'message.received', text: 'hello' } });
    expect(text.body).toMatchObject({ wouldRun: false, trigger: { matched: false, reason: 'the message is not a button or list reply' } });

    expect(await db.selectFrom('automation_runs').select('id').execute()).toEqual([]);
    expect(await db.selectFrom('outbound_messages').select('id').execute()).toEqual([]);
    expect(await db.selectFrom('jobs').select('id').execute()).toEqual([]);
    expect(await db.selectFrom('automation_crm_snapshots').select('contact_id').execute()).toEqual([]);
    expect((deps.crm as InMemoryCrmCommands).people.size).toBe(0);
  });

  it('refuses a dry-run of an unknown rule, for an unknown contact, or with an invalid event', async () => {
    await call('POST', '/rules', hotLead);
    expect(await call('POST', '/rules/nope/dry-run', { event: { contactId, kind: 'message.received' } })).toMatchObject({ status: 404, body: { error: { code: 'RULE_NOT_FOUND' } } });
    expect(await call('POST', '/rules/hot-lead-inquiry/dry-run', { event: { contactId: 'nobody', kind: 'message.received' } })).toMatchObject({ status: 404, body: { error: { code: 'CONTACT_NOT_FOUND' } } });
    const invalid = await call('POST', '/rules/hot-lead-inquiry/dry-run', { event: { kind: 'teleport' } });
    expect(invalid).toMatchObject({ status: 422, body: { error: { code: 'DRY_RUN_EVENT_INVALID' } } });
    expect(invalid.body!['error'].details.issues.map((i: { path: string }) => i.path)).toEqual(['kind', 'contactId']);
  });

  it('shows the audit trail by rule and by contact, newest first, page by page', async () => {
    await call('POST', '/rules', budgetReply);
    for (const [i, payload] of ['budget_1m_2m', 'budget_1m_2m', 'other'].entries()) {
      clock.set(T0 + i * 1000);
      await runRulesForEvent(deps, {
        type: 'message.received', id: `tap-${i}`, contactId, wamid: `w${i}`, businessPhoneNumberId: null, messageType: 'button', text: null,
        reply: { kind: 'button', payload, title: '$1M – $2M' }, quotedWamid: null, occurredAt: T0 + i * 1000,
      });
    }
    const first = await call('GET', '/rules/budget-reply/runs?limit=1');
    expect(first.body!['data']).toEqual([
      expect.objectContaining({
        eventId: 'tap-1',
        status: 'succeeded',
        trigger: { matched: true, reason: 'a button reply "$1M – $2M" (payload "budget_1m_2m")' },
        plannedActions: [expect.objectContaining({ type: 'update_crm_field', value: '$1M – $2M' }), expect.objectContaining({ type: 'create_task' })],
        results: [expect.objectContaining({ index: 0, status: 'ok', code: null }), expect.objectContaining({ index: 1, status: 'ok' })],
        error: null,
      }),
    ]);
    const second = await call('GET', `/rules/budget-reply/runs?limit=1&cursor=${first.body!['nextCursor']}`);
    expect(second.body).toMatchObject({ data: [{ eventId: 'tap-0' }], nextCursor: null });
    expect((await call('GET', `/automation/runs?contactId=${contactId}`)).body!['data'].map((r: { eventId: string }) => r.eventId)).toEqual(['tap-1', 'tap-0']);
    expect((await call('GET', '/automation/runs?contactId=someone-else')).body).toEqual({ data: [], nextCursor: null });
    expect(await call('GET', '/automation/runs?cursor=%%%')).toMatchObject({ status: 400, body: { error: { code: 'RUNS_CURSOR_INVALID' } } });
    expect(await call('GET', '/rules/unknown/runs')).toMatchObject({ status: 404, body: { error: { code: 'RULE_NOT_FOUND' } } });
  });

  it('loads a YAML rules file, upserting by id, and a JSON one', async () => {
    await call('POST', '/rules', { ...hotLead, name: 'Made in the API' });
    await call('POST', '/rules', { id: 'api-only', name: 'API only', trigger: { type: 'consent.opt_out' }, actions: [{ type: 'add_tag', tag: 'x' }] });
    expect(await loadRulesFile(join(FIXTURES, 'hot-lead-rules.yaml'), { db, clock, ids: uuidGenerator })).toEqual({ loaded: 2 });
    expect(await loadRulesFile(join(FIXTURES, 'hot-lead-rules.yaml'), { db, clock, ids: uuidGenerator })).toEqual({ loaded: 2 });
    expect(await loadRulesFile(join(FIXTURES, 'rules.json'), { db, clock, ids: uuidGenerator })).toEqual({ loaded: 1 });
    const rules = await ruleRepository.list(db);
    expect(rules.map((s) => [s.rule.id, s.source, s.rule.name])).toEqual([
      ['hot-lead-inquiry', 'file', 'Hot lead gets the property inquiry'],
      ['api-only', 'api', 'API only'],
      ['budget-reply', 'file', 'Budget reply goes to the CRM and books the follow-up'],
      ['after-hours', 'file', 'After-hours auto-reply'],
    ]);
  });

  it('stops on an invalid rules file with one line naming the file and the rule, storing none of it', async () => {
    const path = join(FIXTURES, 'invalid-rules.yaml');
    const failure = await loadRulesFile(path, { db, clock, ids: uuidGenerator }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toBe(`Invalid AUTOMATION_RULES_FILE ${path}: rule 2 ("broken-regex"): trigger.regex: a repeated group may not itself repeat or alternate, e.g. (a+)+ or (a|b)*: it can take exponential time (write [ab]* or a+ instead)`);
    expect((failure as Error).message).not.toContain('\n');
    expect(await ruleRepository.list(db)).toEqual([]);
    await expect(loadRulesFile(join(FIXTURES, 'missing.yaml'), { db, clock, ids: uuidGenerator })).rejects.toThrow(/missing\.yaml: cannot be read \(ENOENT\)/);
    await expect(loadRulesFile(join(FIXTURES, '../../../package.json'), { db, clock, ids: uuidGenerator })).rejects.toThrow(/must be a list of rules/);
  });
});
