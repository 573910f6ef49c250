import type { Clock } from '../../../../platform/clock.js';
import { CrmError } from '../../index.js';
import type { PersonField } from './pipedrive.schema.js';

export type PersonFieldCatalogData = {
  /** The hash key of the custom field holding our key. */
  keyFieldKey: string;
  byKey: Map<string, PersonField>;
  /** Lower-cased names of every field (custom fields are named by the admin who made them). */
  byName: Map<string, PersonField>;
  /** Custom fields only (their keys are 40-hex hashes). */
  custom: PersonField[];
  labelNameById: Map<number, string>;
  labelIdByName: Map<string, number>;
};

const CUSTOM_KEY = /^[0-9a-f]{40}$/;
const TTL_MS = 10 * 60_000;

/**
 * Pipedrive's person fields (`GET /api/v1/personFields`), loaded once and kept ten minutes: our
 * key's custom field is found by name (default `switchboard_id`) unless its hash key is
 * configured, mapped fields are resolved by name or key, and labels by name.
 */
export class PersonFieldCatalog {
  private data: PersonFieldCatalogData | null = null;
  private loadedAt = 0;
  private pending: Promise<PersonFieldCatalogData> | null = null;

  constructor(
    private readonly load: () => Promise<PersonField[]>,
    private readonly keyField: { key?: string; name: string },
    private readonly clock: Clock,
  ) {}

  get(): Promise<PersonFieldCatalogData> {
    if (this.data && this.clock.now() - this.loadedAt < TTL_MS) return Promise.resolve(this.data);
    this.pending ??= this.fetch().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  /** Forces a reload on the next `get` (a label or field we did not know showed up). */
  invalidate(): void {
    this.data = null;
  }

  private async fetch(): Promise<PersonFieldCatalogData> {
    const fields = await this.load();
    const byKey = new Map(fields.map((f) => [f.key, f] as const));
    const byName = new Map<string, PersonField>();
    for (const f of fields) if (!byName.has(f.name.toLowerCase())) byName.set(f.name.toLowerCase(), f);
    const keyField = this.keyField.key ? byKey.get(this.keyField.key) : fields.find((f) => CUSTOM_KEY.test(f.key) && f.name.toLowerCase() === this.keyField.name.toLowerCase());
    if (!keyField) {
      const which = this.keyField.key ? `with key ${this.keyField.key}` : `named "${this.keyField.name}"`;
      throw new CrmError('CRM_MISCONFIGURED', `Pipedrive has no person field ${which}: create a Text custom field for people named "${this.keyField.name}" (see the Pipedrive connector README).`);
    }
    const labels = fields.find((f) => f.key === 'label_ids') ?? fields.find((f) => f.key === 'label');
    const labelNameById = new Map<number, string>();
    const labelIdByName = new Map<string, number>();
    for (const option of labels?.options ?? []) {
      const id = Number(option.id);
      if (!Number.isInteger(id)) continue;
      labelNameById.set(id, option.label);
      if (!labelIdByName.has(option.label.toLowerCase())) labelIdByName.set(option.label.toLowerCase(), id);
    }
    this.data = { keyFieldKey: keyField.key, byKey, byName, custom: fields.filter((f) => CUSTOM_KEY.test(f.key)), labelNameById, labelIdByName };
    this.loadedAt = this.clock.now();
    return this.data;
  }
}
