import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultAudience } from './jwt-bearer.credentials.js';
import { externalIdSegment } from './salesforce-record.js';
import { isApiName, parseSalesforceDateTime, soqlDateTime, soqlString, soslFindAny, soslPhrase } from './salesforce-query.js';
import { parseSoql, parseSosl } from './testing/salesforce-fake.soql.js';

describe('SOQL string literals', () => {
  it('escape quotes and backslashes with a backslash', () => {
    expect(soqlString("O'Brien")).toBe("'O\\'Brien'");
    expect(soqlString('back\\slash')).toBe("'back\\\\slash'");
    expect(soqlString("x' OR Email != '")).toBe("'x\\' OR Email != \\''");
    expect(soqlString('line\nbreak')).toBe("'line\\nbreak'");
  });

  it('round-trip any text through a SOQL parser as one literal', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        const parsed = parseSoql(`SELECT Id FROM Contact WHERE Email = ${soqlString(value)}`);
        expect(parsed.where).toEqual({ type: 'cmp', field: 'Email', op: '=', value: { kind: 'string', value } });
      }),
    );
  });
});

describe('SOSL search terms', () => {
  it('quote each term and escape every reserved character', () => {
    expect(soslPhrase('+1 (415) 555-0142')).toBe('"\\+1 \\(415\\) 555\\-0142"');
    expect(soslPhrase('a"} OR {*')).toBe('"a\\"\\} OR \\{\\*"');
  });

  it('OR the variants together and drop terms too short to search', () => {
    expect(soslFindAny(['+14155550142', '4155550142', '4155550142', ' ', '1'])).toBe('FIND {"\\+14155550142" OR "4155550142"}');
    expect(soslFindAny(['', '7'])).toBeNull();
  });

  it('round-trip any text through a SOSL parser as one term', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', minLength: 2 }).filter((s) => s.trim().replace(/\s/g, '').length >= 2), { minLength: 1, maxLength: 4 }), (values) => {
        const find = soslFindAny(values);
        const parsed = parseSosl(`${find ?? ''} IN PHONE FIELDS RETURNING Contact(Id)`);
        expect(parsed.terms.map((t) => t.text)).toEqual([...new Set(values.map((v) => v.trim()))]);
        expect(parsed.terms.every((t) => !t.wildcard)).toBe(true);
      }),
    );
  });
});

describe('values placed in queries and paths', () => {
  it('dateTime literals are UTC, whole seconds without a fraction', () => {
    expect(soqlDateTime(Date.UTC(2026, 10, 1, 12, 0, 5))).toBe('2026-11-01T12:00:05Z');
    expect(soqlDateTime(Date.UTC(2026, 10, 1, 12, 0, 5, 250))).toBe('2026-11-01T12:00:05.250Z');
  });

  it("Salesforce's dateTime text reads back as epoch ms", () => {
    expect(parseSalesforceDateTime('2026-11-01T12:00:05.000+0000')).toBe(Date.UTC(2026, 10, 1, 12, 0, 5));
    expect(parseSalesforceDateTime('2026-11-01T14:00:05.000+0200')).toBe(Date.UTC(2026, 10, 1, 12, 0, 5));
    expect(parseSalesforceDateTime(null)).toBeNull();
  });

  it('only API names pass as field names', () => {
    expect(isApiName('Budget__c')).toBe(true);
    expect(isApiName('ns__Score__c')).toBe(true);
    expect(isApiName('LeadSource')).toBe(true);
    for (const bad of ['Id, Password__c', 'Name FROM User', "x'", '1Field', '', 'a b']) expect(isApiName(bad)).toBe(false);
  });

  it('external ids that URL parsing would resolve away are refused', () => {
    expect(externalIdSegment('..')).toBeNull();
    expect(externalIdSegment('.')).toBeNull();
    expect(externalIdSegment('')).toBeNull();
    expect(externalIdSegment('a/../b')).toBe('a%2F..%2Fb');
    expect(externalIdSegment('x'.repeat(256))).toBeNull();
  });
});

describe('JWT audience', () => {
  it('is Salesforce’s login server for production, My Domain and sandbox hosts, and the origin elsewhere', () => {
    expect(defaultAudience('https://login.salesforce.com')).toBe('https://login.salesforce.com');
    expect(defaultAudience('https://acme.my.salesforce.com/')).toBe('https://login.salesforce.com');
    expect(defaultAudience('https://test.salesforce.com')).toBe('https://test.salesforce.com');
    expect(defaultAudience('https://acme--uat.sandbox.my.salesforce.com')).toBe('https://test.salesforce.com');
    expect(defaultAudience('http://127.0.0.1:4321')).toBe('http://127.0.0.1:4321');
  });
});
