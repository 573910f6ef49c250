import type { DbExecutor } from '../../db/database.js';
import { recordConsentChange, type ConsentDeps } from './consent-ledger.js';
import { KEYWORD_CATEGORIES } from './core/consent-state.js';
import { classifyConsentKeyword, type ConsentKeywordAction, type KeywordMatcher } from './core/opt-out-keywords.js';

export const INBOUND_KEYWORD_SOURCE = 'inbound_keyword';

export type InboundKeywordMessage = {
  contact: { id: string };
  /** The number the person wrote to; null (unknown) makes the word apply to every number. */
  businessPhoneNumberId: string | null;
  /** The message's text: a text body, or the title/payload of a tapped button. */
  text: string | null;
  wamid: string;
  /** WhatsApp's time of the message, epoch ms. */
  timestamp: number;
};

/**
 * The text a keyword is looked for in: what the person typed (`text`), a tapped quick-reply
 * button (`button`: "Stop promotions") or an interactive reply's title. Captions and the rest are
 * not words addressed to the business's mailing list: an image captioned "stop" opts no one out.
 */
export function keywordTextOf(message: { type: string; text: string | null }): string | null {
  return message.type === 'text' || message.type === 'button' || message.type === 'interactive' ? message.text : null;
}

/** `matcher`: built once with `buildKeywordMatcher(config)` for configured extra keywords; the defaults otherwise. */
export type ApplyKeywordDeps = ConsentDeps & { matcher?: KeywordMatcher };

/**
 * Records an opt-out ("STOP", "BAJA", …) or opt-in ("START", …) written as a whole message, in the
 * caller's transaction, so it takes effect with the message itself: anything that runs after it
 * in the same transaction (automation, the sender's consent check) already sees it.
 *
 * A keyword is the person's word on every template category (marketing, utility, authentication):
 * one ledger row each, per the number written to, with the wamid as evidence. Whether utility and
 * authentication templates honour it is the enforcement policy's business (`consentDecision`).
 * Idempotent: replaying the webhook finds the rows already there (same source, time, evidence).
 */
export async function applyConsentKeyword(
  exec: DbExecutor,
  message: InboundKeywordMessage,
  deps: ApplyKeywordDeps,
): Promise<{ action: ConsentKeywordAction; language: string } | null> {
  const match = deps.matcher ? deps.matcher(message.text) : classifyConsentKeyword(message.text);
  if (!match) return null;
  for (const category of KEYWORD_CATEGORIES) {
    await recordConsentChange(
      exec,
      {
        contactId: message.contact.id,
        businessPhoneNumberId: message.businessPhoneNumberId,
        category,
        action: match.action,
        source: INBOUND_KEYWORD_SOURCE,
        evidence: message.wamid,
        occurredAt: message.timestamp,
      },
      deps,
    );
  }
  return { action: match.action, language: match.language };
}
