import type { Db } from '../../../../../db/database.js';
import type { FakeCrmControls } from '../../../testing/fake-crm-controls.js';
import type { FaultInjectingConnector } from '../../../testing/fault-injecting-connector.js';
import type { BuiltinCrmDeps } from '../builtin-deps.js';
import { builtinActivitiesRepository, builtinTasksRepository } from '../builtin-tasks.repository.js';
import { createBuiltinPerson } from '../create-builtin-person.js';
import { joinName } from '../person-name.js';
import { updateBuiltinPerson } from '../update-builtin-person.js';

/**
 * The contract suite's controls for the built-in CRM. There is no fake: "directly" means through
 * the built-in CRM's own use cases (what a user of the API does), and the failures and search lag
 * come from the FaultInjectingConnector the connector is wrapped in.
 */
export function builtinControls(db: Db, deps: BuiltinCrmDeps, faults: FaultInjectingConnector): FakeCrmControls {
  return {
    async createPersonDirectly(person) {
      if (!person.phone) {
        // A person without a number cannot be a contact: the built-in CRM is a WhatsApp address book.
        // Give such test people a unique fictional number instead.
        person = { ...person, phone: `+1415555${2000 + (unique++ % 7000)}` };
      }
      const created = await db.transaction().execute((trx) =>
        createBuiltinPerson(
          trx,
          { name: joinName(person.firstName, person.lastName), phone: person.phone!, email: person.email ?? null, tags: person.tags ?? [], fields: person.fields ?? {} },
          deps,
        ),
      );
      if (!created.ok) throw created.error;
      return created.value.person.contact.id;
    },
    async updatePersonDirectly(crmId, change) {
      const updated = await db.transaction().execute((trx) =>
        updateBuiltinPerson(trx, crmId, { ...(change.fields ? { fields: change.fields } : {}), ...(change.tags ? { tags: change.tags } : {}), ...(change.phone ? { phone: change.phone } : {}) }, deps),
      );
      if (!updated.ok) throw updated.error;
    },
    failNext: (status, times) => faults.failNext(status, times),
    setSearchLagMs: (ms) => faults.setSearchLagMs(ms),
    activitiesOf: async (crmId) => (await builtinActivitiesRepository.ofContact(db, crmId)).map((a) => ({ body: a.body })),
    tasksOf: async (crmId) => (await builtinTasksRepository.list(db, { contactId: crmId, limit: 1_000 })).map((t) => ({ subject: t.subject, ownerId: t.ownerId })),
    async personCount() {
      const row = await db.selectFrom('contacts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    requests: () => faults.calls.map((call) => ({ method: 'CALL', path: call })),
  };
}

let unique = 0;
