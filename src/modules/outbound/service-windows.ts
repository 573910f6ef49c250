import type { DbExecutor } from '../../db/database.js';
import { INBOUND } from '../timeline/index.js';
import { serviceWindow } from './core/service-window.js';

export type WindowView = { phoneNumberId: string; open: boolean; lastInboundAt: string | null; closesAt: string | null };

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The 24-hour window of a contact on every business number they have written to. */
export async function serviceWindowsOf(exec: DbExecutor, contactId: string, now: number): Promise<WindowView[]> {
  const rows = await exec
    .selectFrom('messages')
    .select(['business_phone_number_id', (eb) => eb.fn.max('wa_timestamp').as('at')])
    .where('contact_id', '=', contactId)
    .where('direction', '=', INBOUND)
    .where('business_phone_number_id', 'is not', null)
    .groupBy('business_phone_number_id')
    .execute();
  return rows.map((row) => {
    const window = serviceWindow(Number(row.at), now);
    return { phoneNumberId: row.business_phone_number_id!, open: window.open, lastInboundAt: iso(window.lastInboundAt), closesAt: iso(window.closesAt) };
  });
}
