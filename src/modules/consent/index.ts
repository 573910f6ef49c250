export {
  recordConsentChange,
  isOptedOut,
  consentRepository,
  type ConsentChange,
  type ConsentCategory,
  type ConsentDeps,
} from './consent-ledger.js';
export {
  classifyConsentKeyword,
  buildKeywordMatcher,
  normaliseKeywordText,
  DEFAULT_OPT_OUT_KEYWORDS,
  DEFAULT_OPT_IN_KEYWORDS,
  type ConsentKeywordMatch,
  type KeywordConfig,
  type KeywordMatcher,
} from './core/opt-out-keywords.js';
export {
  CONSENT_CATEGORIES,
  ConsentPolicy,
  ConsentEnforcement,
  DEFAULT_CONSENT_POLICY,
  consentCategoryOf,
  consentState,
  optedOutOfMarketingAnywhere,
  type ConsentVerdict,
  type ConsentState,
} from './core/consent-state.js';
export { applyConsentKeyword, keywordTextOf, INBOUND_KEYWORD_SOURCE, type InboundKeywordMessage, type ApplyKeywordDeps } from './apply-consent-keyword.js';
export { getConsent, ledgerEntry, type ConsentView, type ConsentLedgerEntry } from './get-consent.js';
export { recordConsentFromApi, ConsentApiInput } from './record-consent-from-api.js';
export { consentDecision, type ConsentQuestion } from './consent-decision.js';
export { consentRoutes, type ConsentRouteOptions } from './consent.routes.js';
