import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertApiName, coqlDateTime, coqlString, isZohoId } from './zoho-coql.js';
import { parseCoql } from './testing/zoho-coql.parser.js';

describe('coqlString', () => {
  it('any value, quotes and backslashes included, reads back as exactly one literal', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        const query = parseCoql(`select id from Contacts where Switchboard_Id = ${coqlString(value)} limit 2`);
        expect(query.where).toEqual({ kind: 'compare', field: 'Switchboard_Id', op: '=', value });
        expect(query.limit).toBe(2);
      }),
    );
  });

  it('escapes a quote and a backslash with a backslash', () => {
    expect(coqlString("O'Brien \\ co")).toBe("'O\\'Brien \\\\ co'");
  });
});

describe('COQL helpers', () => {
  it('writes date-times in Zoho’s form, at whole seconds', () => {
    expect(coqlDateTime(Date.UTC(2026, 10, 1, 12, 0, 5, 999))).toBe("'2026-11-01T12:00:05+00:00'");
  });

  it('accepts only digit ids and API names', () => {
    expect(isZohoId('3652397000000624001')).toBe(true);
    expect(isZohoId('1 or 1')).toBe(false);
    expect(isZohoId('')).toBe(false);
    expect(assertApiName('field', 'Switchboard_Id')).toBe('Switchboard_Id');
    expect(() => assertApiName('field', "Id' or")).toThrow(RangeError);
    expect(() => assertApiName('field', '_x')).toThrow(RangeError);
  });
});
