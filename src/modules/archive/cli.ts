import type { Command } from 'commander';
/** `harbour export` and `harbour import`: added by the archive module. */
export function registerArchiveCommands(_program: Command) {}
