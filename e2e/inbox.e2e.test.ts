import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { createSimulator, DEFAULT_ACCESS_TOKEN, DEFAULT_NUMBER, type Simulator } from '../src/simulator/index.js';
import { api, REPO_ROOT, runCli, startServer, type HttpResult, type ServerProcess } from '../test/support/server-process.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../test/support/test-databases.js';
import { launchBrowser, LAPTOP, PHONE, type TestBrowser } from './support/browser.js';
import { gradientPng } from './support/png.js';
import { bubble, buildWebUi, conversationItem, conversationList, isSamePage, LIVE_MS, logIn, markPage, showView, timeline } from './support/inbox.js';

/**
 * The shared inbox in a real browser: headless Debian Chromium drives the UI that the real
 * `switchboard serve` process serves at `/`, while the Meta simulator (in this process) plays the
 * customers and sends delivery statuses back through signed webhooks. Two browser contexts are
 * two agents signed in at the same time.
 */

const APP_SECRET = 'e2e-inbox-app-secret';
const API_TOKEN = 'e2e-inbox-api-token-0123456789abcdef';
const NUMBER_ID = DEFAULT_NUMBER.phoneNumberId;
const DISPLAY_NUMBER = DEFAULT_NUMBER.displayPhoneNumber!;
const ADMIN = { email: 'ada@example.com', password: 'correct horse battery', name: 'Ada Admin' };
const AGENT = { email: 'ben@example.com', password: 'staple battery horse', name: 'Ben Agent' };
const SCREENSHOTS = join(REPO_ROOT, 'docs', 'screenshots');

/** The few browser globals the page functions below use (this project's TypeScript has no DOM lib). */
type BrowserGlobals = { getComputedStyle(el: unknown): { color: string }; document: { activeElement: { textContent: string | null } | null } };

const eventually = <T>(fn: () => Promise<T> | T, message?: string) => expect.poll(fn, { timeout: LIVE_MS, interval: 100, ...(message ? { message } : {}) });

function expectStatus(result: HttpResult, status: number): void {
  expect(result.status, `HTTP ${result.status}: ${result.text.slice(0, 500)}`).toBe(status);
}

// The hub under test serves the UI as it is in web/ now.
beforeAll(() => buildWebUi());

describe.each(DIALECTS)('the shared inbox in a browser, on %s', (dialect) => {
  let database: TestDatabase;
  let sim: Simulator;
  let server: ServerProcess;
  let mediaDir: string;
  let browser: TestBrowser;
  let ada: Page;
  let ben: Page;
  let adaErrors: string[];
  let benErrors: string[];
  let ana: string;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    mediaDir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-inbox-media-'));
    sim = await createSimulator({
      seed: 6_006,
      appSecret: APP_SECRET,
      // Slow enough for the ticks to be seen changing, fast enough for a test: `read` comes late
      // enough that a loaded machine, slow to show the reply, still sees a tick before it.
      statusDelaysMs: { sent: 100, delivered: 500, read: 3_000 },
      webhookRetry: { baseDelayMs: 100, maxDelayMs: 1_000, maxAttempts: 100, timeoutMs: 5_000 },
      templates: [
        {
          name: 'order_update',
          language: 'en_US',
          category: 'UTILITY',
          components: [{ type: 'BODY', text: 'Hi {{1}}, your order {{2}} is on its way.', example: { body_text: [['Ana', 'PED-4411']] } }],
        },
        {
          name: 'order_update',
          language: 'pt_BR',
          category: 'UTILITY',
          components: [{ type: 'BODY', text: 'Oi {{1}}, seu pedido {{2}} está a caminho.', example: { body_text: [['Ana', 'PED-4411']] } }],
        },
      ],
    });
    await sim.listen(0, '127.0.0.1');
    server = await startServer({
      databaseUrl: database.url,
      env: {
        META_APP_SECRET: APP_SECRET,
        SWITCHBOARD_API_TOKEN: API_TOKEN,
        WHATSAPP_PHONE_NUMBER_ID: DEFAULT_NUMBER.phoneNumberId,
        WHATSAPP_BUSINESS_ACCOUNT_ID: DEFAULT_NUMBER.wabaId,
        WHATSAPP_DISPLAY_PHONE_NUMBER: DEFAULT_NUMBER.displayPhoneNumber,
        WHATSAPP_ACCESS_TOKEN: DEFAULT_ACCESS_TOKEN,
        GRAPH_API_BASE_URL: sim.baseUrl()!,
        GRAPH_API_TIMEOUT_MS: '2000',
        MEDIA_DIR: mediaDir,
      },
    });
    sim.configure({ webhookUrl: `${server.baseUrl}/webhooks/whatsapp` });
    expectStatus(await api(server, 'templates/sync', { method: 'POST', body: '{}' }), 200);

    // The first admin comes from the command line, as in a fresh installation; the agent too.
    for (const user of [
      { ...ADMIN, role: 'admin' },
      { ...AGENT, role: 'agent' },
    ]) {
      const added = await runCli(['users', 'add', '--email', user.email, '--password', user.password, '--role', user.role, '--name', user.name], {
        DATABASE_URL: database.url,
        LOG_LEVEL: 'warn',
      });
      expect(added.code, added.stdout + added.stderr).toBe(0);
    }
    browser = await launchBrowser();
    ({ page: ada, errors: adaErrors } = await browser.newAgent(LAPTOP));
    ({ page: ben, errors: benErrors } = await browser.newAgent(LAPTOP));
  });

  async function contactIdOf(phone: string): Promise<string> {
    const found = await api<{ data: { id: string }[] }>(server, `contacts?phone=${phone}`);
    return found.json.data[0]!.id;
  }

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await sim?.close();
    await database?.drop();
    if (mediaDir) rmSync(mediaDir, { recursive: true, force: true });
  });

  it('refuses a wrong password in words, then signs the admin in', async () => {
    await ada.goto(`${server.baseUrl}/inbox`);
    await ada.getByLabel('Email').fill(ADMIN.email);
    await ada.getByLabel('Password').fill('not the password');
    await ada.getByRole('button', { name: 'Sign in' }).click();
    await eventually(() => ada.getByRole('alert').textContent()).toBe('Wrong email or password.');

    await ada.getByLabel('Password').fill(ADMIN.password);
    await ada.getByRole('button', { name: 'Sign in' }).click();
    await ada.getByRole('navigation', { name: 'Views' }).waitFor({ timeout: LIVE_MS });
    expect(await ada.locator('.me-name').textContent()).toBe(ADMIN.name);
    expect(new URL(ada.url()).pathname).toBe('/inbox');
  });

  it('shows a new customer message live, without a reload', async () => {
    await showView(ada, 'All');
    await markPage(ada);
    const customer = sim.addCustomer({ name: 'Ana Souza', waId: '5511987650001' });
    ana = customer.id;
    sim.customerSays(ana, NUMBER_ID, 'Oi! Meu pedido já saiu?');

    const item = conversationItem(ada, 'Ana Souza');
    await item.waitFor({ timeout: LIVE_MS });
    await eventually(() => item.textContent()).toContain('Oi! Meu pedido já saiu?');
    await eventually(() => item.locator('.unread-badge').textContent()).toBe('1');
    expect(await isSamePage(ada)).toBe(true);
  });

  it('replies inside the window and the ticks turn to read', async () => {
    await conversationItem(ada, 'Ana Souza').click();
    await eventually(() => ada.getByRole('heading', { level: 1 }).textContent()).toBe('Ana Souza');
    await eventually(() => ada.getByTestId('countdown').textContent()).toMatch(/^Window closes in (23 h 5\d|24 h 0) min$/);
    // Opening it read it: the badge goes.
    await eventually(() => conversationItem(ada, 'Ana Souza').locator('.unread-badge').count()).toBe(0);

    const reply = ada.getByLabel('Reply to the customer');
    await reply.fill('Saiu sim! Chega amanhã.');
    await reply.press('Control+Enter');
    const sent = bubble(ada, 'Saiu sim! Chega amanhã.');
    await sent.waitFor({ timeout: LIVE_MS });
    await eventually(() => reply.inputValue()).toBe('');
    // ✓ sent, ✓✓ delivered, then blue ✓✓ read as the simulated phone reports each: the page
    // moves forward through them without a reload (how many it catches depends on timing).
    const seen: string[] = [];
    await eventually(async () => {
      const status = (await sent.getAttribute('data-status')) ?? '';
      if (seen[seen.length - 1] !== status) seen.push(status);
      return status;
    }).toBe('read');
    const order = ['queued', 'accepted', 'sending', 'sent', 'delivered', 'read'];
    const ranks = seen.map((s) => order.indexOf(s));
    expect(ranks, seen.join(' → ')).toEqual([...ranks].sort((a, b) => a - b));
    expect(seen.length, seen.join(' → ')).toBeGreaterThan(1);
    expect(await sent.getByRole('img', { name: 'Read' }).textContent()).toBe('✓✓');
    expect(await sent.locator('.ticks.read').evaluate((el) => (globalThis as unknown as BrowserGlobals).getComputedStyle(el).color)).toBe('rgb(29, 140, 240)');
  });

  it('explains a refused free-form message outside the window in words, and sends a template instead', async () => {
    // The customer's last message is moved 25 hours back; the open page does not know yet.
    const longAgo = Date.now() - 25 * 3_600_000;
    const contactId = await contactIdOf('5511987650001');
    await database.db.updateTable('messages').set({ wa_timestamp: longAgo }).where('contact_id', '=', contactId).where('direction', '=', 'inbound').execute();
    await database.db.updateTable('conversations').set({ last_inbound_at: longAgo }).where('contact_id', '=', contactId).execute();

    const reply = ada.getByLabel('Reply to the customer');
    await reply.fill('Posso ajudar em mais alguma coisa?');
    await ada.getByRole('button', { name: 'Send', exact: true }).click();
    const alert = ada.getByRole('region', { name: 'Composer' }).getByRole('alert');
    await eventually(() => alert.textContent()).toContain('The 24-hour customer service window is closed');
    expect(await alert.textContent()).toContain('only allows an approved template');
    expect(await timeline(ada).textContent()).not.toContain('Posso ajudar em mais alguma coisa?');

    // The composer switched to the template picker; the variant in the contact's language and the first name are pre-filled.
    await ada.getByLabel('Template', { exact: true }).selectOption('order_update');
    await eventually(() => ada.getByLabel('Parameter 1').inputValue()).toBe('Ana');
    await ada.getByLabel('Parameter 2').fill('PED-4411');
    const preview = ada.getByLabel('Template preview');
    await eventually(() => preview.textContent()).toMatch(/Ana.*PED-4411/);
    await ada.getByRole('button', { name: 'Send template' }).click();
    await eventually(() => ada.getByRole('status').filter({ hasText: 'Template “order_update” sent.' }).count()).toBe(1);
    const template = timeline(ada).locator('.bubble-row.outbound').filter({ hasText: 'Template · order_update' }).last();
    await template.waitFor({ timeout: LIVE_MS });
    await eventually(() => template.getAttribute('data-status')).toMatch(/^(sent|delivered|read)$/);
    // The live events of that send reloaded the contact: neither the result nor a typed value went with it.
    expect(await ada.getByRole('status').filter({ hasText: 'Template “order_update” sent.' }).count()).toBe(1);
    expect(await ada.getByLabel('Parameter 2').inputValue()).toBe('PED-4411');
  });

  it('assigns the conversation to another agent, who sees it in Mine', async () => {
    await logIn(ben, server.baseUrl, AGENT.email, AGENT.password);
    await showView(ben, 'Mine');
    await markPage(ben);
    expect(await conversationItem(ben, 'Ana Souza').count()).toBe(0);

    await ada.getByLabel('Assignee').selectOption({ label: AGENT.name });
    await eventually(() => conversationItem(ben, 'Ana Souza').count()).toBe(1);
    expect(await isSamePage(ben)).toBe(true);
    await eventually(() => conversationItem(ada, 'Ana Souza').locator('.item-assignee').textContent()).toBe(AGENT.name);
  });

  it('shows a note, a state change and a resolve made in one browser in the other, live', async () => {
    await conversationItem(ben, 'Ana Souza').click();
    await eventually(() => ben.getByRole('heading', { level: 1 }).textContent()).toBe('Ana Souza');

    await ada.getByRole('tab', { name: 'Internal note' }).click();
    expect(await ada.getByText('Internal note — customers never see this').count()).toBe(1);
    await ada.getByLabel('Internal note — customers never see this').fill('VIP: offer free shipping if the parcel is late.');
    await ada.getByLabel('Internal note — customers never see this').press('Control+Enter');
    for (const page of [ada, ben]) {
      const note = timeline(page).locator('.note').filter({ hasText: 'VIP: offer free shipping' });
      await eventually(() => note.count()).toBe(1);
      expect(await note.textContent()).toContain(`Internal note · ${ADMIN.name}`);
    }
    // Notes never reach the customer.
    expect(sim.sentMessages().some((m) => JSON.stringify(m).includes('free shipping'))).toBe(false);

    await ben.getByLabel('State', { exact: true }).selectOption('pending');
    await eventually(() => ada.getByLabel('State', { exact: true }).inputValue()).toBe('pending');

    await ben.getByRole('button', { name: 'Resolve' }).click();
    await eventually(() => ben.getByLabel('State', { exact: true }).inputValue()).toBe('resolved');
    await eventually(() => ada.getByLabel('State', { exact: true }).inputValue()).toBe('resolved');
  });

  it('reopens a resolved conversation for its owner when the customer writes again', async () => {
    sim.customerSays(ana, NUMBER_ID, 'Chegou! Obrigada 😊');
    for (const page of [ada, ben]) {
      await eventually(() => bubble(page, 'Chegou! Obrigada').count()).toBe(1);
      await eventually(() => page.getByLabel('State', { exact: true }).inputValue()).toBe('open');
      await eventually(() => page.getByLabel('Assignee').locator('option:checked').textContent()).toContain(AGENT.name);
    }
    // The window is open again, so the composer offers free-form text once more.
    await eventually(() => ben.getByTestId('countdown').textContent()).toMatch(/^Window closes in (23 h 5\d|24 h 0) min$/);
    // Who is typing shows on the other agent's screen.
    await ben.getByLabel('Reply to the customer').pressSequentially('Que bom');
    await eventually(() => ada.locator('.typing-line').textContent()).toBe(`${AGENT.name} is typing…`);
    await ben.getByLabel('Reply to the customer').fill('');
    expect(await isSamePage(ada)).toBe(true);
    expect(await isSamePage(ben)).toBe(true);
  });

  it('keeps an agent out of the admin pages and the admin API', async () => {
    await ben.goto(`${server.baseUrl}/admin`);
    await eventually(() => ben.getByRole('alert').textContent()).toContain('403 · Not allowed');
    expect(await ben.getByRole('table').count()).toBe(0);

    const me = await ben.request.get(`${server.baseUrl}/api/v1/auth/me`);
    const { csrfToken } = (await me.json()) as { csrfToken: string };
    const created = await ben.request.post(`${server.baseUrl}/api/v1/users`, {
      headers: { 'x-csrf-token': csrfToken },
      data: { email: 'eve@example.com', name: 'Eve', password: 'password123', role: 'admin' },
    });
    expect(created.status()).toBe(403);
    expect(((await created.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    const audit = await ben.request.get(`${server.baseUrl}/api/v1/audit`);
    expect(audit.status()).toBe(403);

    // The admin sees the team page, and the agent's failed attempt added nobody.
    await ada.goto(`${server.baseUrl}/admin`);
    await eventually(() => ada.getByRole('table').locator('tbody tr').count()).toBe(2);
    await ada.goto(`${server.baseUrl}/inbox`);
  });

  it('shows photos, reactions, quoted replies, ad referrals and failures in words', async () => {
    const entries = await api<{ data: { wamid: string | null; text: string | null }[] }>(server, `contacts/${await contactIdOf('5511987650001')}/timeline`);
    const ourReply = entries.json.data.find((e) => e.text === 'Saiu sim! Chega amanhã.')!.wamid!;

    await showView(ada, 'All');
    await conversationItem(ada, 'Ana Souza').click();
    await bubble(ada, 'Chegou! Obrigada').waitFor({ timeout: LIVE_MS });
    sim.customerSendsMedia(ana, 'image', gradientPng(320, 200, [18, 140, 126], [250, 200, 90]), 'image/png', 'Esse é o pacote');
    sim.customerReacts(ana, ourReply, '❤');
    sim.customerSends(ana, NUMBER_ID, { type: 'text', text: { body: 'Que ótimo, obrigada!' }, context: { from: DISPLAY_NUMBER, id: ourReply } });

    const photo = timeline(ada).getByRole('img', { name: 'Esse é o pacote' });
    await photo.waitFor({ timeout: LIVE_MS });
    // The hub downloads the file from Meta after the message: the preview shows once it is stored.
    await eventually(() => photo.evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).complete && (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(320);
    await eventually(() => bubble(ada, 'Saiu sim! Chega amanhã.').locator('.reactions').getAttribute('aria-label')).toBe('Reactions: ❤');
    const quoting = bubble(ada, 'Que ótimo, obrigada!');
    await quoting.waitFor({ timeout: LIVE_MS });
    expect(await quoting.getByLabel('Replying to').textContent()).toBe('YouSaiu sim! Chega amanhã.');

    // A customer who came from a click-to-WhatsApp ad.
    const liam = sim.addCustomer({ name: 'Liam Chen', waId: '14155550123' });
    sim.customerSends(liam.id, NUMBER_ID, {
      type: 'text',
      text: { body: 'Hi! Can I upgrade to the Pro plan mid-month?' },
      referral: { source_url: 'https://fb.me/switchboard-pro', source_id: '120210000000', source_type: 'ad', headline: 'Pro plan: 30% off in November', body: 'Chat with us to upgrade.', media_type: 'image' },
    });
    await conversationItem(ada, 'Liam Chen').click();
    const card = timeline(ada).getByLabel('Click-to-WhatsApp ad');
    await card.waitFor({ timeout: LIVE_MS });
    expect(await card.textContent()).toContain('Pro plan: 30% off in November');
    expect(await card.getByRole('link', { name: 'Open the ad' }).getAttribute('href')).toBe('https://fb.me/switchboard-pro');

    // Meta refuses the next send to this number: the bubble says why, in words.
    sim.injectError({ code: 131026, endpoint: 'messages', match: { to: '14155550123' } });
    await ada.getByLabel('Reply to the customer').fill('Yes! The price difference is prorated.');
    await ada.getByLabel('Reply to the customer').press('Control+Enter');
    const failed = bubble(ada, 'Yes! The price difference is prorated.');
    await eventually(() => failed.getAttribute('data-status')).toBe('failed');
    expect(await failed.getByRole('note').textContent()).toBe(
      'Not delivered: The message could not be delivered: the number may not be on WhatsApp, or the customer has not accepted the latest terms or uses an old app.',
    );
  });

  it('sends an attachment while the window is open, shown as a document to download', async () => {
    await showView(ada, 'All');
    await conversationItem(ada, 'Ana Souza').click();
    await ada.getByLabel('Attach a file').setInputFiles({
      name: 'comprovante.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n'),
    });
    await eventually(() => ada.locator('.attachment').textContent()).toContain('comprovante.pdf');
    await ada.getByLabel('Reply to the customer').fill('Segue o comprovante.');
    await ada.getByRole('button', { name: 'Send', exact: true }).click();
    const doc = timeline(ada).getByRole('link', { name: /comprovante\.pdf/ });
    await doc.waitFor({ timeout: LIVE_MS });
    expect(await doc.getAttribute('download')).toBe('comprovante.pdf');
    // The entry shows as soon as it is queued; the sender hands it to Meta a moment later.
    await eventually(() => sim.sentMessages().some((m) => JSON.stringify(m).includes('comprovante.pdf')), 'the simulator received the document').toBe(true);
  });

  it("edits the contact's CRM record from the contact panel", async () => {
    await showView(ada, 'All');
    await conversationItem(ada, 'Ana Souza').click();
    const panel = ada.getByRole('complementary', { name: 'Contact details' });
    await panel.getByLabel('Add a tag').fill('vip');
    await panel.getByRole('button', { name: 'Add', exact: true }).click();
    await panel.getByRole('button', { name: 'Remove tag vip' }).waitFor({ timeout: LIVE_MS });
    await panel.getByLabel('Lifecycle stage').fill('customer');
    await panel.getByLabel('Lifecycle stage').press('Enter');
    await eventually(() => panel.getByText('Saved').count()).toBeGreaterThan(0);
    await panel.getByLabel('Owner').selectOption({ label: AGENT.name });

    const contactId = await contactIdOf('5511987650001');
    await eventually(async () => {
      const person = await api<{ tags: string[]; lifecycleStage: string | null; ownerId: string | null }>(server, `crm/people/${contactId}`);
      return [person.json.tags, person.json.lifecycleStage, person.json.ownerId !== null];
    }).toEqual([['vip'], 'customer', true]);
  });

  it('lays out for a laptop and a phone (screenshots for the README)', async () => {
    // The README's screenshots are refreshed on request only (`SWITCHBOARD_SCREENSHOTS=1 npm run test:e2e`),
    // from the SQLite run, so that a test run leaves the checkout as it was.
    const refresh = process.env.SWITCHBOARD_SCREENSHOTS === '1' && dialect === 'sqlite';
    const shots = refresh ? SCREENSHOTS : mkdtempSync(join(tmpdir(), 'switchboard-e2e-shots-'));
    mkdirSync(shots, { recursive: true });
    // One more customer, so the list looks like a working day.
    const jonas = sim.addCustomer({ name: 'Jonas Weber', waId: '4915112345678' });
    sim.customerSays(jonas.id, NUMBER_ID, 'Is the order tracking link working? I get an error.');

    await showView(ada, 'All');
    await eventually(() => conversationList(ada).getByRole('option').count()).toBe(3);
    await conversationItem(ada, 'Ana Souza').click();
    await eventually(() => bubble(ada, 'Que ótimo, obrigada!').count()).toBe(1);
    await ada.getByRole('tab', { name: 'Reply' }).click();
    await ada.screenshot({ path: join(shots, 'inbox-laptop.png') });

    const { page: phone } = await browser.newAgent(PHONE, { isMobile: true });
    await logIn(phone, server.baseUrl, AGENT.email, AGENT.password);
    await showView(phone, 'All');
    await eventually(() => conversationList(phone).getByRole('option').count()).toBe(3);
    // One column: the list alone, then the conversation alone with a way back.
    expect(await phone.getByRole('main').count()).toBe(0);
    await phone.screenshot({ path: join(shots, 'inbox-phone-list.png') });
    await conversationItem(phone, 'Ana Souza').click();
    await eventually(() => bubble(phone, 'Que ótimo, obrigada!').count()).toBe(1);
    expect(await conversationList(phone).isVisible()).toBe(false);
    await phone.screenshot({ path: join(shots, 'inbox-phone.png') });
    await phone.getByRole('button', { name: 'Back to the list' }).click();
    await eventually(() => conversationList(phone).isVisible()).toBe(true);
    if (shots !== SCREENSHOTS) rmSync(shots, { recursive: true, force: true });
  });

  it('finds conversations by name and by message text, and filters by tag and state', async () => {
    await ada.goto(`${server.baseUrl}/inbox?view=all`);
    const names = () => conversationList(ada).locator('.item-name').allTextContents();
    await eventually(names).toHaveLength(3);
    await ada.getByLabel('Search contacts and messages').fill('liam');
    await eventually(names).toEqual(['Liam Chen']);
    await ada.getByLabel('Search contacts and messages').fill('tracking link');
    await eventually(names).toEqual(['Jonas Weber']);
    await ada.getByLabel('Search contacts and messages').fill('');
    await eventually(names).toHaveLength(3);
    await ada.getByLabel('Tag filter').selectOption('vip');
    await eventually(names).toEqual(['Ana Souza']);
    await ada.getByLabel('Tag filter').selectOption('');
    await ada.getByLabel('State filter').selectOption('resolved');
    await eventually(() => ada.getByText('No conversations match.').count()).toBe(1);
    // The filters live in the address: a reload keeps them.
    await ada.reload();
    await eventually(() => ada.getByLabel('State filter').inputValue()).toBe('resolved');
    await ada.getByLabel('State filter').selectOption('open');
    await eventually(names).toHaveLength(3);
  });

  it('is used from the keyboard alone: ↑/↓ through the list, Enter to open, Ctrl+Enter to send', async () => {
    await ada.goto(`${server.baseUrl}/inbox?view=all`);
    const first = conversationList(ada).getByRole('option').first();
    await first.waitFor({ timeout: LIVE_MS });
    await first.focus();
    await ada.keyboard.press('ArrowDown');
    const focused = await ada.evaluate(() => (globalThis as unknown as BrowserGlobals).document.activeElement?.textContent ?? '');
    const second = (await conversationList(ada).getByRole('option').nth(1).textContent()) ?? '';
    expect(focused).toBe(second);
    await ada.keyboard.press('Enter');
    await eventually(() => ada.getByRole('listbox', { name: 'Conversations' }).getByRole('option', { selected: true }).textContent()).toBe(second);

    // Quick replies: "/" opens the list of saved snippets; Enter takes the highlighted one.
    expectStatus(await api(server, 'quick-replies', { method: 'POST', body: JSON.stringify({ shortcut: 'hours', text: 'We answer Monday to Friday, 9:00 to 18:00.' }) }), 201);
    await ada.reload();
    const reply = ada.getByLabel('Reply to the customer');
    await reply.waitFor({ timeout: LIVE_MS });
    await reply.focus();
    await ada.keyboard.type('/hou');
    await ada.getByRole('listbox', { name: 'Quick replies' }).getByRole('option', { name: /\/hours/ }).waitFor({ timeout: LIVE_MS });
    await ada.keyboard.press('Enter');
    expect(await reply.inputValue()).toBe('We answer Monday to Friday, 9:00 to 18:00.');
    await ada.keyboard.press('Control+Enter');
    await bubble(ada, 'We answer Monday to Friday').waitFor({ timeout: LIVE_MS });

    expect(adaErrors).toEqual([]);
    expect(benErrors).toEqual([]);
  });
});
