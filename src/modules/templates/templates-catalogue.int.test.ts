import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/support/test-databases.js';
import type { TemplateSeed } from '../../simulator/index.js';
import { prepareTemplateSend } from './prepare-template-send.js';
import { syncTemplates } from './sync-templates.js';
import { templateRepository } from './template.repository.js';
import { number, NUMBER_ID, startWorld, T0, WABA_ID, type World } from './testing/world.js';

/**
 * The catalogue against the Meta simulator on real databases: full syncs over many pages, and
 * template webhooks in any order, before and after a sync.
 */

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../../test/fixtures/meta/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
/** A fixture webhook body with another `entry.time` (seconds). */
const at = (body: Record<string, unknown>, seconds: number) => {
  const copy = structuredClone(body) as { entry: { time: number }[] };
  copy.entry[0]!.time = seconds;
  return copy;
};
const seconds = (ms: number) => Math.floor(ms / 1000);

const seed = (name: string, language: string, extra: Partial<TemplateSeed> = {}): TemplateSeed => ({
  name,
  language,
  category: 'UTILITY',
  components: [{ type: 'BODY', text: `Hello from ${name} (${language}), {{1}}.`, example: { body_text: [['Ana']] } }],
  ...extra,
});

describe.each(DIALECTS)('template catalogue on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database.drop();
  });
  beforeEach(async () => {
    await database.db.deleteFrom('template_events').execute();
    await database.db.deleteFrom('templates').execute();
  });

  const world = async (options: Parameters<typeof startWorld>[1] = {}): Promise<World> => {
    const w = await startWorld(database.db, options);
    onTestFinished(() => w.close());
    return w;
  };
  const variant = (name: string, language: string, wabaId = WABA_ID) => templateRepository.findVariant(database.db, wabaId, name, language);
  const events = async (name: string, language: string) => {
    const v = await variant(name, language);
    return v ? (await templateRepository.history(database.db, [v.id])).map((e) => ({ kind: e.kind, from: e.previousValue, to: e.newValue, source: e.source })) : [];
  };
  const eventCount = async () => Number((await database.db.selectFrom('template_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  it('syncs every page of a large catalogue (250 variants, 7 per page), then finds nothing to change', async () => {
    const templates = Array.from({ length: 125 }, (_, i) => [seed(`notice_${i}`, 'en_US'), seed(`notice_${i}`, 'es', { category: 'MARKETING', status: i % 10 === 0 ? 'PAUSED' : 'APPROVED' })]).flat();
    const w = await world({ templates, pageSize: 7 });

    const counts = await syncTemplates(w.deps);
    expect(counts).toEqual({ wabas: 1, fetched: 250, created: 250, updated: 0, unchanged: 0, deleted: 0, failures: [] });
    expect(w.api.listCalls).toBe(Math.ceil(250 / 7));
    const stored = await templateRepository.list(database.db, { wabaId: WABA_ID });
    expect(stored).toHaveLength(250);
    expect(stored.filter((t) => t.status === 'PAUSED')).toHaveLength(13);
    expect(await variant('notice_42', 'es')).toMatchObject({
      category: 'MARKETING',
      status: 'APPROVED',
      parameterFormat: 'POSITIONAL',
      components: [{ type: 'BODY', text: 'Hello from notice_42 (es), {{1}}.' }],
      metaTemplateId: expect.stringMatching(/^\d+$/),
      syncedAt: T0,
    });

    const listed = await w.app.inject({ method: 'GET', url: '/api/v1/templates?status=PAUSED' });
    expect(listed.statusCode).toBe(200);
    const data = listed.json().data as { name: string; variants: { language: string; status: string }[] }[];
    expect(data).toHaveLength(13);
    expect(data[0]).toMatchObject({ name: 'notice_0', wabaId: WABA_ID, variants: [{ language: 'es', status: 'PAUSED', category: 'MARKETING' }] });

    const before = await eventCount();
    w.clock.advance(60_000);
    expect(await syncTemplates(w.deps)).toEqual({ wabas: 1, fetched: 250, created: 0, updated: 0, unchanged: 250, deleted: 0, failures: [] });
    expect(await eventCount()).toBe(before);
    expect((await variant('notice_1', 'en_US'))!.syncedAt).toBe(T0 + 60_000);
  });

  it('syncs each WABA once, however many numbers share it', async () => {
    const w = await world({
      numbers: [
        { phoneNumberId: NUMBER_ID, displayPhoneNumber: '15557340192', wabaId: WABA_ID },
        { phoneNumberId: '2222', displayPhoneNumber: '15557340193', wabaId: WABA_ID },
        { phoneNumberId: '3333', displayPhoneNumber: '15557340194', wabaId: '999000' },
      ],
      templates: [seed('a', 'en_US'), seed('b', 'en_US'), { ...seed('c', 'pt_BR'), wabaId: '999000' }],
      hubNumbers: [number(NUMBER_ID, WABA_ID), number('2222', WABA_ID), number('3333', '999000')],
    });
    expect(await syncTemplates(w.deps)).toMatchObject({ wabas: 2, fetched: 3, created: 3 });
    expect(w.api.listCalls).toBe(2);
    expect(await variant('c', 'pt_BR', '999000')).toMatchObject({ status: 'APPROVED' });
    expect(await variant('c', 'pt_BR')).toBeUndefined();
  });

  it('marks a template Meta no longer lists as DELETED and keeps it with its history', async () => {
    const w = await world({ templates: [seed('keep', 'en_US'), seed('gone', 'en_US'), seed('gone', 'es')] });
    await syncTemplates(w.deps);
    const list = w.api.listTemplates.bind(w.api);
    w.api.listTemplates = async (...args) => {
      const page = await list(...args);
      return page.ok ? { ok: true, value: { ...page.value, data: page.value.data.filter((t) => !(t.name === 'gone' && t.language === 'en_US')) } } : page;
    };
    w.clock.advance(1_000);
    expect(await syncTemplates(w.deps)).toMatchObject({ fetched: 2, unchanged: 2, deleted: 1 });
    expect(await variant('gone', 'en_US')).toMatchObject({ status: 'DELETED', statusChangedAt: T0 + 1_000 });
    expect(await events('gone', 'en_US')).toEqual([
      { kind: 'created', from: null, to: 'APPROVED', source: 'sync' },
      { kind: 'status', from: 'APPROVED', to: 'DELETED', source: 'sync' },
    ]);
    // A deleted template cannot be sent; the other language still can.
    const prepared = (language: string) =>
      prepareTemplateSend(database.db, { wabaId: WABA_ID, contact: null, template: { name: 'gone', language, parameters: { body: ['Ana'] } }, defaultLocale: 'en_US' });
    expect(await prepared('en_US')).toMatchObject({ ok: false, error: { code: 'TEMPLATE_LANGUAGE_NOT_FOUND' } });
    expect(await prepared('es')).toMatchObject({ ok: true, value: { language: 'es' } });
  });

  it('changes nothing when the listing fails half-way, and reports the WABA', async () => {
    const w = await world({ templates: Array.from({ length: 20 }, (_, i) => seed(`t_${i}`, 'en_US')), pageSize: 5 });
    await syncTemplates(w.deps);
    const list = w.api.listTemplates.bind(w.api);
    w.api.listTemplates = async (...args) => (w.api.listCalls >= 3 ? { ok: false, error: { kind: 'http', httpStatus: 500, body: 'oops' } } : list(...args));
    const before = await eventCount();
    expect(await syncTemplates(w.deps)).toEqual({ wabas: 0, fetched: 0, created: 0, updated: 0, unchanged: 0, deleted: 0, failures: [{ wabaId: WABA_ID, code: 'TEMPLATE_SYNC_FAILED', message: 'Meta answered HTTP 500' }] });
    expect(await eventCount()).toBe(before);
    expect((await templateRepository.list(database.db)).every((t) => t.status === 'APPROVED')).toBe(true);

    const route = await w.app.inject({ method: 'POST', url: '/api/v1/templates/sync' });
    expect(route.json().error).toMatchObject({ code: 'TEMPLATE_SYNC_FAILED', details: { failures: [{ wabaId: WABA_ID }] } });
  });

  it('creates a stub from a webhook that arrives before any sync; the sync completes it', async () => {
    const w = await world({ templates: [seed('spring_sale', 'en_GB', { category: 'MARKETING' })] });
    w.sim.setTemplateStatus({ name: 'spring_sale', language: 'en_GB' }, 'PAUSED');
    await w.hub.waitFor((a) => a.length === 1);
    expect(await w.applyWebhooks()).toEqual(['created']);
    expect(await variant('spring_sale', 'en_GB')).toMatchObject({ status: 'PAUSED', category: 'MARKETING', components: [], syncedAt: null, statusChangedAt: T0, metaTemplateId: expect.any(String) });
    // Even a stub refuses a send it knows Meta would refuse.
    expect(await prepareTemplateSend(database.db, { wabaId: WABA_ID, contact: null, template: { name: 'spring_sale' }, defaultLocale: 'en_GB' })).toMatchObject({
      ok: false,
      error: { code: 'TEMPLATE_PAUSED' },
    });

    w.clock.advance(5_000);
    expect(await syncTemplates(w.deps)).toMatchObject({ fetched: 1, created: 0, updated: 1 });
    expect(await variant('spring_sale', 'en_GB')).toMatchObject({
      status: 'PAUSED',
      statusChangedAt: T0,
      syncedAt: T0 + 5_000,
      components: [{ type: 'BODY', text: 'Hello from spring_sale (en_GB), {{1}}.' }],
    });
    expect(await events('spring_sale', 'en_GB')).toEqual([
      { kind: 'created', from: null, to: 'PAUSED', source: 'webhook' },
      { kind: 'status', from: null, to: 'PAUSED', source: 'webhook' },
      { kind: 'synced', from: null, to: 'PAUSED', source: 'sync' },
    ]);
  });

  it('keeps a status a webhook reported after the listing was taken', async () => {
    const w = await world({ templates: [seed('order_ready', 'en_US')] });
    await syncTemplates(w.deps);
    // Meta pauses it; the webhook's time is after the next sync starts, whose listing still says APPROVED.
    const paused = at(fixture('template-status-paused'), seconds(T0 + 120_000));
    const value = (paused as unknown as { entry: { changes: { value: Record<string, unknown> }[] }[] }).entry[0]!.changes[0]!.value;
    Object.assign(value, { message_template_name: 'order_ready', message_template_language: 'en_US' });
    expect(await w.applyBody(paused)).toEqual(['applied']);
    w.clock.advance(60_000);
    expect(await syncTemplates(w.deps)).toMatchObject({ unchanged: 1 });
    expect(await variant('order_ready', 'en_US')).toMatchObject({ status: 'PAUSED', rejectionReason: null });
  });

  it('applies status webhooks in any order: an older one replayed after a newer one changes nothing', async () => {
    const w = await world({ templates: [seed('order_ready', 'en_US'), seed('order_late', 'en_US')] });
    await syncTemplates(w.deps);
    const timeOf = (body: unknown) => (body as { entry: { time: number }[] }).entry[0]!.time;
    const statusChanges = async (name: string) => {
      w.clock.advance(10_000);
      w.sim.setTemplateStatus({ name, language: 'en_US' }, 'PAUSED');
      w.clock.advance(10_000);
      w.sim.setTemplateStatus({ name, language: 'en_US' }, 'APPROVED');
      const count = w.hub.accepted().length;
      const received = await w.hub.waitFor((a) => a.length === count + 2 - (count % 2));
      return received.slice(-2).map((r) => r.body).sort((a, b) => timeOf(a) - timeOf(b)) as [unknown, unknown];
    };

    // In order: paused, then approved again.
    const [paused, approved] = await statusChanges('order_ready');
    expect(await w.applyBody(paused)).toEqual(['applied']);
    expect(await w.applyBody(approved)).toEqual(['applied']);
    const before = await eventCount();
    expect(await w.applyBody(paused)).toEqual(['stale']);
    expect(await w.applyBody(approved)).toEqual(['unchanged']);
    expect(await eventCount()).toBe(before);
    expect(await variant('order_ready', 'en_US')).toMatchObject({ status: 'APPROVED', statusChangedAt: T0 + 20_000 });
    expect(await events('order_ready', 'en_US')).toEqual([
      { kind: 'created', from: null, to: 'APPROVED', source: 'sync' },
      { kind: 'status', from: 'APPROVED', to: 'PAUSED', source: 'webhook' },
      { kind: 'status', from: 'PAUSED', to: 'APPROVED', source: 'webhook' },
    ]);

    // Delivered the other way round: the newer APPROVED (which the row already says) first.
    const [latePaused, lateApproved] = await statusChanges('order_late');
    expect(await w.applyBody(lateApproved)).toEqual(['unchanged']);
    expect(await w.applyBody(latePaused)).toEqual(['stale']);
    expect(await variant('order_late', 'en_US')).toMatchObject({ status: 'APPROVED', statusChangedAt: T0 + 40_000 });
    expect(await events('order_late', 'en_US')).toEqual([{ kind: 'created', from: null, to: 'APPROVED', source: 'sync' }]);
  });

  it('records category changes (notice, then change) and quality, idempotently', async () => {
    const w = await world({ templates: [{ ...seed('welcome_template', 'en_US'), id: '278077987957091', components: [{ type: 'BODY', text: 'Welcome to Example Store!' }] }] });
    w.clock.set(1791047000_000);
    await syncTemplates(w.deps);
    expect(await w.applyBody(fixture('template-category-update-impending'))).toEqual(['applied']);
    expect(await w.applyBody(fixture('template-category-update-impending'))).toEqual(['unchanged']);
    expect(await variant('welcome_template', 'en_US')).toMatchObject({ category: 'UTILITY' });
    expect(await w.applyBody(fixture('template-category-update-completed'))).toEqual(['applied']);
    expect(await w.applyBody(fixture('template-category-update-completed'))).toEqual(['unchanged']);
    expect(await w.applyBody(fixture('template-quality-update'))).toEqual(['applied']);
    expect(await variant('welcome_template', 'en_US')).toMatchObject({ category: 'MARKETING', quality: 'YELLOW' });
    // An older quality report arriving late does not undo the newer one.
    const older = at(fixture('template-quality-update'), 1791047200);
    (older as unknown as { entry: { changes: { value: Record<string, unknown> }[] }[] }).entry[0]!.changes[0]!.value['new_quality_score'] = 'RED';
    expect(await w.applyBody(older)).toEqual(['stale']);

    const history = await w.app.inject({ method: 'GET', url: '/api/v1/templates/welcome_template/history' });
    expect(history.statusCode).toBe(200);
    expect(history.json().data.map((e: { kind: string; previousValue: string | null; newValue: string | null; source: string }) => [e.kind, e.previousValue, e.newValue, e.source])).toEqual([
      ['created', null, 'APPROVED', 'sync'],
      ['category_notice', 'UTILITY', 'MARKETING', 'webhook'],
      ['quality', 'GREEN', 'YELLOW', 'webhook'],
      ['category', 'UTILITY', 'MARKETING', 'webhook'],
    ]);
    expect(history.json().data[1]).toMatchObject({ reason: 'Meta will change the category from UTILITY to MARKETING on 2026-10-04T17:06:40.000Z', occurredAt: new Date(1791047200_000).toISOString() });
  });
});
