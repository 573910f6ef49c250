import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TEMPLATE_META_ERROR_CODES, templateErrorFor } from './template-errors.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../../../test/fixtures/meta/${name}.json`, import.meta.url), 'utf8')) as { error: { code: number; error_data: { details: string } } };

describe("Meta's template errors", () => {
  it.each([
    [132000, 'TEMPLATE_PARAMETER_COUNT_MISMATCH', null],
    [132001, 'TEMPLATE_NOT_FOUND', null],
    [132005, 'TEMPLATE_TEXT_TOO_LONG', null],
    [132007, 'TEMPLATE_POLICY_VIOLATION', null],
    [132012, 'TEMPLATE_PARAMETER_FORMAT_MISMATCH', null],
    [132015, 'TEMPLATE_PAUSED', 'PAUSED'],
    [132016, 'TEMPLATE_DISABLED', 'DISABLED'],
  ])('%i is %s', (metaCode, code, impliedStatus) => {
    expect(templateErrorFor(metaCode)).toEqual({ metaCode, code, message: expect.any(String), impliedStatus });
  });

  it("adds Meta's details to the message (graph-error-132001-template-not-found.json)", () => {
    const { error } = fixture('graph-error-132001-template-not-found');
    expect(templateErrorFor(error.code, error.error_data.details)?.message).toBe(
      'The template does not exist in this language, or is not approved (yet). Meta says: template name (order_update_v3) does not exist in pt_BR',
    );
  });

  it('knows nothing of other codes', () => {
    fc.assert(
      fc.property(fc.integer(), (code) => {
        fc.pre(!TEMPLATE_META_ERROR_CODES.includes(code));
        expect(templateErrorFor(code)).toBeNull();
      }),
    );
  });
});
