import { describe, expect, it } from 'vitest';
import { countryOf, createIdFactory, describeWamid } from './ids.js';
import { createRandom } from './prng.js';

describe('ids', () => {
  it("builds wamids with Meta's layout: user digits and direction inside, base64 outside", () => {
    const ids = createIdFactory(createRandom(1));
    const outbound = ids.wamid('outbound', '551187654321');
    const inbound = ids.wamid('inbound', '551187654321');
    expect(outbound).toMatch(/^wamid\.[A-Za-z0-9+/]+=*$/);
    expect(describeWamid(outbound)).toEqual({ userDigits: '551187654321', direction: 'outbound' });
    expect(describeWamid(inbound)).toEqual({ userDigits: '551187654321', direction: 'inbound' });
    // Same length as the fixture wamid for that user (graph-send-success.json).
    expect(outbound.length).toBe('wamid.HBgMNTUxMTg3NjU0MzIxFQIAERgSNUY0MjVBNzRGMTMwMzM0OTJBAA=='.length);
  });

  it('uses the placeholder digits of Meta for users without a phone', () => {
    const ids = createIdFactory(createRandom(1));
    expect(describeWamid(ids.wamid('outbound', null))?.userDigits).toBe('80000000001');
  });

  it('never repeats a wamid within one simulator', () => {
    const ids = createIdFactory(createRandom(3));
    const seen = new Set(Array.from({ length: 20_000 }, () => ids.wamid('outbound', '16505550142')));
    expect(seen.size).toBe(20_000);
  });

  it('makes BSUIDs, media and template ids in the shapes Meta uses', () => {
    const ids = createIdFactory(createRandom(5));
    expect(ids.bsuid('BR')).toMatch(/^BR\.\d{20}$/);
    expect(ids.mediaId()).toMatch(/^\d{15,16}$/);
    const templateId = ids.templateId();
    expect(templateId).toMatch(/^\d{16}$/);
    expect(String(Number(templateId))).toBe(templateId);
  });

  it('derives the BSUID country from the calling code', () => {
    expect(countryOf('551187654321')).toBe('BR');
    expect(countryOf('5215512345678')).toBe('MX');
    expect(countryOf('447700900123')).toBe('GB');
    expect(countryOf('16505550142')).toBe('US');
    expect(countryOf('919812345678')).toBe('IN');
    expect(countryOf(null)).toBe('US');
  });
});
