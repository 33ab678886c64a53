/** Every command, registered in the order `backup --help` lists them. */
import type { Command } from 'commander';
import { registerRun } from './run-command.js';
import { registerList } from './list-command.js';
import { registerLs } from './ls-command.js';
import { registerRestore } from './restore-command.js';
import { registerStatus } from './status-command.js';
import { registerCheck } from './check-command.js';
import { registerInventory } from './inventory-command.js';
import { registerVault } from './vault-command.js';
import { registerPrune } from './prune-command.js';
import { registerCost } from './cost-command.js';
import { registerSchedule } from './schedule-command.js';
import { registerEmail } from './email-command.js';
import { registerGlacierLocal } from './glacier-local-command.js';
import { registerKey } from './key-command.js';
import { registerMigrate } from './migrate-command.js';

/** Adds all commands to the program. */
export function registerCommands(program: Command): void {
  registerRun(program);
  registerList(program);
  registerLs(program);
  registerRestore(program);
  registerStatus(program);
  registerCheck(program);
  registerInventory(program);
  registerVault(program);
  registerPrune(program);
  registerCost(program);
  registerMigrate(program);
  registerSchedule(program);
  registerEmail(program);
  registerKey(program);
  registerGlacierLocal(program);
}
