import { expect } from 'vitest';
import { CrmError } from '../crm-error.js';

/** The CrmError a connector call rejects with; fails the test when the call succeeds or throws anything else. */
export async function crmErrorOf(promise: Promise<unknown>): Promise<CrmError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'the call should have failed').toBeInstanceOf(CrmError);
  return error as CrmError;
}
