import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeTestDb, makeSchool, signedIn, testApp, type TestApp, type TestSchool } from '../../testing/harness';

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
