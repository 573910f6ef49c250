import type { DbExecutor } from '../../db/database.js';
import type { Clock } from '../../platform/clock.js';
import { AppError } from '../../platform/errors.js';
import type { SecretBox } from '../../platform/secret-box.js';

/**
 * CRM credentials kept in the database (an OAuth access token obtained at run time, a token given
 * through the API), always sealed with SWITCHBOARD_SECRET_KEY: the table never holds one in clear.
 */
export class CrmCredentialStore {
  constructor(
    private readonly box: SecretBox | null,
    private readonly clock: Clock,
  ) {}

  async put(exec: DbExecutor, connector: string, name: string, value: string, expiresAt: number | null = null): Promise<void> {
    if (!this.box) throw new AppError('SECRET_KEY_MISSING', 'Set SWITCHBOARD_SECRET_KEY to store CRM credentials.');
    const now = this.clock.now();
    const value_sealed = this.box.seal(value);
    await exec
      .insertInto('crm_credentials')
      .values({ connector, name, value_sealed, expires_at: expiresAt, updated_at: now })
      .onConflict((oc) => oc.columns(['connector', 'name']).doUpdateSet({ value_sealed, expires_at: expiresAt, updated_at: now }))
      .execute();
  }

  /** The credential, or null when absent or expired. */
  async get(exec: DbExecutor, connector: string, name: string): Promise<string | null> {
    if (!this.box) return null;
    const row = await exec.selectFrom('crm_credentials').selectAll().where('connector', '=', connector).where('name', '=', name).executeTakeFirst();
    if (!row || (row.expires_at !== null && Number(row.expires_at) <= this.clock.now())) return null;
    return this.box.open(row.value_sealed);
  }

  async delete(exec: DbExecutor, connector: string, name: string): Promise<void> {
    await exec.deleteFrom('crm_credentials').where('connector', '=', connector).where('name', '=', name).execute();
  }
}
