import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorResponse } from '../../http/error.schema.js';
import { replyError } from '../../http/reply-error.js';
import type { BusinessNumber } from './business-number.js';
import type { NumberDirectory } from './number-directory.js';

const NumberResponse = z.object({
  phoneNumberId: z.string(),
  displayPhoneNumber: z.string().nullable(),
  wabaId: z.string(),
  throughputMps: z.number(),
  healthy: z.boolean().describe('false once Meta said the access token expired (190)'),
  tokenExpiredAt: z.string().nullable(),
  source: z.enum(['environment', 'database']),
});

/** Never returns the token. */
export function numberResponse(number: BusinessNumber): z.infer<typeof NumberResponse> {
  return {
    phoneNumberId: number.phoneNumberId,
    displayPhoneNumber: number.displayPhoneNumber,
    wabaId: number.wabaId,
    throughputMps: number.throughputMps,
    healthy: number.tokenExpiredAt === null,
    tokenExpiredAt: number.tokenExpiredAt === null ? null : new Date(number.tokenExpiredAt).toISOString(),
    source: number.source,
  };
}

export const NewNumberBody = z.object({
  phoneNumberId: z.string().regex(/^\d+$/),
  wabaId: z.string().regex(/^\d+$/),
  displayPhoneNumber: z.string().nullable().optional(),
  accessToken: z.string().min(1),
  throughputMps: z.number().int().min(1).max(10_000).default(80),
});

export const numbersRoutes: FastifyPluginAsyncZod<{ numbers: NumberDirectory }> = async (app, { numbers }) => {
  app.get(
    '/numbers',
    { schema: { summary: 'The WhatsApp numbers the hub sends from', tags: ['numbers'], response: { 200: z.object({ data: z.array(NumberResponse) }) } } },
    async () => ({ data: (await numbers.list()).map(numberResponse) }),
  );

  app.post(
    '/numbers',
    {
      schema: {
        summary: 'Add a number, or replace its access token (stored encrypted)',
        tags: ['numbers'],
        body: NewNumberBody,
        response: { 201: NumberResponse, 400: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request, reply) => {
      const saved = await numbers.save({ ...request.body, displayPhoneNumber: request.body.displayPhoneNumber ?? null });
      if (!saved.ok) return replyError(reply, saved.error);
      return reply.status(201).send(numberResponse(saved.value));
    },
  );
};
