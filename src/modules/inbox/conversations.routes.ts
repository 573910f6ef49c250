import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/database.js';
import { ErrorResponse } from '../../http/error.schema.js';
import { replyError } from '../../http/reply-error.js';
import { getConsent } from '../consent/index.js';
import { addNote } from './add-note.js';
import { assignConversation, type InboxDeps } from './assign-conversation.js';
import { changeConversationState } from './change-conversation-state.js';
import { CONVERSATION_STATES } from './core/conversation-state.js';
import { conversationRepository } from './conversation.repository.js';
import { getConversationView, listConversations, type ConversationView } from './conversation-view.js';
import { noteRepository } from './note.repository.js';
import { principalOf } from './principal.js';
import { userRepository } from './user.repository.js';

export const ConversationResponse = z.object({
  id: z.string(),
  contact: z.object({
    id: z.string(),
    name: z.string().nullable(),
    phone: z.string().nullable(),
    profileName: z.string().nullable(),
    tags: z.array(z.string()),
    locale: z.string().nullable(),
  }),
  phoneNumberId: z.string(),
  state: z.enum(CONVERSATION_STATES),
  assignee: z.object({ id: z.string(), name: z.string() }).nullable(),
  lastMessage: z.object({ text: z.string().nullable(), direction: z.enum(['inbound', 'outbound']), type: z.string(), at: z.number() }).nullable(),
  unread: z.number().describe('Customer messages since the conversation was last read'),
  window: z.object({ open: z.boolean(), closesAt: z.number().nullable().describe('Epoch ms; free-form replies until then') }),
  createdAt: z.number(),
  updatedAt: z.number(),
});

const NoteResponse = z.object({ id: z.string(), body: z.string(), author: z.object({ id: z.string(), name: z.string() }), createdAt: z.number() });
const Params = z.object({ id: z.string() });
const notFound = (id: string) => ({ code: 'CONVERSATION_NOT_FOUND', message: `No conversation ${id}.` });

export const conversationsRoutes: FastifyPluginAsyncZod<{ db: Db; deps: InboxDeps }> = async (app, { db, deps }) => {
  const { clock } = deps;
  /** The view as committed: read after the transaction (SQLite has one connection). */
  const view = async (id: string): Promise<ConversationView> => (await getConversationView(db, id, clock.now()))!;

  app.get(
    '/conversations',
    {
      schema: {
        summary: 'Conversation lists: mine, unassigned or all, most recently active first',
        description: '`q` searches contact names, phones and message texts (case-insensitive substring).',
        tags: ['inbox'],
        querystring: z.object({
          view: z.enum(['mine', 'unassigned', 'all']).default('all'),
          state: z.enum(CONVERSATION_STATES).optional(),
          phoneNumberId: z.string().min(1).optional(),
          tag: z.string().min(1).optional(),
          q: z.string().max(200).optional(),
          cursor: z.string().optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
        }),
        response: { 200: z.object({ items: z.array(ConversationResponse), next: z.string().nullable() }), 400: ErrorResponse },
      },
    },
    async (request, reply) => {
      const page = await listConversations(db, request.query, principalOf(request).id, clock.now());
      if (!page.ok) return replyError(reply, page.error);
      return page.value;
    },
  );

  app.get(
    '/conversations/:id',
    {
      schema: {
        summary: 'One conversation, with the contact’s consent',
        tags: ['inbox'],
        params: Params,
        response: { 200: ConversationResponse.extend({ consent: z.unknown() }), 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const conversation = await getConversationView(db, request.params.id, clock.now());
      if (!conversation) return replyError(reply, notFound(request.params.id));
      return { ...conversation, consent: await getConsent(db, conversation.contact.id) };
    },
  );

  app.post(
    '/conversations/:id/assign',
    {
      schema: {
        summary: 'Assign to a user, or unassign with null (hand-over)',
        tags: ['inbox'],
        params: Params,
        body: z.object({ userId: z.string().min(1).nullable() }),
        response: { 200: ConversationResponse, 404: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { userId } = request.body;
      if (userId !== null) {
        const user = await userRepository.findById(db, userId);
        if (!user?.active) return replyError(reply, { code: 'ASSIGNEE_INVALID', message: `No active user ${userId}.` });
      }
      const principal = principalOf(request);
      const found = await db.transaction().execute(async (trx) => {
        const conversation = await conversationRepository.findById(trx, request.params.id);
        if (!conversation) return false;
        await assignConversation(trx, deps, conversation, userId, { actor: principal.id, reason: 'manual' });
        await deps.bus.publish(trx, [{ event: 'conversation', data: { conversationId: conversation.id } }]);
        return true;
      });
      if (!found) return replyError(reply, notFound(request.params.id));
      return view(request.params.id);
    },
  );

  app.get(
    '/conversations/:id/assignments',
    {
      schema: {
        summary: 'Who had the conversation, when and why',
        tags: ['inbox'],
        params: Params,
        response: {
          200: z.object({
            items: z.array(z.object({ id: z.string(), from: z.string().nullable(), to: z.string().nullable(), actor: z.string(), reason: z.string(), at: z.number() })),
          }),
          404: ErrorResponse,
        },
      },
    },
    async (request, reply) => {
      if (!(await conversationRepository.findById(db, request.params.id))) return replyError(reply, notFound(request.params.id));
      const rows = await conversationRepository.assignments(db, request.params.id);
      return { items: rows.map((r) => ({ id: r.id, from: r.from_user_id, to: r.to_user_id, actor: r.actor, reason: r.reason, at: Number(r.at) })) };
    },
  );

  app.post(
    '/conversations/:id/state',
    {
      schema: {
        summary: 'Open, pending (waiting on the customer) or resolved',
        tags: ['inbox'],
        params: Params,
        body: z.object({ state: z.enum(CONVERSATION_STATES) }),
        response: { 200: ConversationResponse, 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const found = await db.transaction().execute(async (trx) => {
        const conversation = await conversationRepository.findById(trx, request.params.id);
        if (!conversation) return false;
        await changeConversationState(trx, deps, conversation, request.body.state);
        return true;
      });
      if (!found) return replyError(reply, notFound(request.params.id));
      return view(request.params.id);
    },
  );

  app.post(
    '/conversations/:id/read',
    { schema: { summary: 'Marks the conversation read (unread → 0)', tags: ['inbox'], params: Params, response: { 200: ConversationResponse, 404: ErrorResponse } } },
    async (request, reply) => {
      const conversation = await conversationRepository.findById(db, request.params.id);
      if (!conversation) return replyError(reply, notFound(request.params.id));
      if (conversation.unread > 0) {
        await conversationRepository.save(db, conversation, { ...conversation, unread: 0 }, clock.now(), false);
        await deps.bus.publish(db, [{ event: 'conversation', data: { conversationId: conversation.id } }]);
      }
      return view(conversation.id);
    },
  );

  app.get(
    '/conversations/:id/notes',
    { schema: { summary: 'Internal notes, oldest first', tags: ['inbox'], params: Params, response: { 200: z.object({ items: z.array(NoteResponse) }), 404: ErrorResponse } } },
    async (request, reply) => {
      if (!(await conversationRepository.findById(db, request.params.id))) return replyError(reply, notFound(request.params.id));
      return { items: await noteRepository.list(db, request.params.id) };
    },
  );

  app.post(
    '/conversations/:id/notes',
    {
      schema: {
        summary: 'Adds an internal note: the team sees it, the customer never does',
        tags: ['inbox'],
        params: Params,
        body: z.object({ body: z.string().trim().min(1).max(4000) }),
        response: { 201: NoteResponse, 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const note = await db.transaction().execute(async (trx) => {
        const conversation = await conversationRepository.findById(trx, request.params.id);
        if (!conversation) return null;
        return addNote(trx, deps, { conversationId: conversation.id, author: { id: principal.id, name: principal.name }, body: request.body.body });
      });
      if (!note) return replyError(reply, notFound(request.params.id));
      return reply.status(201).send(note);
    },
  );
};
