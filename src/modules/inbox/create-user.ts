import { z } from 'zod';
import type { DbExecutor } from '../../db/database.js';
import type { Clock } from '../../platform/clock.js';
import { AppError, err, ok, type Result } from '../../platform/errors.js';
import type { IdGenerator } from '../../platform/ids.js';
import { hashPassword } from './password-hasher.js';
import { normaliseEmail, userRepository, type User } from './user.repository.js';

const Password = z.string().min(8, 'at least 8 characters').max(1024);
const Name = z.string().trim().min(1).max(200);
const Role = z.enum(['admin', 'agent']);
const Skills = z.array(z.string().trim().min(1).max(64)).max(50);
/** Language codes (`es`, `pt`): the part before `_` of the contacts' locales. */
const Languages = z.array(z.string().regex(/^[a-zA-Z]{2,3}$/, 'a language code such as es or pt')).max(50);
/** ISO 3166-1 alpha-2 countries of the contacts' phones. */
const Regions = z.array(z.string().regex(/^[A-Za-z]{2}$/, 'a country code such as BR')).max(250);
const MaxOpen = z.number().int().min(1).max(10_000).nullable();

export const NewUserInput = z.object({
  email: z.email().max(320),
  password: Password,
  name: Name,
  role: Role,
  skills: Skills.default([]),
  languages: Languages.default([]),
  regions: Regions.default([]),
  maxOpen: MaxOpen.default(null),
});

/** A change to a user: only what is given changes. */
export const UserPatchInput = z.object({
  password: Password.optional(),
  name: Name.optional(),
  role: Role.optional(),
  skills: Skills.optional(),
  languages: Languages.optional(),
  regions: Regions.optional(),
  maxOpen: MaxOpen.optional(),
  active: z.boolean().optional(),
});
export type NewUserInput = z.input<typeof NewUserInput>;

/** Adds a user (API and CLI); the email is unique, case-insensitively. */
export async function createUser(exec: DbExecutor, input: NewUserInput, deps: { clock: Clock; ids: IdGenerator }): Promise<Result<User>> {
  const parsed = NewUserInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return err(new AppError('VALIDATION_FAILED', `${issue.path.join('.')}: ${issue.message}`));
  }
  const user = parsed.data;
  if (await userRepository.findByEmailForLogin(exec, user.email)) {
    return err(new AppError('USER_EMAIL_TAKEN', `A user with the email ${normaliseEmail(user.email)} exists.`));
  }
  const passwordHash = await hashPassword(user.password);
  try {
    return ok(
      await userRepository.insert(
        exec,
        deps.ids.next(),
        { ...user, regions: user.regions.map((r) => r.toUpperCase()), languages: user.languages.map((l) => l.toLowerCase()), passwordHash },
        deps.clock.now(),
      ),
    );
  } catch (error) {
    // Two requests for one new email: the unique index lets one win.
    if (await userRepository.findByEmailForLogin(exec, user.email)) return err(new AppError('USER_EMAIL_TAKEN', `A user with the email ${normaliseEmail(user.email)} exists.`));
    throw error;
  }
}
