import type { DbExecutor } from '../../db/database.js';
import { consentRepository, toLedgerEvent, type ConsentEventRow } from './consent-ledger.js';
import { CONSENT_CATEGORIES, consentState, type ConsentCategory, type ConsentStatus, type ConsentWord } from './core/consent-state.js';

export type ConsentWordView = { status: ConsentStatus; since: string | null; source: string | null };

export type ConsentLedgerEntry = {
  id: string;
  category: string;
  action: 'opt_in' | 'opt_out';
  /** null: applies to every sending number. */
  businessPhoneNumberId: string | null;
  source: string;
  /** The evidence as recorded: an object for API evidence (`{kind, reference, capturedAt}`), else the wamid, detail, … */
  evidence: unknown;
  occurredAt: string;
  recordedAt: string;
};

export type ConsentView = {
  contactId: string;
  state: Record<ConsentCategory, { overall: ConsentWordView; numbers: Record<string, ConsentWordView> }>;
  ledger: ConsentLedgerEntry[];
};

const iso = (ms: number) => new Date(ms).toISOString();

function wordView(word: ConsentWord): ConsentWordView {
  return { status: word.status, since: word.since === null ? null : iso(word.since), source: word.source };
}

function parseEvidence(evidence: string | null): unknown {
  if (evidence === null || !evidence.startsWith('{')) return evidence;
  try {
    return JSON.parse(evidence) as unknown;
  } catch {
    return evidence;
  }
}

export function ledgerEntry(row: ConsentEventRow): ConsentLedgerEntry {
  return {
    id: row.id,
    category: row.category,
    action: row.action,
    businessPhoneNumberId: row.business_phone_number_id,
    source: row.source,
    evidence: parseEvidence(row.evidence),
    occurredAt: iso(Number(row.occurred_at)),
    recordedAt: iso(Number(row.created_at)),
  };
}

/**
 * A contact's consent: for each category, the word that applies to every number (`overall`) and
 * the word per number that appears in the ledger; and the ledger itself, oldest first.
 */
export async function getConsent(exec: DbExecutor, contactId: string): Promise<ConsentView> {
  const rows = await consentRepository.ledger(exec, contactId);
  const state = consentState(rows.map(toLedgerEvent));
  const view = {} as ConsentView['state'];
  for (const category of CONSENT_CATEGORIES) {
    const { overall, numbers } = state[category];
    view[category] = { overall: wordView(overall), numbers: Object.fromEntries(Object.entries(numbers).map(([n, w]) => [n, wordView(w)])) };
  }
  return { contactId, state: view, ledger: rows.map(ledgerEntry) };
}
