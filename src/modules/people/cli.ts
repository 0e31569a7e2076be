import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import type { Actor } from '../../platform/audit/audit';
import {
  applyMappingOverrides, commitImport, decodeUpload, ImportFileError, ImportHasProblemsError, importFields, maxImportBytes,
  parseCsv, planImport, suggestMapping, type ImportKind, type ImportProblem,
} from './import';

const commandLineActor: Actor = { userId: null, label: 'command line' };

function printProblems(problems: ImportProblem[]) {
  console.error(`The file has ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was imported:`);
  for (const p of problems) console.error(`  ${p.row ? `row ${p.row}` : 'file'}: ${p.field}: ${p.message}`);
}

/** `harbour people import`: the same checks and all-or-nothing save as the browser import. */
export function registerPeopleCommands(program: Command) {
  const people = program.command('people').description("the school's people");
  people.command('import')
    .description('import pupils, staff or contacts from a CSV file exported from your MIS (all rows, or none)')
    .addOption(new Option('--kind <kind>', 'what the file lists').choices(['pupils', 'staff', 'contacts']).makeOptionMandatory())
    .option('--full', 'the file is the full list: report people in Harbour who are not in it (nobody is deleted)')
    .option('--dry-run', 'check the file and say what would change, without saving anything')
    .option('--map <field=header>', 'use this CSV column for this Harbour field, like --map "UPN=Pupil UPN" (repeat for more)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--school <id>', "the school's id (needed when the database holds more than one school)")
    .argument('<file>', 'the CSV file')
    .action(async (file: string, o: { kind: ImportKind; full?: boolean; dryRun?: boolean; map: string[]; school?: string }) => {
      // Imported here, not at the top, so src/cli/index.ts and this module do not import each other at load.
      const { withDatabase, resolveSchool, fail } = await import('../../cli/index');
      let text = '';
      try {
        if (statSync(file).size > maxImportBytes) fail(`${file}: the file is larger than 5 MB.`);
        text = decodeUpload(readFileSync(file));
      } catch (e) {
        if (e instanceof ImportFileError) fail(`${file}: ${e.message}`);
        fail(`${file}: the file cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
      }
      let table;
      try {
        table = parseCsv(text);
      } catch (e) {
        if (e instanceof ImportFileError) fail(`${file}: ${e.message}`);
        throw e;
      }
      const suggested = suggestMapping(o.kind, table.headers);
      const { mapping, problems: mapProblems } = applyMappingOverrides(o.kind, table.headers, suggested, o.map ?? []);
      if (mapProblems.length) fail(mapProblems.join('\n'));

      await withDatabase(async (db) => {
        const school = await resolveSchool(db, o.school);
        const plan = await planImport(db, school.id, o.kind, table, mapping, !!o.full);
        const columns = importFields[o.kind].filter((fld) => mapping[fld.key]).map((fld) => `${fld.label}=${mapping[fld.key]}`).join(', ');
        console.log(`Columns: ${columns}`);
        if (plan.problems.length) {
          printProblems(plan.problems);
          process.exitCode = 1;
          return;
        }
        const c = plan.counts;
        if (o.dryRun) {
          console.log(`Dry run, nothing saved. ${c.rows} rows: ${c.created} new, ${c.updated} changed, ${c.unchanged} unchanged${o.full ? `, ${c.missing} in Harbour but not in the file` : ''}.`);
          return;
        }
        try {
          const result = await commitImport(db, { schoolId: school.id, kind: o.kind, fileName: basename(file), text, mapping, full: !!o.full, actor: commandLineActor });
          const r = result.counts;
          console.log(`Imported into ${school.name}: ${r.created} new, ${r.updated} changed, ${r.unchanged} unchanged.`);
          if (o.full && r.missing) {
            console.log(`${r.missing} ${o.kind === 'pupils' ? 'pupils' : o.kind === 'staff' ? 'members of staff' : 'contacts'} are in Harbour but not in the file. Nobody was changed; to mark them as left, open /people/import/runs/${result.importId} in Harbour.`);
          }
        } catch (e) {
          if (e instanceof ImportHasProblemsError) {
            printProblems(e.problems);
            process.exitCode = 1;
            return;
          }
          throw e;
        }
      });
      if (process.exitCode) process.exit(process.exitCode);
    });
}
