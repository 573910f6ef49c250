import type { DbExecutor } from '../../db/database.js';
import { consentRepository, toLedgerEvent } from './consent-ledger.js';
import { decideConsent, latestWord, type ConsentCategory, type ConsentPolicy, type ConsentVerdict } from './core/consent-state.js';

export type ConsentQuestion = {
  contactId: string;
  /** The number the message would go out from. */
  businessPhoneNumberId: string;
  category: ConsentCategory;
  /** Missing fields take `DEFAULT_CONSENT_POLICY`. */
  policy?: Partial<ConsentPolicy>;
};

/**
 * May a message of this category go to the contact from this number? Marketing to a contact whose
 * latest word is an opt-out is refused; utility and authentication follow the policy; service
 * (free-form replies inside the 24-hour window) is always allowed. `CONSENT_REQUIRED` maps to 422.
 * Reads through `exec` only: call it inside the transaction that queues (or claims) the message.
 */
export async function consentDecision(exec: DbExecutor, question: ConsentQuestion): Promise<ConsentVerdict> {
  if (question.category === 'service') return { allowed: true };
  const events = await consentRepository.forNumber(exec, question.contactId, question.category, question.businessPhoneNumberId);
  const word = latestWord(events.map(toLedgerEvent), question.category, question.businessPhoneNumberId);
  return decideConsent(question.category, word, question.policy);
}
