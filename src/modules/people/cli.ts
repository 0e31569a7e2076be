import type { Command } from 'commander';
/** `harbour people import`: added by the people module. */
export function registerPeopleCommands(_program: Command) {}
