// The harbour command itself, before any command is added: its name, description and help. Both
// the whole command line (index.ts) and the quick way into `harbour monitor scan`
// (monitoring/scan-command.ts, run from a bundle by bin/harbour.mjs) start from it, so the two
// print the same usage and the same errors.
import { Command } from 'commander';

export function harbourProgram(): Command {
  return new Command('harbour')
    .description("Harbour runs a school's online safety policy as software.")
    .showHelpAfterError()
    .addHelpText('after', '\nSettings come from the environment: PORT, DATA_DIR, DATABASE_URL, SMTP_URL, MAIL_FROM, BASE_URL (see README.md).');
}
