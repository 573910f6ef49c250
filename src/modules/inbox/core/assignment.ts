/**
 * Who gets a new conversation. Pure: the caller gathers the candidates (active users, whether
 * each is online, how many open conversations each holds) and what is known of the contact.
 */
export const ASSIGNMENT_STRATEGIES = ['manual', 'round_robin', 'fewest_open'] as const;
export type AssignmentStrategy = (typeof ASSIGNMENT_STRATEGIES)[number];

export type Candidate = {
  id: string;
  online: boolean;
  /** Empty: takes any. */
  skills: readonly string[];
  languages: readonly string[];
  regions: readonly string[];
  openCount: number;
  /** null: no limit. */
  maxOpen: number | null;
  lastAssignedAt: number | null;
};

export type ConversationNeeds = {
  /** The language part of the contact's locale (`es` for `es_MX`), lower-case; null when unknown. */
  language: string | null;
  /** The country of the contact's phone (`BR`); null when unknown. */
  region: string | null;
  /** The contact's tags; a tag that some user declares as a skill is a skill the conversation needs. */
  tags: readonly string[];
};

/** `es_MX` → `es`; null for null. */
export function languageOf(locale: string | null): string | null {
  if (!locale) return null;
  const language = locale.split(/[_-]/)[0]!.toLowerCase();
  return language.length > 0 ? language : null;
}

const lower = (values: readonly string[]) => values.map((v) => v.toLowerCase());

/**
 * The skills the conversation needs: those of its tags that someone declares as a skill. A tag
 * nobody declares (`vip`, `newsletter`) is not a routing constraint.
 */
export function neededSkills(needs: ConversationNeeds, candidates: readonly Candidate[]): string[] {
  const declared = new Set(candidates.flatMap((c) => lower(c.skills)));
  return [...new Set(lower(needs.tags))].filter((tag) => declared.has(tag)).sort();
}

/**
 * Who may take the conversation: online, under their limit, speaking its language and covering
 * its region where they declare languages or regions (a user who declares none takes any), and
 * having every skill it needs.
 */
export function eligibleCandidates(needs: ConversationNeeds, candidates: readonly Candidate[]): Candidate[] {
  const skills = neededSkills(needs, candidates);
  const language = needs.language?.toLowerCase() ?? null;
  const region = needs.region?.toUpperCase() ?? null;
  return candidates.filter((c) => {
    if (!c.online) return false;
    if (c.maxOpen !== null && c.openCount >= c.maxOpen) return false;
    if (language !== null && c.languages.length > 0 && !lower(c.languages).includes(language)) return false;
    if (region !== null && c.regions.length > 0 && !c.regions.map((r) => r.toUpperCase()).includes(region)) return false;
    const own = lower(c.skills);
    return skills.every((skill) => own.includes(skill));
  });
}

/** Longest ago first (never assigned before anyone), then by id so that the order is total. */
function byLastAssigned(a: Candidate, b: Candidate): number {
  const at = (c: Candidate) => c.lastAssignedAt ?? Number.NEGATIVE_INFINITY;
  return at(a) - at(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The user to assign, or null (manual strategy, or nobody eligible: the conversation stays unassigned). */
export function chooseAssignee(strategy: AssignmentStrategy, needs: ConversationNeeds, candidates: readonly Candidate[]): string | null {
  if (strategy === 'manual') return null;
  const eligible = eligibleCandidates(needs, candidates);
  if (eligible.length === 0) return null;
  const ordered = [...eligible].sort(
    strategy === 'fewest_open' ? (a, b) => a.openCount - b.openCount || byLastAssigned(a, b) : byLastAssigned,
  );
  return ordered[0]!.id;
}
