export { recordConsentChange, isOptedOut, type ConsentChange, type ConsentCategory, type ConsentDeps } from './consent-ledger.js';
