import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import type { Db } from '../../db/database.js';
import type { JobContext } from '../../jobs/job-definition.js';
import { SqlJobQueue } from '../../jobs/sql-job-queue.js';
import { Worker } from '../../jobs/worker.js';
import { ManualClock } from '../../platform/clock.js';
import { createLogger } from '../../platform/logger.js';
import { sequentialIds, uuidGenerator } from '../../platform/ids.js';
import { findOrCreateContactByPhone } from '../contacts/index.js';
import { eventPublisher, subscriberJob, type DomainEvent, type DomainEventOf } from '../events/index.js';
import { NumberDirectory } from '../numbers/index.js';
import type { QueueMessageDeps } from '../outbound/index.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/support/test-databases.js';
import type { AutomationDeps } from './automation.deps.js';
import { automationSubscriber } from './automation.subscriber.js';
import type { RuleInput } from './core/rule.js';
import { createRegexTester } from './regex-tester.js';
import { ruleRepository } from './rule.repository.js';
import { runRulesForEvent } from './run-rules.js';
import { runRepository } from './run.repository.js';
import { saveRule } from './save-rule.js';
import { InMemoryCrmCommands, InMemoryInboxCommands } from './testing/in-memory-commands.js';
import { createWebhookSender } from './webhook.client.js';
import { WINDOW_CLOSING_JOB, windowClosingJob } from './window-closing.job.js';

/**
 * The engine on real databases, with the CRM and inbox ports in memory: once per event, in order
 * per contact, every run and action result stored, refusals recorded, window checks scheduled.
 */

const NUMBER = '1000200030004000';
const T0 = Date.UTC(2026, 10, 30, 12, 0);
const log = createLogger('silent');

describe.each(DIALECTS)('the automation engine on %s', (dialect) => {
  let database: TestDatabase;
  let db: Db;
  let clock: ManualClock;
  let crm: InMemoryCrmCommands;
  let inbox: InMemoryInboxCommands;
  let deps: AutomationDeps;
  let queue: SqlJobQueue;
  const webhooks = createWebhookSender({ allowPrivate: true });

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    db = database.db;
  });
  afterAll(async () => {
    await webhooks.close();
    await database?.drop();
  });

  beforeEach(async () => {
    for (const table of ['automation_rules', 'automation_runs', 'automation_action_results', 'automation_handled_events', 'automation_crm_snapshots', 'automation_contact_leases', 'jobs', 'outbound_messages', 'messages'] as const) {
      await db.deleteFrom(table).execute();
    }
    clock = new ManualClock(T0);
    crm = new InMemoryCrmCommands();
    inbox = new InMemoryInboxCommands();
    queue = new SqlJobQueue(db, database.dialect, clock, uuidGenerator, 8);
    const numbers = new NumberDirectory(db, clock, null, { phoneNumberId: NUMBER, wabaId: '77', displayPhoneNumber: '15550001111', accessToken: 'token', throughputMps: 80 });
    const queueDeps: QueueMessageDeps = {
      db,
      clock,
      ids: uuidGenerator,
      numbers,
      defaultRegion: 'US',
      onQueued: () => undefined,
      consentPolicy: { marketing: 'respect-opt-out', utility: 'ignore-opt-out', authentication: 'ignore-opt-out' },
      privacySalt: null,
      templateDefaultLanguage: 'en_US',
      templateTimeZone: 'UTC',
    } as QueueMessageDeps;
    deps = { db, clock, ids: uuidGenerator, log, queueDeps, crm, inbox, webhooks, webhookTimeoutMs: 2_000, regex: createRegexTester(), enqueue: (exec, jobs) => queue.enqueue(exec, jobs) };
  });

  const addRule = async (rule: RuleInput) => {
    const saved = await saveRule({ db, clock, ids: sequentialIds('rule') }, rule, { mode: 'replace', source: 'api' });
    if (!saved.ok) throw saved.error;
  };
  const contact = async (phone = '+14155550142', name = 'Dana Whitfield') => {
    const found = await findOrCreateContactByPhone(db, phone, { clock, ids: uuidGenerator, defaultRegion: 'US' });
    if (!found.ok) throw found.error;
    await db.updateTable('contacts').set({ name }).where('id', '=', found.value.id).execute();
    return found.value.id;
  };
  const inboundRow = async (contactId: string, wamid: string, at: number) => {
    await db
      .insertInto('messages')
      .values({
        id: uuidGenerator.next(), wamid, contact_id: contactId, business_phone_number_id: NUMBER, direction: 'inbound', type: 'text', text: 'hi', status: null, status_rank: 0,
        error_code: null, error_title: null, error_details: null, wa_timestamp: at, media: null, content: null, context: null, referral: null, pricing: null, raw: null, created_at: at, updated_at: at,
      })
      .execute();
  };
  const received = (contactId: string, over: Partial<DomainEventOf<'message.received'>> = {}): DomainEventOf<'message.received'> => ({
    type: 'message.received',
    id: `in:${over.wamid ?? 'wamid.1'}`,
    contactId,
    wamid: 'wamid.1',
    businessPhoneNumberId: NUMBER,
    messageType: 'text',
    text: 'hello',
    reply: null,
    quotedWamid: null,
    occurredAt: T0,
    ...over,
  });
  const personChanged = (contactId: string, over: Partial<DomainEventOf<'crm.person_changed'>> = {}): DomainEventOf<'crm.person_changed'> => ({
    type: 'crm.person_changed',
    id: `crm:${over.occurredAt ?? T0}`,
    contactId,
    change: 'created',
    connector: 'builtin',
    crmId: 'p-1',
    tags: [],
    fields: {},
    ownerId: 'owner-7',
    occurredAt: T0,
    ...over,
  });
  const runsOf = (filter: { ruleId?: string; contactId?: string }) => runRepository.page(db, filter, { limit: 100 });
  const resultsOf = async (runId: string) => (await runRepository.results(db, [runId])).get(runId) ?? [];
  const jobCtx = (jobId: string): JobContext => ({ trx: db, jobId, attempt: 1, log });

  it('fires a rule once per event, however often and however concurrently the event is handled', async () => {
    const c = await contact();
    await addRule({ id: 'tag-hot', name: 'Tag', trigger: { type: 'crm.person_created' }, conditions: [{ field: 'tags', op: 'contains', value: 'Hot Lead – High Priority' }], actions: [{ type: 'add_tag', tag: 'Contacted' }, { type: 'create_task', subject: 'Call {{contact.firstName}}', dueInMinutes: 30 }] });
    const event = personChanged(c, { tags: ['Hot Lead – High Priority'] });
    const subscriber = automationSubscriber(deps);
    await Promise.all([subscriber.handle(event, jobCtx('job-a')), subscriber.handle(event, jobCtx('job-b')), runRulesForEvent(deps, event)]);
    await subscriber.handle(event, jobCtx('job-c'));

    const runs = await runsOf({ ruleId: 'tag-hot' });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'succeeded', eventId: event.id, contactId: c });
    expect((await resultsOf(runs[0]!.id)).map((r) => [r.type, r.status])).toEqual([['add_tag', 'ok'], ['create_task', 'ok']]);
    expect(crm.person(c).tags).toEqual(['Contacted']);
    expect(crm.tasks).toEqual([expect.objectContaining({ contactId: c, subject: 'Call Dana', ownerId: 'owner-7', dueAt: T0 + 30 * 60_000 })]);
  });

  it('records a run whose conditions fail as skipped, with what each condition saw', async () => {
    const c = await contact();
    await addRule({ id: 'hot-only', name: 'Hot only', trigger: { type: 'crm.person_created' }, conditions: [{ field: 'tags', op: 'contains', value: 'Hot' }], actions: [{ type: 'add_tag', tag: 'x' }] });
    await runRulesForEvent(deps, personChanged(c, { tags: ['Cold'] }));
    const [run] = await runsOf({ ruleId: 'hot-only' });
    expect(run).toMatchObject({ status: 'skipped', evaluation: { conditions: [{ field: 'tags', op: 'contains', value: 'Hot', actual: ['Cold'], matched: false }] } });
    expect(await resultsOf(run!.id)).toEqual([]);
    expect(crm.people.size).toBe(0);
  });

  it('does nothing when a placeholder has no value, and records which one on the run', async () => {
    const c = await contact();
    await addRule({ id: 'needs-budget', name: 'Needs budget', trigger: { type: 'message.received' }, actions: [{ type: 'add_tag', tag: 'seen' }, { type: 'send_message', text: 'Your budget: {{contact.fields.budget}}' }] });
    await runRulesForEvent(deps, received(c));
    const [run] = await runsOf({ ruleId: 'needs-budget' });
    expect(run).toMatchObject({ status: 'failed', errorCode: 'AUTOMATION_PLACEHOLDER_MISSING', errorMessage: '{{contact.fields.budget}} has no value (action 2, send_message.text)' });
    expect((await resultsOf(run!.id)).map((r) => [r.status, r.code])).toEqual([['skipped', 'AUTOMATION_RUN_FAILED'], ['failed', 'AUTOMATION_PLACEHOLDER_MISSING']]);
    expect(crm.people.size).toBe(0);
    expect(await db.selectFrom('outbound_messages').select('id').execute()).toEqual([]);
  });

  it('records a send refused outside the 24-hour window with its code, and skips the actions after it', async () => {
    const c = await contact();
    await addRule({ id: 'reply-text', name: 'Text', trigger: { type: 'crm.person_created' }, actions: [{ type: 'send_message', text: 'Hi {{contact.firstName}}' }, { type: 'add_tag', tag: 'messaged' }, { type: 'add_tag', tag: 'always', continueOnError: true }] });
    await runRulesForEvent(deps, personChanged(c));
    const [run] = await runsOf({ ruleId: 'reply-text' });
    expect(run).toMatchObject({ status: 'failed', errorCode: 'WINDOW_CLOSED' });
    expect((await resultsOf(run!.id)).map((r) => [r.type, r.status, r.code])).toEqual([
      ['send_message', 'failed', 'WINDOW_CLOSED'],
      ['add_tag', 'skipped', 'AUTOMATION_PREVIOUS_ACTION_FAILED'],
      ['add_tag', 'skipped', 'AUTOMATION_PREVIOUS_ACTION_FAILED'],
    ]);
    expect(crm.people.size).toBe(0);
  });

  it('sends a text inside the window once, with an idempotency key derived from the run and the action', async () => {
    const c = await contact();
    await inboundRow(c, 'wamid.1', T0);
    await addRule({ id: 'ack', name: 'Ack', trigger: { type: 'message.received', keywords: ['price'] }, actions: [{ type: 'send_message', text: 'Thanks {{contact.firstName}}, prices follow.' }] });
    await runRulesForEvent(deps, received(c, { text: 'What is the PRICE?' }));
    const [run] = await runsOf({ ruleId: 'ack' });
    expect(run).toMatchObject({ status: 'succeeded' });
    const sent = await db.selectFrom('outbound_messages').selectAll().execute();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ contact_id: c, idempotency_key: `automation:${run!.id}:0`, business_phone_number_id: NUMBER });
    expect(JSON.parse(sent[0]!.body)).toMatchObject({ type: 'text', text: { body: 'Thanks Dana, prices follow.' } });
    expect((await resultsOf(run!.id))[0]).toMatchObject({ status: 'ok', detail: { messageId: sent[0]!.id, replayed: false } });
  });

  it('resumes a run after a crash without repeating the actions already done', async () => {
    const c = await contact();
    await addRule({ id: 'two-steps', name: 'Two steps', trigger: { type: 'crm.person_created' }, actions: [{ type: 'add_tag', tag: 'one' }, { type: 'create_task', subject: 'two' }] });
    const event = personChanged(c);
    const subscriber = automationSubscriber(deps);
    let calls = 0;
    const createTask = crm.createTask.bind(crm);
    crm.createTask = async (exec, command) => {
      if (++calls === 1) throw new Error('connection reset');
      return createTask(exec, command);
    };
    await expect(subscriber.handle(event, jobCtx('job-1'))).rejects.toThrow('connection reset');
    const [run] = await runsOf({ ruleId: 'two-steps' });
    expect(run!.status).toBe('running');
    expect((await resultsOf(run!.id)).map((r) => r.type)).toEqual(['add_tag']);

    await subscriber.handle(event, jobCtx('job-1'));
    expect((await runsOf({ ruleId: 'two-steps' }))[0]!.status).toBe('succeeded');
    expect(crm.keys.size).toBe(2);
    expect(crm.tasks).toHaveLength(1);
  });

  it('finishes a run interrupted by a crash even when its rule was disabled before the retry', async () => {
    const c = await contact();
    const rule: RuleInput = { id: 'half-done', name: 'Half done', trigger: { type: 'crm.person_created' }, actions: [{ type: 'add_tag', tag: 'one' }, { type: 'add_tag', tag: 'two' }] };
    await addRule(rule);
    const event = personChanged(c);
    const updatePerson = crm.updatePerson.bind(crm);
    let calls = 0;
    crm.updatePerson = async (exec, command) => {
      if (++calls === 2) throw new Error('process killed');
      return updatePerson(exec, command);
    };
    await expect(runRulesForEvent(deps, event)).rejects.toThrow('process killed');
    await addRule({ ...rule, enabled: false });
    await runRulesForEvent(deps, event);
    expect((await runsOf({ ruleId: 'half-done' })).map((r) => r.status)).toEqual(['succeeded']);
    expect(crm.person(c).tags).toEqual(['one', 'two']);
  });

  it('handles a contact\'s events in the order they happened, even when their jobs run out of order', async () => {
    const c = await contact();
    await addRule({ id: 'echo', name: 'Echo', trigger: { type: 'message.received' }, actions: [{ type: 'add_tag', tag: '{{message.text}}' }] });
    const subscriber = automationSubscriber(deps);
    const publish = eventPublisher([subscriber], (exec, jobs) => queue.enqueue(exec, jobs));
    const events = [1, 2, 3, 4, 5].map((i) => received(c, { id: `in:${i}`, wamid: `wamid.${i}`, text: `m${i}`, occurredAt: T0 + i * 1000 }));
    // Published newest first: queue order is the reverse of the order they happened in.
    await publish(db, [...events].reverse());
    const jobs = await db.selectFrom('jobs').selectAll().where('name', '=', 'event.automation').execute();
    const jobOf = (id: string) => jobs.find((j) => (JSON.parse(j.payload) as DomainEvent).id === id)!;

    // The newest event's job runs first: it handles the four earlier ones before its own.
    await subscriber.handle(events[4]!, jobCtx(jobOf('in:5').id));
    expect(crm.person(c).tags).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    for (const e of events) await subscriber.handle(e, jobCtx(jobOf(e.id).id));
    expect(await runsOf({ ruleId: 'echo' })).toHaveLength(5);
    expect(crm.person(c).tags).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('keeps per-contact order through the worker, with jobs running concurrently', async () => {
    const contacts = [await contact('+14155550101', 'A'), await contact('+14155550102', 'B'), await contact('+14155550103', 'C')];
    await addRule({ id: 'echo', name: 'Echo', trigger: { type: 'message.received' }, actions: [{ type: 'add_tag', tag: '{{message.text}}' }] });
    const subscriber = automationSubscriber(deps);
    const publish = eventPublisher([subscriber], (exec, jobs) => queue.enqueue(exec, jobs));
    const events = contacts.flatMap((c, ci) => Array.from({ length: 8 }, (_, i) => received(c, { id: `in:${ci}:${i}`, wamid: `w.${ci}.${i}`, text: `m${i}`, occurredAt: T0 + i * 10 })));
    // Shuffled: the queue holds them in no particular order.
    const shuffled = events.map((e, i) => ({ e, k: (i * 7919) % events.length })).sort((a, b) => a.k - b.k).map((x) => x.e);
    await publish(db, shuffled);
    const worker = new Worker(queue, [subscriberJob(subscriber)], { batchSize: 10, leasedBatchSize: 8, pollIntervalMs: 50, clock, log });
    await worker.drain();
    for (const c of contacts) expect(crm.person(c).tags).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);
    expect(await runsOf({ ruleId: 'echo' })).toHaveLength(24);
  });

  it('compares a CRM update with the state before it: a tag added fires, the same tags again do not', async () => {
    const c = await contact();
    await addRule({ id: 'became-hot', name: 'Became hot', trigger: { type: 'crm.person_updated' }, conditions: [{ field: 'tags', op: 'added', value: 'Hot' }], actions: [{ type: 'create_task', subject: 'Hot now: {{contact.name}}' }] });
    await runRulesForEvent(deps, personChanged(c, { tags: ['Cold'] }));
    await runRulesForEvent(deps, personChanged(c, { change: 'updated', tags: ['Cold', 'Hot'], occurredAt: T0 + 1 }));
    await runRulesForEvent(deps, personChanged(c, { change: 'updated', tags: ['Cold', 'Hot'], fields: { city: 'Lisbon' }, occurredAt: T0 + 2 }));
    const byEvent = Object.fromEntries((await runsOf({ ruleId: 'became-hot' })).map((r) => [r.eventId, r.status]));
    expect(byEvent).toEqual({ [`crm:${T0 + 1}`]: 'succeeded', [`crm:${T0 + 2}`]: 'skipped' });
    expect(crm.tasks.map((t) => t.subject)).toEqual(['Hot now: Dana Whitfield']);
  });

  it('schedules a window check per inbound message, and fires it only when no newer message came', async () => {
    const c = await contact();
    await addRule({ id: 'closing', name: 'Closing', trigger: { type: 'window.closing', minutesBefore: 60 }, actions: [{ type: 'send_message', text: 'Anything else, {{contact.firstName}}? This chat closes soon.' }] });
    await inboundRow(c, 'wamid.1', T0);
    await runRulesForEvent(deps, received(c));
    const [check] = await db.selectFrom('jobs').selectAll().where('name', '=', WINDOW_CLOSING_JOB).execute();
    expect(check).toMatchObject({ run_at: T0 + 23 * 3_600_000, dedupe_key: `${WINDOW_CLOSING_JOB}:closing:wamid.1` });
    const job = windowClosingJob(deps, (event, only) => runRulesForEvent(deps, event, only));

    clock.set(T0 + 23 * 3_600_000);
    await job.handle(JSON.parse(check!.payload), jobCtx(check!.id));
    const [run] = await runsOf({ ruleId: 'closing' });
    expect(run).toMatchObject({ status: 'succeeded', eventType: 'window.closing', eventId: 'window.closing:closing:wamid.1' });
    await job.handle(JSON.parse(check!.payload), jobCtx(check!.id));
    expect(await runsOf({ ruleId: 'closing' })).toHaveLength(1);

    // A newer message: the older check does nothing.
    await inboundRow(c, 'wamid.2', T0 + 3_600_000);
    await job.handle({ ...JSON.parse(check!.payload), wamid: 'wamid.0' }, jobCtx(check!.id));
    expect(await runsOf({ ruleId: 'closing' })).toHaveLength(1);
  });

  it('posts a signed webhook with the event and the contact, and records a refused private address on the run', async () => {
    const c = await contact();
    const requests: { signature: string | undefined; delivery: string | undefined; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        requests.push({ signature: req.headers['x-switchboard-signature'] as string | undefined, delivery: req.headers['x-switchboard-delivery'] as string | undefined, body });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`;
    const secret = 'hook-secret-0123456789';
    await addRule({ id: 'hook', name: 'Hook', trigger: { type: 'message.received' }, actions: [{ type: 'webhook', url, secret }] });

    await runRulesForEvent(deps, received(c));
    const [run] = await runsOf({ ruleId: 'hook' });
    expect(run).toMatchObject({ status: 'succeeded' });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.signature).toBe(`sha256=${createHmac('sha256', secret).update(requests[0]!.body).digest('hex')}`);
    expect(requests[0]!.delivery).toBe(`automation:${run!.id}:0`);
    expect(JSON.parse(requests[0]!.body)).toMatchObject({ event: { type: 'message.received', id: 'in:wamid.1', text: 'hello' }, contact: { id: c, name: 'Dana Whitfield' }, rule: { id: 'hook' }, runId: run!.id });
    expect(JSON.stringify(run!.evaluation)).not.toContain(secret);

    const guarded = createWebhookSender({ allowPrivate: false });
    onTestFinished(() => guarded.close());
    await runRulesForEvent({ ...deps, webhooks: guarded }, received(c, { id: 'in:2', wamid: 'wamid.2' }));
    const refused = (await runsOf({ ruleId: 'hook' })).find((r) => r.eventId === 'in:2')!;
    expect(refused).toMatchObject({ status: 'failed', errorCode: 'WEBHOOK_ADDRESS_REFUSED' });
    expect((await resultsOf(refused.id))[0]!.message).toMatch(/127\.0\.0\.1 is not a public address/);
    expect(requests).toHaveLength(1);
  });

  it('fires on a contact\'s first message only, on a failed send by its code and on an opt-out, and passes over other statuses', async () => {
    const c = await contact();
    await addRule({ id: 'welcome', name: 'Welcome', trigger: { type: 'message.received', firstMessage: true }, actions: [{ type: 'add_tag', tag: 'Welcomed' }] });
    await addRule({ id: 'failed', name: 'Failed', trigger: { type: 'message.failed', errorCodes: [131026] }, actions: [{ type: 'reopen_and_alert', reason: 'Undeliverable: {{event.errors.0.title}}' }] });
    await addRule({ id: 'opt-out', name: 'Opt-out', trigger: { type: 'consent.opt_out', categories: ['marketing'] }, actions: [{ type: 'add_tag', tag: 'Opted out' }] });
    const subscriber = automationSubscriber(deps);
    await inboundRow(c, 'wamid.1', T0);
    await subscriber.handle(received(c), jobCtx('j1'));
    await inboundRow(c, 'wamid.2', T0 + 1000);
    await subscriber.handle(received(c, { id: 'in:wamid.2', wamid: 'wamid.2', occurredAt: T0 + 1000 }), jobCtx('j2'));
    const status = (id: string, value: string, errors: { code: number; title: string }[] = []): DomainEvent => ({
      type: 'message.status',
      id,
      contactId: c,
      wamid: 'wamid.out',
      outboundMessageId: null,
      businessPhoneNumberId: NUMBER,
      status: value,
      errors,
      occurredAt: T0 + 2000,
    });
    await subscriber.handle(status('s1', 'delivered'), jobCtx('j3'));
    await subscriber.handle(status('s2', 'failed', [{ code: 131026, title: 'Message undeliverable' }]), jobCtx('j4'));
    const consent = (id: string, action: 'opt_in' | 'opt_out'): DomainEvent => ({ type: 'consent.changed', id, contactId: c, businessPhoneNumberId: NUMBER, category: 'marketing', action, source: 'keyword', occurredAt: T0 + 3000 });
    await subscriber.handle(consent('o1', 'opt_in'), jobCtx('j5'));
    await subscriber.handle(consent('o2', 'opt_out'), jobCtx('j6'));

    expect(crm.person(c).tags).toEqual(['Welcomed', 'Opted out']);
    expect(inbox.alerts).toEqual([{ contactId: c, phoneNumberId: NUMBER, reason: 'Undeliverable: Message undeliverable' }]);
    const runs = await runsOf({ contactId: c });
    expect(runs.map((r) => [r.ruleId, r.eventId, r.status]).sort()).toEqual([
      ['failed', 's2', 'succeeded'],
      ['opt-out', 'o2', 'succeeded'],
      // The second message does not match the trigger: no run at all.
      ['welcome', 'in:wamid.1', 'succeeded'],
    ].sort());
    // A delivered status or an opt-in cannot trigger a rule: nothing was even looked at.
    const handled = (await db.selectFrom('automation_handled_events').select('event_id').execute()).map((r) => r.event_id);
    expect(handled.sort()).toEqual(['in:wamid.1', 'in:wamid.2', 'o2', 's2']);
  });

  it('makes no job for events that no enabled rule could react to; CRM changes always go through', async () => {
    const c = await contact();
    const publish = eventPublisher([automationSubscriber(deps)], (exec, jobs) => queue.enqueue(exec, jobs), log);
    const queued = async () => (await db.selectFrom('jobs').select('payload').where('name', '=', 'event.automation').execute()).map((j) => (JSON.parse(j.payload) as DomainEvent).id).sort();
    const failed: DomainEvent = { type: 'message.status', id: 's-failed', contactId: c, wamid: 'wamid.out', outboundMessageId: null, businessPhoneNumberId: NUMBER, status: 'failed', errors: [], occurredAt: T0 };
    // Each round publishes a plain message, a button tap, a failed send and a CRM change.
    const everything = async (round: string) => {
      const tap = received(c, { id: `tap:${round}`, wamid: `tap.${round}`, messageType: 'interactive', reply: { kind: 'button', payload: 'yes', title: 'Yes' } });
      await db.transaction().execute((trx) => publish(trx, [received(c, { id: `text:${round}`, wamid: `text.${round}` }), tap, { ...failed, id: `failed:${round}` }, personChanged(c, { id: `crm:${round}` })]));
    };
    const ofRound = async (round: string) => (await queued()).filter((id) => id.endsWith(`:${round}`));

    await everything('none');
    expect(await ofRound('none')).toEqual(['crm:none']);

    // A disabled rule changes nothing; an enabled one lets in exactly the events its trigger type can fire on.
    await addRule({ id: 'off', name: 'Off', enabled: false, trigger: { type: 'message.received' }, actions: [{ type: 'add_tag', tag: 'x' }] });
    await everything('disabled');
    expect(await ofRound('disabled')).toEqual(['crm:disabled']);
    await addRule({ id: 'buttons', name: 'Buttons', trigger: { type: 'reply' }, actions: [{ type: 'add_tag', tag: 'x' }] });
    await everything('reply');
    expect(await ofRound('reply')).toEqual(['crm:reply', 'tap:reply']);
    await addRule({ id: 'failures', name: 'Failures', trigger: { type: 'message.failed' }, actions: [{ type: 'add_tag', tag: 'x' }] });
    await everything('failed');
    expect(await ofRound('failed')).toEqual(['crm:failed', 'failed:failed', 'tap:failed']);
    await addRule({ id: 'any', name: 'Any message', trigger: { type: 'message.received' }, actions: [{ type: 'add_tag', tag: 'x' }] });
    await everything('any');
    expect(await ofRound('any')).toEqual(['crm:any', 'failed:any', 'tap:any', 'text:any']);
  });

  it('evaluates rules in position order and ignores disabled ones', async () => {
    const c = await contact();
    await addRule({ id: 'b-second', name: 'B', position: 2, trigger: { type: 'message.received' }, actions: [{ type: 'add_tag', tag: 'second' }] });
    await addRule({ id: 'a-first', name: 'A', position: 1, trigger: { type: 'message.received' }, actions: [{ type: 'add_tag', tag: 'first' }] });
    await addRule({ id: 'off', name: 'Off', enabled: false, trigger: { type: 'message.received' }, actions: [{ type: 'add_tag', tag: 'never' }] });
    await runRulesForEvent(deps, received(c));
    expect(crm.person(c).tags).toEqual(['first', 'second']);
    expect((await ruleRepository.list(db)).map((s) => s.rule.id)).toEqual(['a-first', 'b-second', 'off']);
  });

  it('records CRM and inbox actions as failed when no CRM or inbox is configured', async () => {
    const c = await contact();
    await addRule({ id: 'no-crm', name: 'No CRM', trigger: { type: 'message.received' }, actions: [{ type: 'assign_conversation', continueOnError: true }, { type: 'update_crm_field', field: 'x', value: 'y' }] });
    await runRulesForEvent({ ...deps, crm: null, inbox: null }, received(c));
    const [run] = await runsOf({ contactId: c });
    expect((await resultsOf(run!.id)).map((r) => r.code)).toEqual(['AUTOMATION_INBOX_NOT_CONFIGURED', 'AUTOMATION_CRM_NOT_CONFIGURED']);
  });
});
