import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../../db/database.js';
import { GroupCommitter } from '../../platform/group-commit.js';
import type { Logger } from '../../platform/logger.js';
import { recordAudit, type AuditDeps, type AuditInput } from './audit-log.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export type AuditHookDeps = AuditDeps & {
  db: Db;
  log?: Logger;
  /** Who made the request; `api-token` until there are users. Not called for a 401. */
  actorOf?: (request: FastifyRequest) => string;
  /**
   * SQLite: `DatabaseHandle.withoutCommitFsync`. An entry is written after its response, which
   * waited for nothing of it, so its commit needs no fsync of its own: the next durable commit
   * (a webhook, an API write, a claimed send) takes it to disk with the rest of the WAL. A power
   * cut before that loses the last entries; a crash of the process loses nothing.
   */
  commitWithoutFsync?: <T>(work: (db: Db) => Promise<T>) => Promise<T>;
};

export type AuditRecorder = {
  /** Resolves once every entry started so far is written: await it on shutdown, and in tests. */
  idle(): Promise<void>;
};

/**
 * The kind of thing a route acts on: the segment before its first parameter
 * (`/api/v1/contacts/:id/consent` → `contacts`), else its last segment (`/api/v1/messages` → `messages`).
 */
export function targetTypeOf(routeUrl: string): string | null {
  const segments = routeUrl.split('/').filter((s) => s.length > 0);
  const param = segments.findIndex((s) => s.startsWith(':') || s === '*');
  if (param > 0) return segments[param - 1]!;
  const statics = segments.filter((s) => !s.startsWith(':'));
  return statics[statics.length - 1] ?? null;
}

function idFromParams(params: unknown): string | null {
  if (params === null || typeof params !== 'object') return null;
  const id = (params as Record<string, unknown>)['id'];
  return typeof id === 'string' ? id : null;
}

/** What the audit entry of one request says. The body is never recorded (it holds personal data). */
export function auditEntryFor(request: FastifyRequest, reply: FastifyReply, createdId: string | undefined, actorOf: (request: FastifyRequest) => string): AuditInput {
  const route = request.routeOptions.url ?? request.url.split('?')[0] ?? request.url;
  return {
    actor: reply.statusCode === 401 ? 'unauthenticated' : actorOf(request),
    action: `${request.method} ${route}`,
    targetType: targetTypeOf(route),
    targetId: idFromParams(request.params) ?? createdId ?? null,
    details: { statusCode: reply.statusCode, durationMs: Math.round(reply.elapsedTime) },
    requestId: request.id,
  };
}

/**
 * Records every mutating request (POST, PUT, PATCH, DELETE) that reaches `scope`, after the
 * response is sent, so auditing never slows or fails a request: a failed write is logged. Call it
 * on the authenticated API scope before its routes are registered. A request refused by the
 * bearer check is recorded with actor `unauthenticated`. The target id is the route's `:id`, or
 * the `id` of what a successful POST created (read from the JSON answer).
 */
export function registerAuditHooks(scope: FastifyInstance, deps: AuditHookDeps): AuditRecorder {
  const actorOf = deps.actorOf ?? (() => 'api-token');
  const created = new WeakMap<FastifyRequest, string>();
  const pending = new Set<Promise<void>>();
  // Entries of concurrent requests share one transaction, not one commit each.
  const write = (db: Db, entries: AuditInput[]) =>
    db.transaction().execute(async (trx) => {
      for (const entry of entries) await recordAudit(trx, entry, deps);
    });
  const writer = new GroupCommitter<AuditInput, void>(async (entries) => {
    const withoutFsync = deps.commitWithoutFsync;
    await (withoutFsync ? withoutFsync((db) => write(db, entries)) : write(deps.db, entries));
    return entries.map(() => undefined);
  });

  scope.addHook('onSend', async (request, reply, payload) => {
    if (!MUTATING.has(request.method) || reply.statusCode >= 300 || typeof payload !== 'string' || !payload.startsWith('{')) return payload;
    try {
      const id = (JSON.parse(payload) as Record<string, unknown>)['id'];
      if (typeof id === 'string') created.set(request, id);
    } catch {
      // Not JSON after all: no created id.
    }
    return payload;
  });

  scope.addHook('onResponse', async (request, reply) => {
    if (!MUTATING.has(request.method)) return;
    const entry = { ...auditEntryFor(request, reply, created.get(request), actorOf), occurredAt: deps.clock.now() };
    const write = writer
      .submit(entry)
      .catch((error: unknown) => (deps.log ?? request.log).error({ err: error, action: entry.action }, 'could not write the audit log'))
      .finally(() => pending.delete(write));
    pending.add(write);
  });

  return {
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
