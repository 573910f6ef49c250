import { z } from 'zod';
import type { DbExecutor } from '../../db/database.js';
import { AppError, err, ok, type Result } from '../../platform/errors.js';
import { contactRepository } from '../contacts/index.js';
import { recordConsentChange, type ConsentDeps } from './consent-ledger.js';
import { CONSENT_CATEGORIES } from './core/consent-state.js';
import { getConsent, type ConsentView } from './get-consent.js';

/** How much a recorded time may lie ahead of the clock (clock skew between the CRM and us). */
const MAX_FUTURE_SKEW_MS = 5 * 60_000;

export const ConsentApiInput = z.object({
  category: z.enum(CONSENT_CATEGORIES),
  action: z.enum(['opt_in', 'opt_out']),
  businessPhoneNumberId: z.string().min(1).max(64).nullable().optional().describe('The sending number it applies to; absent or null: every number'),
  evidence: z.object({
    kind: z.enum(['form', 'checkbox', 'import', 'double_opt_in', 'verbal', 'written', 'crm', 'other']).describe('How the consent was captured'),
    reference: z.string().min(1).max(2000).optional().describe('A form id, URL, document or CRM record that proves it'),
    capturedAt: z.iso.datetime({ offset: true }).optional().describe('When the person said so (ISO 8601); default: now'),
  }),
  source: z.enum(['api', 'crm_sync', 'import']).default('api'),
});
export type ConsentApiInput = z.input<typeof ConsentApiInput>;

/**
 * Records an opt-in or opt-out the business captured itself (a web form, a checkbox, an import,
 * a CRM sync), with its evidence, and answers the contact's new consent state. The event takes
 * the time the person said it (`capturedAt`), so an older form imported late does not override
 * a STOP written since. Replaying the same call (same evidence and time) records nothing new.
 */
export async function recordConsentFromApi(exec: DbExecutor, contactId: string, input: ConsentApiInput, deps: ConsentDeps): Promise<Result<ConsentView>> {
  const parsed = ConsentApiInput.safeParse(input);
  if (!parsed.success) return err(new AppError('VALIDATION_FAILED', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')));
  const { category, action, businessPhoneNumberId, evidence, source } = parsed.data;
  const contact = await contactRepository.findById(exec, contactId);
  if (!contact) return err(new AppError('CONTACT_NOT_FOUND', `No contact ${contactId}.`));
  const now = deps.clock.now();
  const occurredAt = evidence.capturedAt === undefined ? now : Date.parse(evidence.capturedAt);
  if (occurredAt > now + MAX_FUTURE_SKEW_MS) {
    return err(new AppError('VALIDATION_FAILED', 'evidence.capturedAt: lies in the future.', { field: 'evidence.capturedAt' }));
  }
  await recordConsentChange(
    exec,
    {
      contactId,
      businessPhoneNumberId: businessPhoneNumberId ?? null,
      category,
      action,
      source,
      evidence: JSON.stringify({ kind: evidence.kind, reference: evidence.reference ?? null, capturedAt: new Date(occurredAt).toISOString() }),
      occurredAt,
    },
    deps,
  );
  return ok(await getConsent(exec, contactId));
}
