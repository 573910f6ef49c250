import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseAssignee, eligibleCandidates, languageOf, neededSkills, type Candidate, type ConversationNeeds } from './assignment.js';

const user = (id: string, over: Partial<Candidate> = {}): Candidate => ({
  id,
  online: true,
  skills: [],
  languages: [],
  regions: [],
  openCount: 0,
  maxOpen: null,
  lastAssignedAt: null,
  ...over,
});
const anyone: ConversationNeeds = { language: null, region: null, tags: [] };

describe('assignment rules', () => {
  it('round-robin gives the conversation to whoever was assigned longest ago, never-assigned first', () => {
    const team = [user('a', { lastAssignedAt: 30 }), user('b', { lastAssignedAt: 10 }), user('c', { lastAssignedAt: 20 })];
    expect(chooseAssignee('round_robin', anyone, team)).toBe('b');
    expect(chooseAssignee('round_robin', anyone, [...team, user('d')])).toBe('d');
  });

  it('round-robin cycles through the team when each assignment is recorded', () => {
    let team = [user('a'), user('b'), user('c')];
    const picks: string[] = [];
    for (let t = 1; t <= 6; t++) {
      const pick = chooseAssignee('round_robin', anyone, team)!;
      picks.push(pick);
      team = team.map((c) => (c.id === pick ? { ...c, lastAssignedAt: t } : c));
    }
    expect(picks).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('fewest-open gives it to the least loaded user, ties going round-robin', () => {
    const team = [user('a', { openCount: 3 }), user('b', { openCount: 1, lastAssignedAt: 50 }), user('c', { openCount: 1, lastAssignedAt: 5 })];
    expect(chooseAssignee('fewest_open', anyone, team)).toBe('c');
  });

  it('manual assigns nobody', () => {
    expect(chooseAssignee('manual', anyone, [user('a')])).toBeNull();
  });

  it('only online users under their limit are eligible; nobody eligible leaves it unassigned', () => {
    const team = [user('off', { online: false }), user('full', { openCount: 5, maxOpen: 5 }), user('ok', { openCount: 9, lastAssignedAt: 99 })];
    expect(eligibleCandidates(anyone, team).map((c) => c.id)).toEqual(['ok']);
    expect(chooseAssignee('round_robin', anyone, team.slice(0, 2))).toBeNull();
    expect(chooseAssignee('fewest_open', anyone, [])).toBeNull();
  });

  it("matches the contact's language and region against users who declare them; users who declare none take any", () => {
    const team = [
      user('es', { languages: ['es', 'pt'] }),
      user('en', { languages: ['EN'] }),
      user('br', { regions: ['br'] }),
      user('any'),
    ];
    const ids = (needs: ConversationNeeds) => eligibleCandidates(needs, team).map((c) => c.id);
    expect(ids({ language: 'es', region: 'MX', tags: [] })).toEqual(['es', 'any']);
    expect(ids({ language: 'en', region: 'BR', tags: [] })).toEqual(['en', 'br', 'any']);
    expect(ids({ language: null, region: null, tags: [] })).toEqual(['es', 'en', 'br', 'any']);
  });

  it('needs the skills named by the contact tags that someone declares, and ignores other tags', () => {
    const team = [user('billing', { skills: ['Billing'] }), user('both', { skills: ['billing', 'tech'] }), user('general')];
    expect(neededSkills({ ...anyone, tags: ['vip', 'billing'] }, team)).toEqual(['billing']);
    expect(eligibleCandidates({ ...anyone, tags: ['vip', 'billing'] }, team).map((c) => c.id)).toEqual(['billing', 'both']);
    expect(eligibleCandidates({ ...anyone, tags: ['billing', 'tech'] }, team).map((c) => c.id)).toEqual(['both']);
    expect(eligibleCandidates({ ...anyone, tags: ['vip'] }, team).map((c) => c.id)).toEqual(['billing', 'both', 'general']);
  });

  it('takes the language part of a locale', () => {
    expect([languageOf('es_MX'), languageOf('pt-BR'), languageOf('EN'), languageOf(null), languageOf('')]).toEqual(['es', 'pt', 'en', null, null]);
  });

  it('always picks an eligible user when there is one, whatever the strategy and the team', () => {
    const candidate = fc.record({
      id: fc.string({ minLength: 1, maxLength: 4 }),
      online: fc.boolean(),
      skills: fc.array(fc.constantFrom('billing', 'tech')),
      languages: fc.array(fc.constantFrom('es', 'en')),
      regions: fc.array(fc.constantFrom('BR', 'US')),
      openCount: fc.nat(10),
      maxOpen: fc.option(fc.nat(10)),
      lastAssignedAt: fc.option(fc.nat(1000)),
    });
    const needs = fc.record({
      language: fc.option(fc.constantFrom('es', 'en')),
      region: fc.option(fc.constantFrom('BR', 'US')),
      tags: fc.array(fc.constantFrom('billing', 'tech', 'vip')),
    });
    fc.assert(
      fc.property(fc.constantFrom('round_robin' as const, 'fewest_open' as const), needs, fc.array(candidate, { maxLength: 8 }), (strategy, n, team) => {
        const eligible = eligibleCandidates(n, team);
        const chosen = chooseAssignee(strategy, n, team);
        if (eligible.length === 0) expect(chosen).toBeNull();
        else expect(eligible.map((c) => c.id)).toContain(chosen);
        if (strategy === 'fewest_open' && chosen !== null) {
          expect(eligible.find((c) => c.id === chosen)!.openCount).toBe(Math.min(...eligible.map((c) => c.openCount)));
        }
      }),
    );
  });
});
