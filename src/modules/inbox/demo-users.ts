import type { Db } from '../../db/database.js';
import type { Clock } from '../../platform/clock.js';
import type { IdGenerator } from '../../platform/ids.js';
import { createUser } from './create-user.js';
import { userRepository, type Role } from './user.repository.js';

export type DemoUser = { email: string; name: string; role: Role; password: string };

/** The demo's team: an admin and two agents (one speaks Spanish and Portuguese, for the routing rules). */
export function demoTeam(passwords: { admin: string; agent: string }): DemoUser[] {
  return [
    { email: 'admin@switchboard.local', name: 'Alex Admin', role: 'admin', password: passwords.admin },
    { email: 'ana@switchboard.local', name: 'Ana Agent', role: 'agent', password: passwords.agent },
    { email: 'ben@switchboard.local', name: 'Ben Agent', role: 'agent', password: passwords.agent },
  ];
}

/** Creates the users that do not exist yet; run at every demo start (idempotent). */
export async function ensureDemoUsers(db: Db, team: DemoUser[], deps: { clock: Clock; ids: IdGenerator }): Promise<void> {
  for (const member of team) {
    if (await userRepository.findByEmailForLogin(db, member.email)) continue;
    const created = await createUser(db, { ...member, languages: member.name.startsWith('Ana') ? ['es', 'pt'] : [] }, deps);
    if (!created.ok) throw new Error(`could not create the demo user ${member.email}: ${created.error.message}`);
  }
}
