import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { ErrorResponse } from '../../http/error.schema.js';
import { replyError } from '../../http/reply-error.js';
import { contactRepository } from '../contacts/index.js';
import type { ConsentDeps } from './consent-ledger.js';
import { CONSENT_CATEGORIES } from './core/consent-state.js';
import { getConsent } from './get-consent.js';
import { ConsentApiInput, recordConsentFromApi } from './record-consent-from-api.js';

const Word = z.object({
  status: z.enum(['opted_in', 'opted_out', 'unknown']),
  since: z.string().nullable().describe('When the deciding event happened (ISO 8601)'),
  source: z.string().nullable().describe('inbound_keyword, user_preferences, meta_error_131050, api, crm_sync, import, erasure_tombstone'),
});

const CategoryState = z.object({
  overall: Word.describe('The word that applies to every sending number'),
  numbers: z.record(z.string(), Word).describe('Per sending number: its own events and the global ones'),
});

export const ConsentResponse = z.object({
  contactId: z.string(),
  state: z.object(Object.fromEntries(CONSENT_CATEGORIES.map((c) => [c, CategoryState])) as Record<(typeof CONSENT_CATEGORIES)[number], typeof CategoryState>),
  ledger: z.array(
    z.object({
      id: z.string(),
      category: z.string(),
      action: z.enum(['opt_in', 'opt_out']),
      businessPhoneNumberId: z.string().nullable(),
      source: z.string(),
      evidence: z.unknown(),
      occurredAt: z.string(),
      recordedAt: z.string(),
    }),
  ),
});

export type ConsentRouteOptions = { db: Db; deps: ConsentDeps };

export const consentRoutes: FastifyPluginAsyncZod<ConsentRouteOptions> = async (app, { db, deps }) => {
  app.get(
    '/contacts/:id/consent',
    {
      schema: {
        summary: "A contact's consent per category and sending number, with the ledger behind it",
        tags: ['consent'],
        params: z.object({ id: z.string() }),
        response: { 200: ConsentResponse, 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const contact = await contactRepository.findById(db, request.params.id);
      if (!contact) return replyError(reply, { code: 'CONTACT_NOT_FOUND', message: `No contact ${request.params.id}.` });
      return getConsent(db, contact.id);
    },
  );

  app.post(
    '/contacts/:id/consent',
    {
      schema: {
        summary: 'Record an opt-in or opt-out the business captured (form, checkbox, import, CRM), with its evidence',
        description: 'The latest event by `evidence.capturedAt` decides. Answers the new consent state.',
        tags: ['consent'],
        params: z.object({ id: z.string() }),
        body: ConsentApiInput,
        response: { 201: ConsentResponse, 400: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const result = await inTransaction(db, (trx) => recordConsentFromApi(trx, request.params.id, request.body, deps));
      if (!result.ok) return replyError(reply, result.error);
      return reply.status(201).send(result.value);
    },
  );
};
