import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseWebhookEnvelope, toInboundEvents, type MessageReceived } from '../modules/inbound/index.js';
import { ManualClock } from '../platform/clock.js';
import { NUMBER_ID, startHarness, TOKEN, type Harness } from './testing/harness.js';

const metadataFixture = JSON.parse(readFileSync(new URL('../../test/fixtures/meta/graph-media-metadata.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, ...Buffer.from('not really a jpeg, but bytes are bytes'), 0xff, 0xd9]);
const auth = { authorization: `Bearer ${TOKEN}` };

let h: Harness;
let base: string;
let clock: ManualClock;

beforeEach(async () => {
  clock = new ManualClock(1_790_000_000_000);
  h = await startHarness({ clock, mediaUrlTtlMs: 60_000 });
  base = await h.sim.listen(0);
});
afterEach(() => h.close());

async function upload(bytes: Buffer, type: string, fields: Record<string, string> = { messaging_product: 'whatsapp' }, token = TOKEN) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('file', new Blob([bytes], { type }), 'photo.jpg');
  return fetch(`${base}/v23.0/${NUMBER_ID}/media`, { method: 'POST', body: form, headers: { authorization: `Bearer ${token}` } });
}

describe('media', () => {
  it('uploads, describes and downloads a file: bearer required, URL expires', async () => {
    const up = await upload(JPEG, 'image/jpeg');
    expect(up.status).toBe(200);
    const { id } = (await up.json()) as { id: string };
    expect(id).toMatch(/^\d{15,16}$/);

    const meta = await fetch(`${base}/v23.0/${id}`, { headers: auth });
    expect(meta.status).toBe(200);
    const body = (await meta.json()) as Record<string, string>;
    expect(Object.keys(body)).toEqual(Object.keys(metadataFixture));
    expect(body).toMatchObject({ messaging_product: 'whatsapp', mime_type: 'image/jpeg', file_size: String(JPEG.length), id });
    expect(body['sha256']).toBe(createHash('sha256').update(JPEG).digest('hex'));
    expect(body['url']).toMatch(new RegExp(`^${base}/whatsapp_business/attachments/\\?mid=${id}&ext=\\d+&hash=`));

    const download = await fetch(body['url']!, { headers: auth });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await download.arrayBuffer())).toEqual(JPEG);

    const anonymous = await fetch(body['url']!);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: number } }).error.code).toBe(190);

    clock.advance(60_000);
    expect((await fetch(body['url']!, { headers: auth })).status).toBe(404);
    // A fresh URL works again.
    const fresh = (await (await fetch(`${base}/v23.0/${id}`, { headers: auth })).json()) as { url: string };
    expect((await fetch(fresh.url, { headers: auth })).status).toBe(200);
  });

  it('expires download URLs in real time too', async () => {
    await h.close();
    // Long enough for the first download to come in time on a loaded machine (250 ms was not).
    h = await startHarness({ mediaUrlTtlMs: 2_000 });
    base = await h.sim.listen(0);
    const { id } = (await (await upload(JPEG, 'image/jpeg')).json()) as { id: string };
    const { url } = (await (await fetch(`${base}/v23.0/${id}`, { headers: auth })).json()) as { url: string };
    expect((await fetch(url, { headers: auth })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await fetch(url, { headers: auth })).status).toBe(404);
  });

  it('can report the sha256 in base64, as webhooks do', async () => {
    h.sim.configure({ mediaSha256Encoding: 'base64' });
    const { id } = (await (await upload(JPEG, 'image/jpeg')).json()) as { id: string };
    const body = (await (await fetch(`${base}/v23.0/${id}`, { headers: auth })).json()) as { sha256: string };
    expect(body.sha256).toBe(createHash('sha256').update(JPEG).digest('base64'));
  });

  it('refuses unsupported types, files over the limit, a missing messaging_product and a missing token', async () => {
    const gif = await upload(JPEG, 'image/gif');
    expect(gif.status).toBe(400);
    expect(((await gif.json()) as { error: { code: number; error_data: { details: string } } }).error).toMatchObject({ code: 100, error_data: { details: expect.stringContaining('Param file must be a file with one of the following types') } });
    const big = await upload(Buffer.alloc(5 * 1024 * 1024 + 1), 'image/png');
    expect(((await big.json()) as { error: { code: number } }).error.code).toBe(131053);
    expect(((await (await upload(JPEG, 'image/jpeg', {})).json()) as { error: { code: number } }).error.code).toBe(100);
    expect((await upload(JPEG, 'image/jpeg', undefined, 'nope')).status).toBe(401);
  });

  it('takes the type from the `type` field when given', async () => {
    const { id } = (await (await upload(Buffer.from('%PDF-1.4'), 'application/octet-stream', { messaging_product: 'whatsapp', type: 'application/pdf' })).json()) as { id: string };
    expect(((await (await fetch(`${base}/v23.0/${id}`, { headers: auth })).json()) as { mime_type: string }).mime_type).toBe('application/pdf');
  });

  it('checks ?phone_number_id, answers 100/33 for unknown ids, and deletes', async () => {
    const { id } = (await (await upload(JPEG, 'image/jpeg')).json()) as { id: string };
    expect((await fetch(`${base}/v23.0/${id}?phone_number_id=${NUMBER_ID}`, { headers: auth })).status).toBe(200);
    const other = (await (await fetch(`${base}/v23.0/${id}?phone_number_id=1`, { headers: auth })).json()) as { error: { code: number; error_subcode: number } };
    expect(other.error).toMatchObject({ code: 100, error_subcode: 33 });
    const deleted = await fetch(`${base}/v23.0/${id}`, { method: 'DELETE', headers: auth });
    expect(await deleted.json()).toEqual({ success: true });
    expect((await fetch(`${base}/v23.0/${id}`, { headers: auth })).status).toBe(400);
  });

  it("serves media sent by customers the same way; the webhook carries id, base64 sha256 and a url", async () => {
    const ana = h.sim.addCustomer({ name: 'Ana', waId: '551187654321' });
    const wamid = h.sim.customerSendsMedia(ana, 'image', JPEG, 'image/jpeg', 'Foto do produto');
    const [received] = await h.hub.waitFor((a) => a.length === 1);
    const parsed = parseWebhookEnvelope(received!.body);
    if (!parsed.ok) throw new Error(parsed.message);
    const [event] = toInboundEvents(parsed.envelope) as MessageReceived[];
    expect(event).toMatchObject({ kind: 'message_received', wamid, type: 'image', text: 'Foto do produto' });
    expect(event!.media).toMatchObject({ mimeType: 'image/jpeg', sha256: createHash('sha256').update(JPEG).digest('base64'), caption: 'Foto do produto' });
    const viaWebhookUrl = await fetch(event!.media!.url!, { headers: auth });
    expect(Buffer.from(await viaWebhookUrl.arrayBuffer())).toEqual(JPEG);
    const meta = (await (await fetch(`${base}/v23.0/${event!.media!.id}`, { headers: auth })).json()) as { url: string };
    expect(Buffer.from(await (await fetch(meta.url, { headers: auth })).arrayBuffer())).toEqual(JPEG);
  });
});
