import { Option, type Command } from 'commander';
import type { openDatabase } from '../platform/db/database';
import { isRole, roleNames, type Role } from '../platform/permissions/roles';
import { harbourProgram } from './program';

// Everything a command needs beyond commander is imported when that command runs, and a module's
// commands are added only when they may be the one asked for (commandModules): `harbour monitor
// scan` never loads the database, the web server or the mailer.

/**
 * The modules that add commands of their own, by the first word of those commands. A first word
 * not listed here (none, "help", a mistake, or a command a module has added since) loads them all,
 * so the help, the "did you mean" suggestions and every command are always whole.
 */
const commandModules = {
  people: async () => (await import('../modules/people/cli')).registerPeopleCommands,
  monitor: async () => (await import('../modules/monitoring/cli')).registerMonitorCommands,
  archive: async () => (await import('../modules/archive/cli')).registerArchiveCommands,
  agreements: async () => (await import('../modules/agreements/cli')).registerAgreementCommands,
} satisfies Record<string, () => Promise<(program: Command) => void>>;
const moduleOf: Record<string, keyof typeof commandModules> = { people: 'people', monitor: 'monitor', export: 'archive', import: 'archive', agreements: 'agreements' };
/** The commands this file adds itself. */
const ownCommands = new Set(['serve', 'migrate', 'setup', 'demo', 'user', 'audit']);

/** Opens the database for one command and closes it after, whatever happens. */
export async function withDatabase<T>(fn: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<T>): Promise<T> {
  const { loadConfig } = await import('../config');
  const { createLogger } = await import('../platform/logger');
  const { openDatabase } = await import('../platform/db/database');
  const config = loadConfig();
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const opened = await openDatabase(config, log, { mode: 'tool' });
  // Stopped by a signal: close the database (an embedded server this command started stops
  // with it) and end. A command that handles the signal itself (ingest --follow stops reading
  // and prints its summary) has its own listener, and then this one is not added.
  const signals = (['SIGINT', 'SIGTERM'] as const).filter((s) => process.listenerCount(s) === 0);
  const onSignal = (signal: NodeJS.Signals) => {
    void opened.close().finally(() => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
  };
  for (const s of signals) process.once(s, onSignal);
  try {
    return await fn(opened.db);
  } finally {
    for (const s of signals) process.off(s, onSignal);
    await opened.close();
  }
}

/** Prints a message and sets a failing exit code; no stack trace for a user's mistake. */
export function fail(message: string, code = 1): never {
  console.error(message);
  process.exit(code);
}

function schoolOption() {
  return new Option('--school <id>', "the school's id (needed when the database holds more than one school)");
}

/** Finds the one school a command means: the id given, or the only school there is. */
export async function resolveSchool(db: { query: any }, id?: string): Promise<{ id: string; name: string }> {
  const schools = (await db.query('select id, name from schools order by name')).rows as { id: string; name: string }[];
  if (id) {
    const s = schools.find((x) => x.id === id);
    if (!s) fail(`There is no school with the id ${id}. Schools here:\n${schools.map((x) => `  ${x.id}  ${x.name}`).join('\n')}`);
    return s;
  }
  if (schools.length === 1) return schools[0];
  if (!schools.length) fail('There is no school yet. Run harbour setup first.');
  fail(`This database holds ${schools.length} schools; name one with --school <id>:\n${schools.map((x) => `  ${x.id}  ${x.name}`).join('\n')}`);
}

/**
 * The harbour command. Given the command line, only the module whose command it names is loaded
 * (see commandModules); without one, every command is added.
 */
export async function buildProgram(argv?: string[]): Promise<Command> {
  const program = harbourProgram();

  program.command('serve').description('start the web server (the same as npm start)').action(async () => {
    await import('../main');
    await new Promise(() => {}); // main keeps the process alive until a signal
  });

  program.command('migrate').description('apply database migrations, then exit').action(async () => {
    await withDatabase(async () => console.log('The database is up to date.'));
  });

  program.command('setup')
    .description('set up a real school and its first administrator (refused on a demo database)')
    .requiredOption('--school-name <name>', "the school's name")
    .option('--urn <urn>', "the school's unique reference number (6 digits)")
    .requiredOption('--admin-email <email>', "the administrator's email address")
    .requiredOption('--admin-given-name <name>', "the administrator's first name")
    .requiredOption('--admin-family-name <name>', "the administrator's last name")
    .option('--admin-password <password>', 'their password (else read from HARBOUR_ADMIN_PASSWORD)')
    .action(async (o) => {
      const password = o.adminPassword ?? process.env.HARBOUR_ADMIN_PASSWORD;
      if (!password) fail('Give the administrator a password with --admin-password or HARBOUR_ADMIN_PASSWORD.');
      if (o.urn && !/^\d{6}$/.test(o.urn)) fail('--urn: a URN is 6 digits');
      if (!/^[^@\s]+@[^@\s]+$/.test(o.adminEmail)) fail('--admin-email: enter an email address like name@school.org.uk');
      const previous = process.env.HARBOUR_NO_DEMO;
      process.env.HARBOUR_NO_DEMO = '1';
      const { setupRealSchool } = await import('../modules/schools/service');
      try {
        await withDatabase(async (db) => {
          const r = await setupRealSchool(db, { schoolName: o.schoolName, urn: o.urn, adminEmail: o.adminEmail, adminGivenName: o.adminGivenName, adminFamilyName: o.adminFamilyName, adminPassword: password });
          console.log(`Set up ${o.schoolName} (school id ${r.schoolId}). Sign in as ${o.adminEmail}; you will be asked to set up two-factor sign-in.`);
        });
      } catch (e) {
        fail((e as Error).message);
      } finally {
        process.env.HARBOUR_NO_DEMO = previous;
      }
    });

  program.command('demo')
    .description('reset the demo data (only on a database that holds demo data or nothing)')
    .option('--accounts', 'list the demo accounts without changing anything')
    .action(async (o) => {
      const { installationMode } = await import('../modules/schools/service');
      const { demoPassword, seedDemo, demoSignInText } = await import('../modules/schools/demo');
      const { loadConfig } = await import('../config');
      await withDatabase(async (db) => {
        const mode = await installationMode(db);
        if (mode === 'real') fail('This database holds a real school: demo data is never added to it.');
        if (o.accounts) {
          const rows = (await db.query(`select u.email, s.name from users u join memberships m on m.user_id = u.id join schools s on s.id = m.school_id order by s.name, u.email`)).rows;
          console.log(`Demo accounts (password ${demoPassword}):`);
          for (const r of rows) console.log(`  ${r.email.padEnd(52)} ${r.name}`);
          return;
        }
        const seeded = await seedDemo(db, { replace: true });
        console.log(demoSignInText(loadConfig().baseUrl, seeded));
      });
    });

  const user = program.command('user').description('manage accounts');
  user.command('add')
    .description('add a member of staff with an account and roles')
    .addOption(schoolOption())
    .requiredOption('--email <email>', 'their email address')
    .requiredOption('--given-name <name>', 'first name')
    .requiredOption('--family-name <name>', 'last name')
    .requiredOption('--roles <roles>', `comma-separated roles: ${roleNames.join(', ')}`)
    .option('--password <password>', 'a password (else HARBOUR_USER_PASSWORD; without either, an invitation is needed)')
    .action(async (o) => {
      const roles = String(o.roles).split(',').map((r: string) => r.trim()).filter(Boolean);
      const bad = roles.filter((r) => !isRole(r));
      if (bad.length) fail(`--roles: not a role: ${bad.join(', ')}. Roles are: ${roleNames.join(', ')}`);
      if (!/^[^@\s]+@[^@\s]+$/.test(o.email)) fail('--email: enter an email address like name@school.org.uk');
      const password = o.password ?? process.env.HARBOUR_USER_PASSWORD;
      const { addPerson, createAccount } = await import('../modules/schools/service');
      await withDatabase(async (db) => {
        const school = await resolveSchool(db, o.school);
        try {
          await db.transaction(async (tx) => {
            const personId = await addPerson(tx, school.id, { kind: 'staff', given_name: o.givenName, family_name: o.familyName, email: o.email }, roles as Role[]);
            await createAccount(tx, school.id, personId, { email: o.email, displayName: `${o.givenName} ${o.familyName}`, password });
          });
        } catch (e) {
          fail(`Could not add ${o.email}: ${(e as Error).message}`);
        }
        console.log(`Added ${o.givenName} ${o.familyName} to ${school.name} with the roles ${roles.join(', ')}.`);
      });
    });

  const auditCmd = program.command('audit').description('the audit trail');
  auditCmd.command('verify')
    .description('check every entry still fits the hash chain; names the first that does not')
    .addOption(new Option('--school <id>', "check only this school's chain (default: every chain)"))
    .action(async (o) => {
      const { chainFor, verifyAuditTrail } = await import('../platform/audit/audit');
      const result = await withDatabase(async (db) => {
        const chain = o.school ? chainFor((await resolveSchool(db, o.school)).id) : undefined;
        return verifyAuditTrail(db, { chain });
      });
      if (result.broken) {
        const b = result.broken;
        fail(`The audit trail is broken at entry ${b.id} (chain ${b.chain}, number ${b.seq}): ${b.reason}.`, 2);
      }
      console.log(`The audit trail is whole: ${result.checked} entries in ${result.chains} chains checked.`);
    });

  const first = argv?.slice(2).find((a) => !a.startsWith('-'));
  const all = Object.keys(commandModules) as (keyof typeof commandModules)[];
  const wanted = first === undefined ? all : ownCommands.has(first) ? [] : Object.hasOwn(moduleOf, first) ? [moduleOf[first]] : all;
  for (const register of await Promise.all(wanted.map((m) => commandModules[m]()))) register(program);
  // The lists above out of date (a command moved or renamed): every command, as without a command line.
  if (first !== undefined && wanted !== all && !program.commands.some((c) => c.name() === first || c.aliases().includes(first))) return buildProgram();
  return program;
}

export async function run(argv: string[]) {
  await (await buildProgram(argv)).parseAsync(argv);
}
