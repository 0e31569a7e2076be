import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeTestDb, makeSchool, signedIn, testApp, type TestApp, type TestSchool } from '../../testing/harness';
import { systemActor } from '../../platform/audit/audit';
import { agreementForAudience, publishVersion, recordSignature, startRenewal } from '../agreements/service';

let t: TestApp;
let school: TestSchool;
before(async () => {
  t = await testApp();
  school = await makeSchool(t.db);
});
after(async () => {
  await t.close();
  await closeTestDb();
});

/** The tiles' titles on a dashboard, in order. */
async function tiles(persona: keyof TestSchool['personas']) {
  const body = (await (await signedIn(t.app, school.personas[persona])).get('/dashboard')).body;
  return [...body.matchAll(/<h2 class="govuk-heading-m" id="tile-\d+">(?:<a class="govuk-link" href="([^"]+)">)?([^<]+)/g)].map((m) => `${m[2]}${m[1] ? ` ${m[1]}` : ''}`);
}

test('each role gets a dashboard with a place for each capability it may use, and nothing it may not', async () => {
  const teacher = await tiles('teacher');
  assert.deepEqual(teacher, [
    'Report a concern /incidents/new',
    'Your reports /incidents',
    'Your acceptable use agreement /agreements',
    'Technology access /technology-access',
    'Ask for a filtering change /monitoring/change-requests',
    'People /people',
  ]);

  const dsl = await tiles('dsl');
  for (const t of ['Incident log /incidents', 'Acceptable use agreements /agreements/compliance', 'Filtering and monitoring /monitoring', 'Reports for governors /incidents/figures', 'Audit trail /audit']) {
    assert.ok(dsl.includes(t), `the safeguarding lead has "${t}": ${dsl.join('; ')}`);
  }
  assert.ok(!dsl.includes('Your reports /incidents'), 'a lead sees the whole log once, not also "your reports"');
  assert.ok(!dsl.some((x) => x.startsWith('Settings')), 'the safeguarding lead does not manage settings');

  const governor = await tiles('governor');
  assert.ok(governor.includes('Reports for governors /incidents/figures'));
  assert.ok(!governor.some((x) => /Report a concern|People|Audit trail|Incident log/.test(x)), `a governor sees no staff or safeguarding places: ${governor.join('; ')}`);

  const it = await tiles('itProvider');
  assert.ok(it.includes('Filtering and monitoring /monitoring'));
  assert.ok(it.includes('Technology access /technology-access'));
  assert.ok(!it.some((x) => /Incident log|Audit trail/.test(x)));

  const head = await tiles('headteacher');
  assert.ok(head.includes('Settings /settings') && head.includes('Policy and reviews'), 'the head sees settings, and the review cycle to come');
});

test("a member of staff or governor whose own agreement is not current is told at the top to sign it; once signed, the tile says when", async () => {
  const s = await makeSchool(t.db);
  const agreement = (await agreementForAudience(t.db, s.id, 'staff_governors'))!;
  const notice = 'Sign your acceptable use agreement before you use school technology';
  const dashboard = async (persona: keyof TestSchool['personas']) => (await (await signedIn(t.app, s.personas[persona])).get('/dashboard')).body;

  // Never signed: the notice comes first, before the school's name, with a link to sign.
  for (const persona of ['teacher', 'governor'] as const) {
    const body = await dashboard(persona);
    assert.ok(body.includes(notice), `${persona}: the notice`);
    assert.ok(body.indexOf(notice) < body.indexOf('<h1'), `${persona}: at the top`);
    assert.match(body, /href="\/agreements\/sign"/);
    assert.match(body, /You have not signed it yet/);
  }

  const link = await (await signedIn(t.app, s.personas.teacher)).get('/agreements/sign');
  assert.equal(link.statusCode, 303);
  assert.equal(link.headers.location, `/agreements/sign/${agreement.id}`, 'the link opens their own agreement to sign');

  const teacher = s.personas.teacher.personId;
  await recordSignature(t.db, s.id, { agreementId: agreement.id, signerId: teacher, subjectId: teacher, signedName: 'Teacher', method: 'in_harbour' }, systemActor);
  const signedOn = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'long', year: 'numeric' }).format(new Date());
  let body = await dashboard('teacher');
  assert.ok(!body.includes(notice), 'signed: no notice');
  assert.match(body, new RegExp(`<a class="govuk-link" href="/agreements">Your acceptable use agreement</a></h2>\\s*<p class="govuk-body">[^<]*</p>\\s*<p class="govuk-body-s"[^>]*>You signed it on ${signedOn}\\.</p>`));
  assert.ok((await dashboard('governor')).includes(notice), "one person's signature is not another's");

  // A correction leaves the signature current; a version that changes the meaning asks for it again.
  await publishVersion(t.db, s.id, agreement.id, { title: agreement.title, body: `${agreement.body}\n\nA correction.`, changesMeaning: false }, systemActor, null);
  assert.ok(!(await dashboard('teacher')).includes(notice), 'a correction changes nothing');
  await publishVersion(t.db, s.id, agreement.id, { title: agreement.title, body: `${agreement.body}\n\nA new rule.`, changesMeaning: true }, systemActor, null);
  body = await dashboard('teacher');
  assert.ok(body.includes(notice), 'a new version that changes the meaning: the notice again');
  assert.match(body, /changed or been renewed since you last signed it/);
  assert.ok(!body.includes('You signed it on'), 'the tile no longer says it is signed');

  // Signing the new version puts it right; the yearly renewal asks again.
  await recordSignature(t.db, s.id, { agreementId: agreement.id, signerId: teacher, subjectId: teacher, signedName: 'Teacher', method: 'in_harbour' }, systemActor);
  assert.ok(!(await dashboard('teacher')).includes(notice));
  await startRenewal(t.db, s.id, agreement.id, systemActor, null);
  assert.ok((await dashboard('teacher')).includes(notice), 'a renewal: the notice again');
});
