import { sql } from 'kysely';

/**
 * `LIMIT 1` written into the SQL rather than bound: `.limit(ONE_ROW)`, never `.limit(1)`.
 *
 * SQLite (built with STAT4, as better-sqlite3 is) lets the query planner use a bound LIMIT's
 * value, so a statement whose LIMIT is a parameter is prepared again every time it runs. The
 * cost grows with the statement: 1.1 µs against 4.7 µs for a one-line primary-key SELECT, 3.7 µs
 * against 11.9 µs for the 24-hour window's read of a contact's last inbound message, which every
 * API accept and every send run. A literal is planned once.
 */
export const ONE_ROW = sql.lit<number>(1);
