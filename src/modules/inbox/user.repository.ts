import type { DbExecutor } from '../../db/database.js';
import type { UserTable } from '../../db/inbox-tables.js';

export type Role = UserTable['role'];

export type User = {
  id: string;
  email: string;
  name: string;
  role: Role;
  skills: string[];
  languages: string[];
  regions: string[];
  maxOpen: number | null;
  active: boolean;
  lastSeenAt: number | null;
  lastAssignedAt: number | null;
  createdAt: number;
  updatedAt: number;
};

/** Online: an SSE stream or a presence ping within this long. */
export const ONLINE_WINDOW_MS = 60_000;

const list = (json: string) => JSON.parse(json) as string[];

export function toUser(row: UserTable): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    skills: list(row.skills),
    languages: list(row.languages),
    regions: list(row.regions),
    maxOpen: row.max_open === null ? null : Number(row.max_open),
    active: Number(row.active) === 1,
    lastSeenAt: row.last_seen_at === null ? null : Number(row.last_seen_at),
    lastAssignedAt: row.last_assigned_at === null ? null : Number(row.last_assigned_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export const isOnline = (user: Pick<User, 'lastSeenAt'>, now: number) => user.lastSeenAt !== null && now - user.lastSeenAt < ONLINE_WINDOW_MS;

export type NewUser = Pick<User, 'email' | 'name' | 'role' | 'skills' | 'languages' | 'regions' | 'maxOpen'> & { passwordHash: string };
export type UserPatch = Partial<Pick<User, 'name' | 'role' | 'skills' | 'languages' | 'regions' | 'maxOpen' | 'active'>> & { passwordHash?: string };

export const normaliseEmail = (email: string) => email.trim().toLowerCase();

export const userRepository = {
  async findById(exec: DbExecutor, id: string): Promise<User | undefined> {
    const row = await exec.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toUser(row);
  },

  /** With the password hash, for logging in. */
  async findByEmailForLogin(exec: DbExecutor, email: string): Promise<{ user: User; passwordHash: string } | undefined> {
    const row = await exec.selectFrom('users').selectAll().where('email', '=', normaliseEmail(email)).executeTakeFirst();
    return row && { user: toUser(row), passwordHash: row.password_hash };
  },

  async list(exec: DbExecutor): Promise<User[]> {
    const rows = await exec.selectFrom('users').selectAll().orderBy('name').orderBy('id').execute();
    return rows.map(toUser);
  },

  async insert(exec: DbExecutor, id: string, user: NewUser, now: number): Promise<User> {
    const row: UserTable = {
      id,
      email: normaliseEmail(user.email),
      name: user.name,
      role: user.role,
      password_hash: user.passwordHash,
      skills: JSON.stringify(user.skills),
      languages: JSON.stringify(user.languages),
      regions: JSON.stringify(user.regions),
      max_open: user.maxOpen,
      active: 1,
      last_seen_at: null,
      last_assigned_at: null,
      created_at: now,
      updated_at: now,
    };
    await exec.insertInto('users').values(row).execute();
    return toUser(row);
  },

  async update(exec: DbExecutor, id: string, patch: UserPatch, now: number): Promise<void> {
    const columns: Partial<UserTable> = { updated_at: now };
    if (patch.name !== undefined) columns.name = patch.name;
    if (patch.role !== undefined) columns.role = patch.role;
    if (patch.skills !== undefined) columns.skills = JSON.stringify(patch.skills);
    if (patch.languages !== undefined) columns.languages = JSON.stringify(patch.languages);
    if (patch.regions !== undefined) columns.regions = JSON.stringify(patch.regions);
    if (patch.maxOpen !== undefined) columns.max_open = patch.maxOpen;
    if (patch.active !== undefined) columns.active = patch.active ? 1 : 0;
    if (patch.passwordHash !== undefined) columns.password_hash = patch.passwordHash;
    await exec.updateTable('users').set(columns).where('id', '=', id).execute();
  },

  async touchSeen(exec: DbExecutor, ids: readonly string[], now: number): Promise<void> {
    if (ids.length === 0) return;
    await exec.updateTable('users').set({ last_seen_at: now }).where('id', 'in', [...ids]).execute();
  },

  async markAssigned(exec: DbExecutor, id: string, now: number): Promise<void> {
    await exec.updateTable('users').set({ last_assigned_at: now }).where('id', '=', id).execute();
  },

  async namesOf(exec: DbExecutor, ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await exec.selectFrom('users').select(['id', 'name']).where('id', 'in', [...new Set(ids)]).execute();
    return new Map(rows.map((r) => [r.id, r.name]));
  },
};
