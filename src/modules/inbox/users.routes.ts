import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/database.js';
import { ErrorResponse } from '../../http/error.schema.js';
import { replyError } from '../../http/reply-error.js';
import type { Clock } from '../../platform/clock.js';
import type { IdGenerator } from '../../platform/ids.js';
import { createUser, NewUserInput, UserPatchInput } from './create-user.js';
import { hashPassword } from './password-hasher.js';
import { requireRole } from './principal.js';
import { sessionRepository } from './session.repository.js';
import { isOnline, userRepository, type User } from './user.repository.js';

const UserResponse = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.enum(['admin', 'agent']),
  online: z.boolean().describe('An event stream open, or a presence ping, within the last 60 s'),
  skills: z.array(z.string()),
  languages: z.array(z.string()),
  regions: z.array(z.string()),
  maxOpen: z.number().nullable(),
  active: z.boolean(),
});

const userResponse = (user: User, now: number): z.infer<typeof UserResponse> => ({
  id: user.id,
  email: user.email,
  name: user.name,
  role: user.role,
  online: user.active && isOnline(user, now),
  skills: user.skills,
  languages: user.languages,
  regions: user.regions,
  maxOpen: user.maxOpen,
  active: user.active,
});

export const usersRoutes: FastifyPluginAsyncZod<{ db: Db; clock: Clock; ids: IdGenerator }> = async (app, { db, clock, ids }) => {
  const adminOnly = requireRole('admin');

  app.get(
    '/users',
    { schema: { summary: 'The team, with who is online (agents see it too, for hand-over)', tags: ['users'], response: { 200: z.object({ items: z.array(UserResponse) }) } } },
    async () => {
      const now = clock.now();
      return { items: (await userRepository.list(db)).map((u) => userResponse(u, now)) };
    },
  );

  app.post(
    '/users',
    {
      preHandler: adminOnly,
      schema: { summary: 'Add a user (admins only)', tags: ['users'], body: NewUserInput, response: { 201: UserResponse, 400: ErrorResponse, 403: ErrorResponse, 409: ErrorResponse } },
    },
    async (request, reply) => {
      const created = await createUser(db, request.body, { clock, ids });
      if (!created.ok) return replyError(reply, created.error);
      return reply.status(201).send(userResponse(created.value, clock.now()));
    },
  );

  app.patch(
    '/users/:id',
    {
      preHandler: adminOnly,
      schema: {
        summary: 'Change a user (admins only); deactivating or a new password ends their sessions',
        tags: ['users'],
        params: z.object({ id: z.string() }),
        body: UserPatchInput,
        response: { 200: UserResponse, 400: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request, reply) => {
      const user = await userRepository.findById(db, request.params.id);
      if (!user) return replyError(reply, { code: 'USER_NOT_FOUND', message: `No user ${request.params.id}.` });
      const { password, languages, regions, ...rest } = request.body;
      const losesAdmin = user.role === 'admin' && user.active && (rest.role === 'agent' || rest.active === false);
      if (losesAdmin && (await userRepository.list(db)).filter((u) => u.role === 'admin' && u.active).length === 1) {
        return replyError(reply, { code: 'USER_LAST_ADMIN', message: 'This is the last active admin: make someone else admin first.' });
      }
      const passwordHash = password === undefined ? undefined : await hashPassword(password);
      await db.transaction().execute(async (trx) => {
        await userRepository.update(
          trx,
          user.id,
          {
            ...rest,
            ...(languages ? { languages: languages.map((l) => l.toLowerCase()) } : {}),
            ...(regions ? { regions: regions.map((r) => r.toUpperCase()) } : {}),
            ...(passwordHash ? { passwordHash } : {}),
          },
          clock.now(),
        );
        if (passwordHash || rest.active === false) await sessionRepository.deleteForUser(trx, user.id);
      });
      return userResponse((await userRepository.findById(db, user.id))!, clock.now());
    },
  );
};
