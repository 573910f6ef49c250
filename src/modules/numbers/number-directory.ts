import type { Db } from '../../db/database.js';
import type { Clock } from '../../platform/clock.js';
import { AppError, err, ok, type Result } from '../../platform/errors.js';
import type { SecretBox } from '../../platform/secret-box.js';
import type { BusinessNumber } from './business-number.js';

export type EnvironmentNumber = Omit<BusinessNumber, 'source' | 'tokenExpiredAt'>;

export type NewNumber = {
  phoneNumberId: string;
  wabaId: string;
  displayPhoneNumber: string | null;
  accessToken: string;
  throughputMps: number;
};

/**
 * Every number the hub knows: the one configured in the environment, and those stored in the
 * database with their tokens sealed. Reads are cached briefly because the sender asks per message.
 */
export class NumberDirectory {
  private cache: { at: number; numbers: BusinessNumber[] } | null = null;
  private environmentTokenExpiredAt: number | null = null;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly secrets: SecretBox | null,
    private readonly environmentNumber: EnvironmentNumber | null,
    /** Told after a number is saved (a new token): the sender stops waiting out its pause. */
    private readonly onSaved: (phoneNumberId: string) => Promise<void> = async () => undefined,
    private readonly cacheMs = 2_000,
  ) {}

  async list(): Promise<BusinessNumber[]> {
    const now = this.clock.now();
    if (this.cache && now - this.cache.at < this.cacheMs) return this.cache.numbers;
    const rows = await this.db.selectFrom('business_numbers').selectAll().orderBy('created_at').execute();
    const stored: BusinessNumber[] = rows.flatMap((row) => {
      // Without the key the token cannot be read: the number is listed nowhere rather than half-working.
      if (!this.secrets) return [];
      return [
        {
          phoneNumberId: row.phone_number_id,
          displayPhoneNumber: row.display_phone_number,
          wabaId: row.waba_id,
          accessToken: this.secrets.open(row.access_token_sealed),
          throughputMps: Number(row.throughput_mps),
          tokenExpiredAt: row.token_expired_at === null ? null : Number(row.token_expired_at),
          source: 'database' as const,
        },
      ];
    });
    const fromEnvironment: BusinessNumber[] =
      this.environmentNumber && !stored.some((n) => n.phoneNumberId === this.environmentNumber!.phoneNumberId)
        ? [{ ...this.environmentNumber, tokenExpiredAt: this.environmentTokenExpiredAt, source: 'environment' }]
        : [];
    const numbers = [...fromEnvironment, ...stored];
    this.cache = { at: now, numbers };
    return numbers;
  }

  async get(phoneNumberId: string): Promise<BusinessNumber | undefined> {
    return (await this.list()).find((n) => n.phoneNumberId === phoneNumberId);
  }

  /** The number used when nothing else decides: the environment's, else the first stored. */
  async defaultNumber(): Promise<BusinessNumber | undefined> {
    return (await this.list())[0];
  }

  /** Adds a number, or replaces its token and settings (which also clears an expired-token mark). */
  async save(number: NewNumber): Promise<Result<BusinessNumber>> {
    if (!this.secrets) {
      return err(new AppError('SECRET_KEY_MISSING', 'Set SWITCHBOARD_SECRET_KEY: access tokens are stored encrypted with it.'));
    }
    const now = this.clock.now();
    const row = {
      phone_number_id: number.phoneNumberId,
      display_phone_number: number.displayPhoneNumber,
      waba_id: number.wabaId,
      access_token_sealed: this.secrets.seal(number.accessToken),
      throughput_mps: number.throughputMps,
      token_expired_at: null,
      updated_at: now,
    };
    await this.db
      .insertInto('business_numbers')
      .values({ ...row, created_at: now })
      .onConflict((oc) => oc.column('phone_number_id').doUpdateSet(row))
      .execute();
    this.cache = null;
    await this.onSaved(number.phoneNumberId);
    return ok({ ...number, tokenExpiredAt: null, source: 'database' });
  }

  /** Meta answered 190: stop sending from this number until its token is replaced. */
  async markTokenExpired(phoneNumberId: string): Promise<void> {
    const now = this.clock.now();
    if (this.environmentNumber?.phoneNumberId === phoneNumberId) this.environmentTokenExpiredAt = now;
    await this.db.updateTable('business_numbers').set({ token_expired_at: now, updated_at: now }).where('phone_number_id', '=', phoneNumberId).execute();
    this.cache = null;
  }
}
