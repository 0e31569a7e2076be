import type { Database, Tx } from '../../platform/db/database';
import { addPerson, createAccount, createOrganisation, createSchool, installationMode, linkGuardian } from './service';
import type { Role } from '../../platform/permissions/roles';

/** The password every demo account uses; printed at start. Demo data only, never a real school. */
export const demoPassword = 'harbour-demo-2026';

// Invented names: none is from the source policies or a real school.
const given = ['Amara', 'Ben', 'Chloe', 'Dev', 'Ella', 'Finn', 'Grace', 'Hari', 'Isla', 'Jonah', 'Kezia', 'Leo', 'Maya', 'Nico', 'Orla', 'Priya', 'Quinn', 'Rosa', 'Sami', 'Tia', 'Umar', 'Violet', 'Wren', 'Yusuf', 'Zara', 'Alfie', 'Bea', 'Cal', 'Daisy', 'Eli'];
const family = ['Ashdown', 'Brightwell', 'Carrow', 'Dunmore', 'Elmsworth', 'Fairlie', 'Gorran', 'Halloway', 'Inchley', 'Jessop', 'Kestle', 'Lowther', 'Marrick', 'Netherby', 'Oakhurst', 'Penhale', 'Quarles', 'Rydal', 'Stennack', 'Tolver', 'Upcott', 'Varley', 'Wendron', 'Yarrow'];
const years = ['R', '1', '2', '3', '4', '5', '6'];

/** A small deterministic generator, so the demo is the same every time. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}

interface DemoStaff {
  given: string;
  family: string;
  job: string;
  roles: Role[];
  kind?: 'staff' | 'governor' | 'technician';
}

const staffOf = (school: 'saltmarsh' | 'lighthouse'): DemoStaff[] => {
  const p = school === 'saltmarsh' ? 's' : 'l';
  const list: DemoStaff[] = [
    { given: 'Helen', family: p === 's' ? 'Marlowe' : 'Trevan', job: 'Headteacher', roles: ['headteacher', 'administrator'] },
    { given: 'Dan', family: p === 's' ? 'Okafor' : 'Pellow', job: 'Deputy headteacher', roles: ['designated_safeguarding_lead', 'teacher'] },
    { given: 'Sofia', family: p === 's' ? 'Reyes' : 'Quill', job: 'Year 4 teacher', roles: ['deputy_safeguarding_lead', 'teacher'] },
    { given: 'Tom', family: p === 's' ? 'Hartley' : 'Lanyon', job: 'Computing lead', roles: ['online_safety_lead', 'computing_lead', 'teacher'] },
    { given: 'Ruth', family: p === 's' ? 'Abbot' : 'Cardew', job: 'Class teacher', roles: ['teacher'] },
    { given: 'Owen', family: p === 's' ? 'Price' : 'Sennen', job: 'Teaching assistant', roles: ['support_staff'] },
    { given: 'Jo', family: p === 's' ? 'Fenwick' : 'Morvah', job: 'School business manager', roles: ['office_staff'] },
    { given: 'Sam', family: p === 's' ? 'Kettle' : 'Bray', job: 'IT technician (contracted)', roles: ['it_provider'], kind: 'technician' },
    { given: 'Margaret', family: p === 's' ? 'Doyle' : 'Treloar', job: 'Chair of governors', roles: ['chair_of_governors', 'governor'], kind: 'governor' },
    { given: 'Imran', family: p === 's' ? 'Shah' : 'Pascoe', job: 'Safeguarding and online safety governor', roles: ['online_safety_governor', 'governor'], kind: 'governor' },
  ];
  return list;
};

/** The sign-in email of a demo person. */
export function demoEmail(schoolKey: string, given: string, familyName: string) {
  return `${given}.${familyName}@${schoolKey}.demo.harbour.invalid`.toLowerCase();
}

async function seedSchool(tx: Tx, orgId: string, name: string, key: 'saltmarsh' | 'lighthouse', seed: number) {
  const schoolId = await createSchool(tx, { name, organisationId: orgId });
  const accounts: { email: string; roles: Role[]; job: string }[] = [];
  for (const s of staffOf(key)) {
    const email = demoEmail(key, s.given, s.family);
    const personId = await addPerson(tx, schoolId, { kind: s.kind ?? 'staff', given_name: s.given, family_name: s.family, email, job_title: s.job }, s.roles);
    await createAccount(tx, schoolId, personId, { email, displayName: `${s.given} ${s.family}`, password: demoPassword });
    accounts.push({ email, roles: s.roles, job: s.job });
  }
  const rand = rng(seed);
  const pick = <T>(a: T[]) => a[Math.floor(rand() * a.length)];
  let upn = seed * 1000;
  for (const year of years) {
    const className = year === 'R' ? `Reception ${key === 'saltmarsh' ? 'Shells' : 'Beacons'}` : `${year}${key === 'saltmarsh' ? 'S' : 'L'}`;
    for (let i = 0; i < 8; i++) {
      const fam = pick(family);
      const age = year === 'R' ? 4 : Number(year) + 4;
      const dob = `${2026 - age - 1}-${String(1 + Math.floor(rand() * 12)).padStart(2, '0')}-${String(1 + Math.floor(rand() * 28)).padStart(2, '0')}`;
      const childId = await addPerson(tx, schoolId, {
        kind: 'pupil', given_name: pick(given), family_name: fam, year_group: year, class_name: className,
        date_of_birth: dob, gender: rand() < 0.5 ? 'F' : 'M', upn: `D${String(++upn).padStart(12, '0')}`,
      });
      const parentId = await addPerson(tx, schoolId, { kind: 'parent', given_name: pick(given), family_name: fam, email: `parent${upn}@example.invalid` });
      await linkGuardian(tx, schoolId, parentId, childId, rand() < 0.5 ? 'mother' : 'father');
    }
  }
  await addPerson(tx, schoolId, { kind: 'visitor', given_name: 'Pat', family_name: 'Lindqvist', organisation_name: 'Coastal Drama Workshops' });
  await addPerson(tx, schoolId, { kind: 'contractor', given_name: 'Lee', family_name: 'Hosking', organisation_name: 'Tidewater Cabling Ltd' });
  return { schoolId, accounts };
}

/**
 * Creates the demo federation of two schools, once, on an empty database. Returns null
 * (and touches nothing) when the database already holds demo or real data.
 */
export async function seedDemo(db: Database, opts: { replace?: boolean } = {}) {
  return db.transaction(async (tx) => {
    await tx.query('lock table installation in exclusive mode');
    const mode = await installationMode(tx);
    if (mode === 'real') throw new Error('This database holds a real school: demo data is never added to it.');
    if (mode === 'demo' && !opts.replace) return null;
    if (mode === 'demo') await removeDemo(tx);
    else await tx.query(`insert into installation (mode) values ('demo')`);
    const orgId = await createOrganisation(tx, 'Estuary Schools Federation', 'federation');
    const a = await seedSchool(tx, orgId, 'Saltmarsh Primary School', 'saltmarsh', 11);
    const b = await seedSchool(tx, orgId, 'Lighthouse Lane Primary School', 'lighthouse', 23);
    return { schools: [{ name: 'Saltmarsh Primary School', ...a }, { name: 'Lighthouse Lane Primary School', ...b }] };
  });
}

/**
 * Empties a demo database so the demo can be made afresh. The audit trail is append-only, so
 * the demo's whole database is dropped table by table only in demo mode: never for a real school.
 */
async function removeDemo(tx: Tx) {
  await tx.query('alter table audit_events disable trigger audit_events_no_truncate');
  await tx.query(`truncate audit_events, sessions, user_tokens, api_keys, people_imports, memberships, users,
    role_assignments, guardianships, people, schools, organisations cascade`);
  await tx.query('alter table audit_events enable trigger audit_events_no_truncate');
}

/** What `npm start` prints so a person can sign in to the demo. */
export function demoSignInText(baseUrl: string, seeded: Awaited<ReturnType<typeof seedDemo>>) {
  if (!seeded) return '';
  const lines = [`Harbour demo: a federation of two fictional schools. Sign in at ${baseUrl}/sign-in with the password ${demoPassword} and one of:`];
  for (const s of seeded.schools) {
    lines.push(`  ${s.name}`);
    for (const a of s.accounts) lines.push(`    ${a.email.padEnd(52)} ${a.job}`);
  }
  lines.push('Headteachers, safeguarding leads and online safety leads set up two-factor sign-in (an authenticator app) the first time.');
  return lines.join('\n');
}
