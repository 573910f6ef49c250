import type { SelectQueryBuilder } from 'kysely';
import type { DialectName } from './connect.js';

/**
 * The few places where SQLite and PostgreSQL differ. Everything else is portable Kysely.
 */

/**
 * Row locking for job claims. On PostgreSQL, `FOR UPDATE SKIP LOCKED` lets any number of worker
 * processes claim disjoint rows; SQLite has a single writer, so the transaction itself is the lock.
 */
export function lockForClaim<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  dialect: DialectName,
): SelectQueryBuilder<DB, TB, O> {
  return dialect === 'postgres' ? query.forUpdate().skipLocked() : query;
}

/** The largest number of rows one multi-row INSERT should carry (bound parameters are limited). */
export function maxRowsPerInsert(dialect: DialectName, columns: number): number {
  const maxParameters = dialect === 'postgres' ? 65_535 : 32_766;
  return Math.max(1, Math.floor(maxParameters / columns) - 1);
}
