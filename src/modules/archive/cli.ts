import type { Command } from 'commander';
import { resolve } from 'node:path';

const passwordWarning = `
Warning: the archive holds every record of the school, including its accounts' password
hashes and two-factor secrets and its API keys' hashes, so that staff can sign in after a
move. Keep it as safely as the database itself (an encrypted drive, never email), and delete
it once the school is restored.`;

/** `harbour export` and `harbour import`: one school's whole data as a single archive file. */
export function registerArchiveCommands(program: Command) {
  program.command('export')
    .description("write one school's whole data to a single archive file (a .tar.gz) to back it up or move it")
    .option('--school <id>', "the school's id (needed when the database holds more than one school)")
    .requiredOption('--out <file>', 'the archive file to write (it must not exist yet), such as school-2026-09-01.tar.gz')
    .addHelpText('after', `
The archive holds manifest.json (versions, the school, row counts and a SHA-256 of each
file) and one JSON-lines file per table: the school, its organisation, people,
guardianships, roles, accounts, memberships, API keys, imports, every capability's
records (agreements, incidents, monitoring) and the audit trail, with incident evidence
files decrypted under evidence/ (the target seals them again with its own key).
Sign-in sessions and one-use email links are not included.
${passwordWarning}

Example:
  harbour export --out school-$(date +%F).tar.gz`)
    .action(async (o: { school?: string; out: string }) => {
      // Imported here, not at the top: src/cli/index.ts imports this file.
      const { withDatabase, resolveSchool, fail } = await import('../../cli/index');
      const { exportSchool, ArchiveError } = await import('./service');
      const { loadConfig } = await import('../../config');
      const out = resolve(o.out);
      await withDatabase(async (db) => {
        const school = await resolveSchool(db, o.school);
        try {
          const r = await exportSchool(db, school.id, { out, dataDir: loadConfig().dataDir, actor: { userId: null, label: 'harbour export (command line)' } });
          const rows = Object.entries(r.manifest.tables).map(([t, e]) => `  ${t.padEnd(18)} ${e.rows}`).join('\n');
          console.log(`Exported ${school.name} (school id ${school.id}) to ${out}\n${rows}\nSHA-256 of the archive: ${r.sha256}\nIt holds password hashes: keep it safe.`);
        } catch (e) {
          if (e instanceof ArchiveError) fail(e.message);
          throw e;
        }
      });
    });

  program.command('import')
    .description('restore a school from an archive made by harbour export, into a database that does not hold it')
    .argument('<file>', 'the archive file (.tar.gz)')
    .addHelpText('after', `
The archive's checksums are checked first; then everything is restored in one transaction
(all or nothing) with the same ids, and the audit trail still verifies. Refused when this
database already holds the school, already has an account with one of the archive's email
addresses, or holds demo data and the archive is a real school's (or the other way round).
${passwordWarning}

Example:
  harbour import school-2026-09-01.tar.gz`)
    .action(async (file: string) => {
      const { withDatabase, fail } = await import('../../cli/index');
      const { importSchool, ArchiveError } = await import('./service');
      const { loadConfig } = await import('../../config');
      await withDatabase(async (db) => {
        try {
          const r = await importSchool(db, resolve(file), { dataDir: loadConfig().dataDir, actor: { userId: null, label: 'harbour import (command line)' } });
          const rows = Object.entries(r.rows).map(([t, n]) => `  ${t.padEnd(18)} ${n}`).join('\n');
          const notes = [
            r.organisationExisted ? 'Its organisation was already here and was kept as it is.' : '',
            r.clearedAccountReferences ? `${r.clearedAccountReferences} references to accounts outside the archive were cleared.` : '',
          ].filter(Boolean).join('\n');
          console.log(`Imported ${r.school.name} (school id ${r.school.id}).\n${rows}${notes ? `\n${notes}` : ''}\nCheck the audit trail with: harbour audit verify`);
        } catch (e) {
          if (e instanceof ArchiveError) fail(e.message);
          throw e;
        }
      });
    });
}
