import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidSignature, signatureFor } from '../modules/inbound/index.js';
import { metaJson } from './meta-json.js';

const vector = JSON.parse(readFileSync(new URL('../../test/fixtures/meta/webhook-signature-vector.json', import.meta.url), 'utf8')) as {
  app_secret: string;
  raw_body: string;
  x_hub_signature_256: string;
};

describe('metaJson', () => {
  it("reproduces Meta's signed bytes of the test vector exactly, so the signature matches", () => {
    const bytes = metaJson(JSON.parse(vector.raw_body));
    expect(bytes).toBe(vector.raw_body);
    expect(signatureFor(bytes, vector.app_secret)).toBe(vector.x_hub_signature_256);
    expect(isValidSignature(Buffer.from(bytes), vector.x_hub_signature_256, vector.app_secret)).toBe(true);
  });

  it('escapes non-ASCII as lowercase \\uXXXX, emoji as two surrogate escapes, and leaves slashes alone', () => {
    expect(metaJson({ name: 'Hernández', emoji: '👍', url: 'https://a/b' })).toBe('{"name":"Hern\\u00e1ndez","emoji":"\\ud83d\\udc4d","url":"https://a/b"}');
  });

  it('differs from JSON.stringify when the body has non-ASCII text (the mistake a hub must not make)', () => {
    const body = { text: 'Olá' };
    expect(metaJson(body)).not.toBe(JSON.stringify(body));
  });

  it('always yields ASCII that parses back to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const out = metaJson(value);
        expect(/^[\x00-\x7f]*$/.test(out)).toBe(true);
        expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });
});
