import { z } from 'zod';

/** The error body every API route answers with; listed in the OpenAPI document. */
export const ErrorResponse = z.object({
  error: z.object({
    code: z.string().describe('Stable machine-readable code, e.g. CONTACT_PHONE_INVALID'),
    message: z.string().describe('What went wrong, for a human'),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
