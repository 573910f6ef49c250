import type { Clock } from '../../../platform/clock.js';
import type { CrmActivityInput, CrmChange, CrmConnector, CrmPage, CrmPerson, CrmPersonInput, CrmTaskInput } from '../crm-connector.js';
import { crmErrorFromStatus } from '../crm-error.js';

/**
 * Wraps a connector that has no network of its own (the built-in CRM, an in-test fake) with the
 * faults a vendor's API shows: failing answers (`failNext`, an outage with `failFor`) and a search
 * index that lags behind writes. Lookups by key and id are not searches and never lag.
 */
export class FaultInjectingConnector implements CrmConnector {
  readonly kind: CrmConnector['kind'];
  private failures: number[] = [];
  private outageUntil = 0;
  private outageStatus = 503;
  private lagMs = 0;
  /** Every call, in order, for counting. */
  readonly calls: string[] = [];

  constructor(
    private readonly inner: CrmConnector,
    private readonly clock: Clock,
    /** Lets a built-in CRM on another database stand in for an external CRM in sync tests. */
    kind?: CrmConnector['kind'],
  ) {
    this.kind = kind ?? inner.kind;
  }

  failNext(status: number, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push(status);
  }

  /** Every call fails with `status` until the clock reaches `untilMs`. */
  failUntil(untilMs: number, status = 503): void {
    this.outageUntil = untilMs;
    this.outageStatus = status;
  }

  setSearchLagMs(ms: number): void {
    this.lagMs = ms;
  }

  private gate(call: string): void {
    this.calls.push(call);
    const status = this.clock.now() < this.outageUntil ? this.outageStatus : this.failures.shift();
    if (status !== undefined) throw crmErrorFromStatus(status, '{"message":"injected"}', status === 429 ? 1_000 : undefined);
  }

  private searchable(people: CrmPerson[]): CrmPerson[] {
    if (this.lagMs <= 0) return people;
    const visibleBefore = this.clock.now() - this.lagMs;
    return people.filter((p) => (p.updatedAt ?? 0) <= visibleBefore);
  }

  async findByKey(switchboardKey: string): Promise<CrmPerson | null> {
    this.gate('findByKey');
    return this.inner.findByKey(switchboardKey);
  }
  async findByPhone(variants: string[]): Promise<CrmPerson[]> {
    this.gate('findByPhone');
    return this.searchable(await this.inner.findByPhone(variants));
  }
  async findByEmail(email: string): Promise<CrmPerson[]> {
    this.gate('findByEmail');
    return this.searchable(await this.inner.findByEmail(email));
  }
  async getPerson(crmId: string): Promise<CrmPerson | null> {
    this.gate('getPerson');
    return this.inner.getPerson(crmId);
  }
  async upsertPerson(input: CrmPersonInput): Promise<CrmPerson> {
    this.gate('upsertPerson');
    return this.inner.upsertPerson(input);
  }
  async updatePerson(crmId: string, input: CrmPersonInput): Promise<CrmPerson> {
    this.gate('updatePerson');
    return this.inner.updatePerson(crmId, input);
  }
  async logActivity(input: CrmActivityInput): Promise<{ activityId: string }> {
    this.gate('logActivity');
    return this.inner.logActivity(input);
  }
  async createTask(input: CrmTaskInput): Promise<{ taskId: string }> {
    this.gate('createTask');
    return this.inner.createTask(input);
  }
  async listPeople(cursor: string | null): Promise<CrmPage<CrmPerson>> {
    this.gate('listPeople');
    return this.inner.listPeople(cursor);
  }
  async pollChanges(cursor: string | null): Promise<CrmPage<CrmChange> & { next: string }> {
    this.gate('pollChanges');
    return this.inner.pollChanges(cursor);
  }
}
