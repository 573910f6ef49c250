import type { AuditLogTable, DbExecutor } from '../../db/database.js';
import { everyColumn, preparedQuery } from '../../db/prepared-query.js';
import type { Clock } from '../../platform/clock.js';
import { AppError, err, ok, type Result } from '../../platform/errors.js';
import type { IdGenerator } from '../../platform/ids.js';

export type AuditDeps = { clock: Clock; ids: IdGenerator };

export type AuditInput = {
  /** `api-token` for the REST API today (a user id once there are users), `cli`, `system`, … */
  actor: string;
  /** `POST /api/v1/contacts/:id/consent`, `cli numbers add`, `retention purge`, … */
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  /** Never personal data (no request bodies): status codes, counts, ids. */
  details?: Record<string, unknown> | null;
  requestId?: string | null;
  /** When it happened; default: now. (The audit hook writes in groups, after the fact.) */
  occurredAt?: number;
};

export type AuditEntry = {
  id: string;
  actor: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  details: Record<string, unknown> | null;
  requestId: string | null;
  occurredAt: string;
};

export type AuditPage = { data: AuditEntry[]; nextCursor: string | null };

const AUDIT_COLUMNS: Record<keyof AuditLogTable, true> = {
  id: true,
  actor: true,
  action: true,
  target_type: true,
  target_id: true,
  details: true,
  request_id: true,
  occurred_at: true,
};
// Every API write adds one (src/db/prepared-query.ts).
const insertEntry = preparedQuery((db, v: AuditLogTable) => db.insertInto('audit_log').values(everyColumn(v, AUDIT_COLUMNS)));

/** Appends one entry to the audit log (through `exec`: in the caller's transaction when it has one). Returns its id. */
export async function recordAudit(exec: DbExecutor, input: AuditInput, deps: AuditDeps): Promise<string> {
  const id = deps.ids.next();
  await insertEntry.execute(exec, {
    id,
    actor: input.actor,
    action: input.action,
    target_type: input.targetType ?? null,
    target_id: input.targetId ?? null,
    details: input.details ? JSON.stringify(input.details) : null,
    request_id: input.requestId ?? null,
    occurred_at: input.occurredAt ?? deps.clock.now(),
  });
  return id;
}

function encodeCursor(occurredAt: number, id: string): string {
  return Buffer.from(JSON.stringify([occurredAt, id])).toString('base64url');
}

function decodeCursor(cursor: string): { occurredAt: number; id: string } | null {
  try {
    const [occurredAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    return typeof occurredAt === 'number' && typeof id === 'string' ? { occurredAt, id } : null;
  } catch {
    return null;
  }
}

export type AuditQuery = { limit: number; cursor?: string | undefined; actor?: string | undefined; action?: string | undefined };

/** A page of the audit log, newest first; `nextCursor` fetches the older entries. */
export async function listAudit(exec: DbExecutor, query: AuditQuery): Promise<Result<AuditPage>> {
  const before = query.cursor === undefined ? null : decodeCursor(query.cursor);
  if (query.cursor !== undefined && before === null) return err(new AppError('VALIDATION_FAILED', 'cursor: not one this API returned.', { field: 'cursor' }));
  let select = exec
    .selectFrom('audit_log')
    .selectAll()
    .orderBy('occurred_at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit + 1);
  if (query.actor !== undefined) select = select.where('actor', '=', query.actor);
  if (query.action !== undefined) select = select.where('action', '=', query.action);
  if (before) {
    select = select.where((eb) =>
      eb.or([eb('occurred_at', '<', before.occurredAt), eb.and([eb('occurred_at', '=', before.occurredAt), eb('id', '<', before.id)])]),
    );
  }
  const rows = await select.execute();
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return ok({
    data: page.map((row) => ({
      id: row.id,
      actor: row.actor,
      action: row.action,
      targetType: row.target_type,
      targetId: row.target_id,
      details: row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>),
      requestId: row.request_id,
      occurredAt: new Date(Number(row.occurred_at)).toISOString(),
    })),
    nextCursor: rows.length > query.limit && last ? encodeCursor(Number(last.occurred_at), last.id) : null,
  });
}
