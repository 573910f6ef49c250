import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/database.js';
import { ErrorResponse } from '../../http/error.schema.js';
import { replyError } from '../../http/reply-error.js';
import { contactRepository } from './contact.repository.js';
import type { ContactsDeps } from './contacts.deps.js';
import type { Contact } from './core/contact.js';
import { createContact } from './create-contact.js';
import { findContacts } from './find-contacts.js';

/** Meta's language codes: `en`, `pt_BR`, `es_MX`, `zh_CN`, … */
const Locale = z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'a language code such as en, pt_BR or es_MX');
const Fields = z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/), z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]));

const ContactResponse = z.object({
  id: z.string(),
  name: z.string().nullable(),
  phone: z.string().nullable().describe('E.164, or null for a username-only WhatsApp user'),
  waId: z.string().nullable(),
  bsuid: z.string().nullable().describe('Business-scoped user id'),
  locale: z.string().nullable().describe('Language for templates, e.g. es_MX'),
  fields: z.record(z.string(), z.unknown()).describe('Custom fields, usable as template parameters (crm.<name>)'),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export function contactResponse(contact: Contact): z.infer<typeof ContactResponse> {
  return {
    id: contact.id,
    name: contact.name,
    phone: contact.phone,
    waId: contact.waId,
    bsuid: contact.bsuid,
    locale: contact.locale,
    fields: contact.fields,
    createdAt: new Date(contact.createdAt).toISOString(),
    updatedAt: new Date(contact.updatedAt).toISOString(),
  };
}

const WindowResponse = z.object({
  phoneNumberId: z.string(),
  open: z.boolean().describe('Free-form messages may be sent while open; templates only otherwise'),
  lastInboundAt: z.string().nullable(),
  closesAt: z.string().nullable(),
});

export type ContactsRouteOptions = {
  db: Db;
  deps: ContactsDeps;
  /** The 24-hour customer-service window on each number the contact wrote to (from the outbound module). */
  serviceWindows: (contactId: string) => Promise<z.infer<typeof WindowResponse>[]>;
};

export const contactsRoutes: FastifyPluginAsyncZod<ContactsRouteOptions> = async (app, { db, deps, serviceWindows }) => {
  app.post(
    '/contacts',
    {
      schema: {
        summary: 'Create a contact from a phone number in any format',
        tags: ['contacts'],
        body: z.object({
          name: z.string().trim().min(1).max(200).nullable().optional(),
          phone: z.string().min(1).max(64),
          locale: Locale.nullable().optional(),
          fields: Fields.optional(),
        }),
        response: { 201: ContactResponse, 400: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { name, phone, locale, fields } = request.body;
      const result = await createContact(db, { name: name ?? null, phone, locale: locale ?? null, fields: fields ?? {} }, deps);
      if (!result.ok) return replyError(reply, result.error);
      return reply.status(201).send(contactResponse(result.value));
    },
  );

  app.get(
    '/contacts',
    {
      schema: {
        summary: 'Find contacts by phone (any format, WhatsApp country variants included) or by BSUID',
        tags: ['contacts'],
        querystring: z.object({ phone: z.string().min(1).optional(), bsuid: z.string().min(1).optional() }),
        response: { 200: z.object({ data: z.array(ContactResponse) }), 400: ErrorResponse },
      },
    },
    async (request, reply) => {
      const result = await findContacts(db, request.query, deps.defaultRegion);
      if (!result.ok) return replyError(reply, result.error);
      return { data: result.value.map(contactResponse) };
    },
  );

  app.patch(
    '/contacts/:id',
    {
      schema: {
        summary: "Change a contact's name, locale or custom fields (fields are merged; null removes one)",
        tags: ['contacts'],
        params: z.object({ id: z.string() }),
        body: z.object({ name: z.string().trim().min(1).max(200).nullable().optional(), locale: Locale.nullable().optional(), fields: Fields.optional() }),
        response: { 200: ContactResponse, 400: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const contact = await contactRepository.findById(db, request.params.id);
      if (!contact) return replyError(reply, { code: 'CONTACT_NOT_FOUND', message: `No contact ${request.params.id}.` });
      const { name, locale, fields } = request.body;
      const merged = fields === undefined ? undefined : Object.fromEntries(Object.entries({ ...contact.fields, ...fields }).filter(([, v]) => v !== null));
      const updated = await contactRepository.update(
        db,
        contact,
        { ...(name !== undefined ? { name } : {}), ...(locale !== undefined ? { locale } : {}), ...(merged !== undefined ? { fields: merged } : {}) },
        deps.clock.now(),
      );
      return contactResponse(updated);
    },
  );

  app.get(
    '/contacts/:id',
    {
      schema: {
        summary: 'One contact, with its 24-hour customer-service windows',
        tags: ['contacts'],
        params: z.object({ id: z.string() }),
        response: { 200: ContactResponse.extend({ serviceWindows: z.array(WindowResponse) }), 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const contact = await contactRepository.findById(db, request.params.id);
      if (!contact) return replyError(reply, { code: 'CONTACT_NOT_FOUND', message: `No contact ${request.params.id}.` });
      return { ...contactResponse(contact), serviceWindows: await serviceWindows(contact.id) };
    },
  );
};
