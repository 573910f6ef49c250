import { Command } from 'commander';
import { ConfigError } from '../platform/config.js';
import { registerCrmCommand } from './crm.command.js';
import { registerDemoCommand } from './demo.command.js';
import { registerDlqCommand } from './dlq.command.js';
import { registerMigrateCommand } from './migrate.command.js';
import { registerNumbersCommand } from './numbers.command.js';
import { registerSimulateCommand } from './simulate.command.js';
import { registerServeCommands } from './serve.command.js';
import { registerUsersCommand } from './users.command.js';

const program = new Command()
  .name('switchboard')
  .description('Self-hosted hub between the WhatsApp Business Platform and your CRM')
  .showHelpAfterError();

registerServeCommands(program);
registerDemoCommand(program);
registerMigrateCommand(program);
registerDlqCommand(program);
registerNumbersCommand(program);
registerSimulateCommand(program);
registerUsersCommand(program);
registerCrmCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  // Configuration problems are the user's to fix: one line naming the variable, no stack trace.
  if (error instanceof ConfigError) console.error(error.message);
  else console.error(error);
  process.exitCode = 1;
});
