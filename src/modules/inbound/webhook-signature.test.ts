import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidSignature, signatureFor } from './webhook-signature.js';

const vector = JSON.parse(readFileSync(new URL('../../../test/fixtures/meta/webhook-signature-vector.json', import.meta.url), 'utf8')) as {
  app_secret: string;
  raw_body: string;
  x_hub_signature_256: string;
};

describe('webhook signature', () => {
  it("accepts Meta's signature over the raw, \\u-escaped body", () => {
    expect(isValidSignature(Buffer.from(vector.raw_body, 'utf8'), vector.x_hub_signature_256, vector.app_secret)).toBe(true);
  });

  it('rejects the same payload once it has been re-serialised', () => {
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(vector.raw_body)), 'utf8');
    expect(reserialised.equals(Buffer.from(vector.raw_body))).toBe(false);
    expect(isValidSignature(reserialised, vector.x_hub_signature_256, vector.app_secret)).toBe(false);
  });

  it('rejects a missing header, a header without the sha256= prefix, and a truncated digest', () => {
    const body = Buffer.from(vector.raw_body);
    expect(isValidSignature(body, undefined, vector.app_secret)).toBe(false);
    expect(isValidSignature(body, vector.x_hub_signature_256.slice('sha256='.length), vector.app_secret)).toBe(false);
    expect(isValidSignature(body, vector.x_hub_signature_256.slice(0, -2), vector.app_secret)).toBe(false);
    expect(isValidSignature(body, 'sha256=not-hex', vector.app_secret)).toBe(false);
  });

  it('rejects a signature made with another secret', () => {
    const body = Buffer.from(vector.raw_body);
    expect(isValidSignature(body, signatureFor(body, 'another-secret'), vector.app_secret)).toBe(false);
  });

  it('accepts exactly the body it signed: any changed byte fails', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 512 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (bytes, at, flip) => {
        const body = Buffer.from(bytes);
        const header = signatureFor(body, 'secret');
        expect(isValidSignature(body, header, 'secret')).toBe(true);
        const tampered = Buffer.from(body);
        const index = at % tampered.length;
        tampered[index] = tampered[index]! ^ flip;
        expect(isValidSignature(tampered, header, 'secret')).toBe(false);
      }),
    );
  });
});
