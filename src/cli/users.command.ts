import type { Command } from 'commander';
import { openStorage } from '../main.js';
import { createUser, userRepository } from '../modules/inbox/index.js';
import { loadStorageConfig } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';

type AddOptions = { email: string; password: string; role: string; name?: string; skills?: string; languages?: string; regions?: string };

/** A mistake in the command line: one line saying what, no stack trace. */
function refuse(reason: string): void {
  console.error(`Invalid user: ${reason}`);
  process.exitCode = 1;
}

const list = (value: string | undefined) => (value ?? '').split(',').map((v) => v.trim()).filter(Boolean);

export function registerUsersCommand(program: Command): void {
  const users = program.command('users').description('Accounts of the shared inbox (admins and agents)');

  users
    .command('add')
    .description('Add a user; the first admin is created this way')
    .requiredOption('--email <email>', 'the login email')
    .requiredOption('--password <password>', 'at least 8 characters')
    .requiredOption('--role <role>', 'admin or agent')
    .option('--name <name>', 'the name the team sees (default: the part of the email before @)')
    .option('--skills <list>', 'comma-separated skills for the assignment rules (billing,tech)')
    .option('--languages <list>', 'comma-separated language codes (es,pt)')
    .option('--regions <list>', 'comma-separated countries (BR,MX)')
    .action(async (options: AddOptions) => {
      if (options.role !== 'admin' && options.role !== 'agent') return refuse('--role must be admin or agent');
      const storage = await openStorage(loadStorageConfig(), createLogger('warn'));
      try {
        const created = await createUser(
          storage.database.db,
          {
            email: options.email,
            password: options.password,
            role: options.role,
            name: options.name ?? options.email.split('@')[0] ?? options.email,
            skills: list(options.skills),
            languages: list(options.languages),
            regions: list(options.regions),
          },
          storage,
        );
        if (!created.ok) return refuse(created.error.message);
        console.log(`Added ${created.value.role} ${created.value.email} (${created.value.name}), id ${created.value.id}.`);
      } finally {
        await storage.database.close();
      }
    });

  users
    .command('list')
    .description('List the users (never their passwords)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const storage = await openStorage(loadStorageConfig(), createLogger('warn'));
      try {
        const all = await userRepository.list(storage.database.db);
        const rows = all.map((u) => ({ id: u.id, email: u.email, name: u.name, role: u.role, active: u.active, skills: u.skills, languages: u.languages, regions: u.regions }));
        if (options.json) console.log(JSON.stringify(rows, null, 2));
        else if (rows.length === 0) console.log('No users. Add the first admin: switchboard users add --email E --password P --role admin');
        else for (const u of rows) console.log(`${u.email}  ${u.role}  ${u.name}${u.active ? '' : '  (deactivated)'}  ${u.id}`);
      } finally {
        await storage.database.close();
      }
    });
}
