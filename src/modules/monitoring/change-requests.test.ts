// A filtering change request from asking to expiry, every step audited.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeTestDb, makeSchool, makeStaff, signedIn, testApp } from '../../testing/harness';
import { expireChangeRequests } from './change-requests';

const t = await testApp();
after(async () => {
  await t.close();
  await closeTestDb();
});

test('a change request goes from asking to approval, the IT provider carrying it out, and expiry, each step audited; a decline needs a reason', async () => {
  const school = await makeSchool(t.db);
  const teacher = await signedIn(t.app, school.personas.teacher);
  const missing = await teacher.post('/monitoring/change-requests', { kind: 'unblock', target: 'learning.example.net', for_whom: 'Year 6', reason: '', ends_on: '' }, { from: '/monitoring/change-requests' });
  assert.equal(missing.statusCode, 400);
  assert.match(missing.body, /href="#reason"/);
  // An unblock must end: without an end date it is refused, naming the field.
  const endless = await teacher.post('/monitoring/change-requests', { kind: 'unblock', target: 'learning.example.net', for_whom: 'Year 6', reason: 'A history project on the Blitz', ends_on: '' }, { from: '/monitoring/change-requests' });
  assert.equal(endless.statusCode, 400);
  assert.match(endless.body, /<a href="#ends_on">Enter the date the unblocking ends \(Until\): an unblock must have an end date<\/a>/);
  assert.match(endless.body, /id="ends_on-error"/);
  assert.equal((await t.db.query('select count(*)::int as n from filtering_change_requests where school_id = $1', [school.id])).rows[0].n, 0);
  const asked = await teacher.post('/monitoring/change-requests', { kind: 'unblock', target: 'learning.example.net', for_whom: 'Year 6', reason: 'A history project on the Blitz', ends_on: '2099-07-20' }, { from: '/monitoring/change-requests' });
  assert.equal(asked.statusCode, 303);
  await teacher.post('/monitoring/change-requests', { kind: 'block', target: 'Games', for_whom: 'Year 5', reason: 'Played in lessons', ends_on: '' }, { from: '/monitoring/change-requests' });
  const [req1, req2] = (await t.db.query(`select id, status from filtering_change_requests where school_id = $1 order by target desc`, [school.id])).rows;
  // Another teacher does not see them; the teacher cannot approve.
  const other = await signedIn(t.app, await makeStaff(t.db, school.id, ['teacher'], 'otherteacher'));
  assert.ok(!(await other.get('/monitoring/change-requests')).body.includes('learning.example.net'));
  assert.equal((await teacher.post(`/monitoring/change-requests/${req1.id}/approve`, {}, { from: '/monitoring/change-requests' })).statusCode, 403);

  const dsl = await signedIn(t.app, school.personas.dsl);
  const noNote = await dsl.post(`/monitoring/change-requests/${req2.id}/decline`, { note: '' }, { from: '/monitoring/change-requests' });
  assert.equal(noNote.statusCode, 400);
  assert.match(noNote.body, new RegExp(`href="#note-${req2.id}"`));
  assert.equal((await dsl.post(`/monitoring/change-requests/${req2.id}/decline`, { note: 'Talk to the class instead' }, { from: '/monitoring/change-requests' })).statusCode, 303);
  assert.equal((await dsl.post(`/monitoring/change-requests/${req1.id}/approve`, {}, { from: '/monitoring/change-requests' })).statusCode, 303);
  // The IT provider may not approve, but marks the approved one done.
  const it = await signedIn(t.app, school.personas.itProvider);
  assert.equal((await it.post(`/monitoring/change-requests/${req2.id}/approve`, {}, { from: '/monitoring/change-requests' })).statusCode, 403);
  assert.equal((await it.post(`/monitoring/change-requests/${req1.id}/done`, {}, { from: '/monitoring/change-requests' })).statusCode, 303);
  assert.equal(await expireChangeRequests(t.db, school.id, new Date('2099-07-20T12:00:00Z')), 0, 'not expired on its last day');
  assert.equal(await expireChangeRequests(t.db, school.id, new Date('2099-07-21T12:00:00Z')), 1);
  const rows = (await t.db.query(`select target, status, decision_note from filtering_change_requests where school_id = $1 order by target`, [school.id])).rows;
  assert.deepEqual(rows, [
    { target: 'Games', status: 'declined', decision_note: 'Talk to the class instead' },
    { target: 'learning.example.net', status: 'expired', decision_note: null },
  ]);
  const trail = (await t.db.query(`select action, actor_user_id from audit_events where school_id = $1 and record_id = $2 order by seq`, [school.id, req1.id])).rows;
  assert.deepEqual(trail, [
    { action: 'filtering_change.requested', actor_user_id: school.personas.teacher.userId },
    { action: 'filtering_change.approved', actor_user_id: school.personas.dsl.userId },
    { action: 'filtering_change.done', actor_user_id: school.personas.itProvider.userId },
    { action: 'filtering_change.expired', actor_user_id: null },
  ]);
});
