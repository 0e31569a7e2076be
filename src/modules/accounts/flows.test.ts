// Sign-in journeys end to end on the real app: lockout, rate limiting, password reset,
// invitations, two-factor enrolment, idle time-out, sign-out and removing access.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { generateSync } from 'otplib';
import {
  Client, closeTestDb, makeSchool, makeStaff, readOutbox, signedIn, testApp, testPassword, uniqueEmail,
  type TestApp, type TestSchool,
} from '../../testing/harness';
import { addPerson, createAccount } from '../schools/service';
import { sha256 } from '../../platform/auth/tokens';

const apps: TestApp[] = [];
let t: TestApp;
let school: TestSchool;

/** An app of its own: the sign-in rate limit counts per app, so a test that uses many attempts gets one. */
async function freshApp() {
  const a = await testApp();
  apps.push(a);
  return a;
}

before(async () => {
  t = await freshApp();
  school = await makeSchool(t.db);
});
after(async () => {
  for (const a of apps) await a.close();
  await closeTestDb();
});

/** The page with what differs between two requests (CSRF token, the email typed) blanked out. */
function normalise(body: string, email: string) {
  return body.replace(/name="_csrf" value="[^"]+"/g, 'name="_csrf" value="X"').split(email).join('EMAIL');
}

/** A code that is not valid for the secret now, nor a step either side of now. */
function wrongCode(secret: string) {
  const now = Math.floor(Date.now() / 1000);
  const valid = new Set([-60, -30, 0, 30, 60].map((d) => generateSync({ secret, epoch: now + d } as any)));
  let n = 123456;
  while (valid.has(String(n).padStart(6, '0'))) n = (n + 1) % 1_000_000;
  return String(n).padStart(6, '0');
}

function errorSummaryText(body: string) {
  return /<div class="govuk-error-summary__body">([\s\S]*?)<\/div>/.exec(body)?.[1].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim() ?? '';
}

test('five wrong passwords lock the account, and even the right password is then refused', async () => {
  const a = await freshApp();
  const p = await makeStaff(a.db, school.id, ['teacher'], 'locked');
  const c = new Client(a.app);
  const token = await c.csrf('/sign-in');
  for (let i = 0; i < 5; i++) {
    const res = await c.post('/sign-in', { email: p.email, password: `wrong-password-${i}` }, { csrf: token });
    assert.equal(res.statusCode, 400);
  }
  const u = (await a.db.query('select failed_sign_ins, locked_until from users where id = $1', [p.userId])).rows[0];
  assert.equal(u.failed_sign_ins, 5);
  assert.ok(new Date(u.locked_until) > new Date(), 'the account is locked for a while');
  const right = await c.post('/sign-in', { email: p.email, password: p.password }, { csrf: token });
  assert.equal(right.statusCode, 400, 'the right password is refused while the account is locked');
  assert.equal((await c.get('/dashboard')).statusCode, 303, 'no session was started');
  const actions = (await a.db.query(`select action from audit_events where record_id = $1 and action like 'user.%' order by id`, [p.userId])).rows.map((r) => r.action);
  assert.deepEqual(actions, ['user.sign_in_failed', 'user.sign_in_failed', 'user.sign_in_failed', 'user.sign_in_failed', 'user.locked_out']);
});

test('the sign-in page never reveals whether an email has an account, before or after a lockout', async () => {
  const a = await freshApp();
  const p = await makeStaff(a.db, school.id, ['teacher'], 'probe');
  const unknown = uniqueEmail('nobody');
  const known = new Client(a.app);
  const stranger = new Client(a.app);
  const kt = await known.csrf('/sign-in');
  const st = await stranger.csrf('/sign-in');
  const first = await known.post('/sign-in', { email: p.email, password: 'not-the-password' }, { csrf: kt });
  const firstUnknown = await stranger.post('/sign-in', { email: unknown, password: 'not-the-password' }, { csrf: st });
  assert.equal(first.statusCode, firstUnknown.statusCode);
  assert.ok(errorSummaryText(first.body).length > 0);
  assert.equal(normalise(first.body, p.email), normalise(firstUnknown.body, unknown));
  let lastKnown = first;
  let lastUnknown = firstUnknown;
  for (let i = 0; i < 5; i++) {
    lastKnown = await known.post('/sign-in', { email: p.email, password: 'not-the-password' }, { csrf: kt });
    lastUnknown = await stranger.post('/sign-in', { email: unknown, password: 'not-the-password' }, { csrf: st });
  }
  const locked = (await a.db.query('select locked_until from users where id = $1', [p.userId])).rows[0].locked_until;
  assert.ok(locked, 'the known account is now locked');
  assert.equal(lastKnown.statusCode, lastUnknown.statusCode);
  assert.equal(normalise(lastKnown.body, p.email), normalise(lastUnknown.body, unknown), 'a locked account answers exactly as an unknown email does');
});

test('POST /sign-in answers 429 once the rate limit is spent', async () => {
  const a = await freshApp();
  const c = new Client(a.app);
  const token = await c.csrf('/sign-in');
  const statuses: number[] = [];
  for (let i = 0; i < 21; i++) {
    statuses.push((await c.post('/sign-in', { email: '', password: '' }, { csrf: token })).statusCode);
  }
  assert.deepEqual(statuses.slice(0, 20), Array(20).fill(400));
  assert.equal(statuses[20], 429);
  assert.match(c.lastBody, /Too many attempts/);
});

test('a password reset link sets a new password once, and the email holds the link and nothing personal', async () => {
  const a = await freshApp();
  const p = await makeStaff(a.db, school.id, ['teacher'], 'forgetful');
  const c = new Client(a.app);
  const res = await c.post('/forgot-password', { email: p.email }, { from: '/forgot-password' });
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /Check your email/);
  const [mail, ...others] = readOutbox(a.outboxDir);
  assert.equal(others.length, 0);
  assert.equal(mail.to, p.email);
  const link = /http:\/\/harbour\.test(\/reset-password\/[\w-]+)/.exec(mail.text);
  assert.ok(link, 'the email holds a reset link');
  for (const personal of [p.email, p.email.split('@')[0], 'forgetful', 'Tester', school.name]) {
    assert.ok(!mail.text.includes(personal) && !mail.subject.includes(personal), `the email does not contain ${personal}`);
  }
  const path = link[1];
  assert.equal((await c.get(path)).statusCode, 200);
  const newPassword = 'a-brand-new-passphrase-42';
  const set = await c.post(path, { password: newPassword, confirm: newPassword }, { from: path });
  assert.equal(set.statusCode, 303);
  assert.equal(set.headers.location, '/sign-in');

  const old = await new Client(a.app).post('/sign-in', { email: p.email, password: p.password }, { from: '/sign-in' });
  assert.equal(old.statusCode, 400, 'the old password no longer works');
  const fresh = await new Client(a.app).signIn({ ...p, password: newPassword });
  assert.equal((await fresh.get('/dashboard')).statusCode, 200, 'the new password works');

  const again = new Client(a.app);
  assert.equal((await again.get(path)).statusCode, 410, 'a used link is refused');
  const reuse = await again.post(path, { password: 'yet-another-passphrase-7', confirm: 'yet-another-passphrase-7' }, { from: '/sign-in' });
  assert.equal(reuse.statusCode, 410);
  assert.match(reuse.body, /This link has expired or been used/);
  const stillNew = await new Client(a.app).post('/sign-in', { email: p.email, password: newPassword }, { from: '/sign-in' });
  assert.equal(stillNew.statusCode, 303, 'the reused link changed nothing');
});

test('an expired or altered reset link gives the 410 page and changes nothing', async () => {
  const a = await freshApp();
  const p = await makeStaff(a.db, school.id, ['teacher'], 'expired');
  const c = new Client(a.app);
  await c.post('/forgot-password', { email: p.email }, { from: '/forgot-password' });
  const token = /\/reset-password\/([\w-]+)/.exec(readOutbox(a.outboxDir)[0].text)![1];
  const hashBefore = (await a.db.query('select password_hash from users where id = $1', [p.userId])).rows[0].password_hash;
  const attempt = { password: 'an-attackers-passphrase-1', confirm: 'an-attackers-passphrase-1' };

  // Altered: one character different.
  const altered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
  assert.equal((await c.get(`/reset-password/${altered}`)).statusCode, 410);
  const alteredPost = await c.post(`/reset-password/${altered}`, attempt, { from: '/sign-in' });
  assert.equal(alteredPost.statusCode, 410);
  assert.match(alteredPost.body, /This link has expired or been used/);

  // Expired: the real token, an hour and a minute later.
  await a.db.query(`update user_tokens set expires_at = now() - interval '1 minute' where token_hash = $1`, [sha256(token)]);
  assert.equal((await c.get(`/reset-password/${token}`)).statusCode, 410);
  const expiredPost = await c.post(`/reset-password/${token}`, attempt, { from: '/sign-in' });
  assert.equal(expiredPost.statusCode, 410);

  const hashAfter = (await a.db.query('select password_hash from users where id = $1', [p.userId])).rows[0].password_hash;
  assert.equal(hashAfter, hashBefore, 'the password is unchanged');
  const audited = (await a.db.query(`select count(*)::int as n from audit_events where record_id = $1 and action = 'user.password_reset'`, [p.userId])).rows[0].n;
  assert.equal(audited, 0);
});

test('an administrator invites a member of staff, who sets a password from the email and signs in', async () => {
  const a = await freshApp();
  const email = uniqueEmail('newstaff');
  const personId = await addPerson(a.db, school.id, { kind: 'staff', given_name: 'Newly', family_name: 'Invited', email }, ['teacher']);
  const admin = await signedIn(a.app, school.personas.admin);
  const accounts = await admin.get('/settings/accounts');
  assert.equal(accounts.statusCode, 200);
  assert.match(accounts.body, new RegExp(`value="${personId}"`), 'the person is offered for invitation');
  const invited = await admin.post('/settings/accounts/invite', { person: personId });
  assert.equal(invited.statusCode, 303);
  const mail = readOutbox(a.outboxDir).find((m) => m.to === email);
  assert.ok(mail, 'an invitation email was sent');
  const path = /http:\/\/harbour\.test(\/invitation\/[\w-]+)/.exec(mail.text)?.[1];
  assert.ok(path, 'the email holds an invitation link');
  assert.ok(!mail.text.includes('Newly') && !mail.text.includes('Invited'), 'the email does not name the person');

  const before = await new Client(a.app).post('/sign-in', { email, password: 'a-chosen-passphrase-9' }, { from: '/sign-in' });
  assert.equal(before.statusCode, 400, 'no password works before the invitation is accepted');
  const invitee = new Client(a.app);
  assert.equal((await invitee.get(path)).statusCode, 200);
  const accept = await invitee.post(path, { password: 'a-chosen-passphrase-9', confirm: 'a-chosen-passphrase-9' }, { from: path });
  assert.equal(accept.statusCode, 303);
  const signIn = await invitee.post('/sign-in', { email, password: 'a-chosen-passphrase-9' }, { from: '/sign-in' });
  assert.equal(signIn.statusCode, 303);
  assert.equal(signIn.headers.location, '/dashboard');
  const dash = await invitee.get('/dashboard');
  assert.equal(dash.statusCode, 200);
  assert.match(dash.body, new RegExp(school.name));
  assert.equal((await new Client(a.app).get(path)).statusCode, 410, 'the invitation works once');
});

test('a headteacher without two-factor is sent to enrol, cannot reach the dashboard until then, and a wrong code is refused', async () => {
  const a = await freshApp();
  const email = uniqueEmail('newhead');
  const personId = await addPerson(a.db, school.id, { kind: 'staff', given_name: 'Head', family_name: 'Unenrolled', email }, ['headteacher']);
  const userId = await createAccount(a.db, school.id, personId, { email, displayName: 'Head Unenrolled', password: testPassword });
  const c = new Client(a.app);
  const signIn = await c.post('/sign-in', { email, password: testPassword }, { from: '/sign-in' });
  assert.equal(signIn.statusCode, 303);
  assert.equal(signIn.headers.location, '/account/two-factor');
  for (const url of ['/dashboard', '/audit', '/settings']) {
    const res = await c.get(url);
    assert.equal(res.statusCode, 303, `${url} is not reachable before enrolling`);
    assert.equal(res.headers.location, '/account/two-factor');
  }
  const setup = await c.get('/account/two-factor');
  assert.equal(setup.statusCode, 200);
  const secret = /id="totp-secret">([A-Z2-7]+)</.exec(setup.body)?.[1];
  assert.ok(secret, 'the page shows the secret to type in');

  const wrong = await c.post('/account/two-factor', { code: wrongCode(secret) }, { from: '/account/two-factor' });
  assert.equal(wrong.statusCode, 400);
  assert.match(wrong.body, /href="#code"/);
  assert.equal((await a.db.query('select totp_enabled_at from users where id = $1', [userId])).rows[0].totp_enabled_at, null);
  assert.equal((await c.get('/dashboard')).statusCode, 303, 'still no dashboard after a wrong code');

  const right = await c.post('/account/two-factor', { code: generateSync({ secret }) }, { from: '/account/two-factor' });
  assert.equal(right.statusCode, 303);
  assert.equal(right.headers.location, '/dashboard');
  assert.equal((await c.get('/dashboard')).statusCode, 200);

  // From now on the code is asked at sign-in, and a wrong one is refused there too.
  const next = new Client(a.app);
  const again = await next.post('/sign-in', { email, password: testPassword }, { from: '/sign-in' });
  assert.match(String(again.headers.location), /^\/sign-in\/two-factor/);
  const bad = await next.post('/sign-in/two-factor', { code: wrongCode(secret) }, { from: '/sign-in/two-factor' });
  assert.equal(bad.statusCode, 400);
  assert.equal((await next.get('/dashboard')).statusCode, 303);
  const good = await next.post('/sign-in/two-factor', { code: generateSync({ secret }) }, { from: '/sign-in/two-factor' });
  assert.equal(good.statusCode, 303);
  assert.equal((await next.get('/dashboard')).statusCode, 200);
});

test('a session idle for longer than the school allows is signed out with a message', async () => {
  const a = await freshApp();
  const s = await makeSchool(a.db);
  await a.db.query('update schools set idle_timeout_minutes = 5 where id = $1', [s.id]);
  const c = await signedIn(a.app, s.personas.teacher);
  assert.equal((await c.get('/dashboard')).statusCode, 200);
  const setLastSeen = (minutesAgo: number) => a.db.query(
    `update sessions set data = jsonb_set(data, '{lastSeenAt}', to_jsonb($2::bigint)) where data->>'userId' = $1`,
    [s.personas.teacher.userId, Date.now() - minutesAgo * 60_000],
  );
  // Four minutes idle is within the limit.
  await setLastSeen(4);
  assert.equal((await c.get('/dashboard')).statusCode, 200);
  // Six minutes idle is not.
  await setLastSeen(6);
  const res = await c.get('/dashboard');
  assert.equal(res.statusCode, 303);
  assert.equal(res.headers.location, '/sign-in');
  const page = await c.get('/sign-in');
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /You were signed out because Harbour was not used for 5 minutes/);
  assert.equal((await c.get('/dashboard')).statusCode, 303, 'still signed out');
});

test('the headteacher changes the idle time-out: too short is refused naming the field, a valid value is saved and audited', async () => {
  const a = await freshApp();
  const s = await makeSchool(a.db);
  const head = await signedIn(a.app, s.personas.headteacher);
  const bad = await head.post('/settings/school', { name: s.name, idle_timeout_minutes: '4' }, { from: '/settings' });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /href="#idle_timeout_minutes"/);
  assert.match(bad.body, /The idle time-out must be at least 5 minutes/);
  assert.match(bad.body, /id="idle_timeout_minutes" name="idle_timeout_minutes" type="text" value="4"/);
  assert.equal((await a.db.query('select idle_timeout_minutes from schools where id = $1', [s.id])).rows[0].idle_timeout_minutes, 20);

  const good = await head.post('/settings/school', { name: s.name, idle_timeout_minutes: '30' }, { from: '/settings' });
  assert.equal(good.statusCode, 303);
  assert.equal((await a.db.query('select idle_timeout_minutes from schools where id = $1', [s.id])).rows[0].idle_timeout_minutes, 30);
  const entry = (await a.db.query(
    `select actor_user_id, detail from audit_events where school_id = $1 and action = 'school.settings_changed' order by seq`, [s.id])).rows;
  assert.equal(entry.length, 1, 'one audit entry, for the saved change only');
  assert.equal(entry[0].actor_user_id, s.personas.headteacher.userId);
  assert.ok((entry[0].detail.fields as string[]).includes('idle_timeout_minutes'));
});

test('signing out ends the session: the old cookie no longer works', async () => {
  const a = await freshApp();
  const p = await makeStaff(a.db, school.id, ['teacher'], 'leaver');
  const c = await signedIn(a.app, p);
  assert.equal((await c.get('/dashboard')).statusCode, 200);
  const oldCookies = new Map(c.cookies);
  const out = await c.post('/sign-out', {}, { from: '/dashboard' });
  assert.equal(out.statusCode, 303);
  const replay = new Client(a.app);
  replay.cookies = oldCookies;
  const res = await replay.get('/dashboard');
  assert.equal(res.statusCode, 303);
  assert.match(String(res.headers.location), /^\/sign-in/);
  const left = (await a.db.query(`select count(*)::int as n from sessions where data->>'userId' = $1`, [p.userId])).rows[0].n;
  assert.equal(left, 0);
});

test("removing an account's access ends its sessions at once", async () => {
  const a = await freshApp();
  const p = await makeStaff(a.db, school.id, ['teacher'], 'removed');
  const victim = await signedIn(a.app, p);
  assert.equal((await victim.get('/dashboard')).statusCode, 200);
  const admin = await signedIn(a.app, school.personas.admin);
  const res = await admin.post(`/settings/accounts/${p.userId}/disable`, {}, { from: '/settings/accounts' });
  assert.equal(res.statusCode, 303);
  const after = await victim.get('/dashboard');
  assert.equal(after.statusCode, 303, 'the open session is over');
  assert.match(String(after.headers.location), /^\/sign-in/);
  const left = (await a.db.query(`select count(*)::int as n from sessions where data->>'userId' = $1`, [p.userId])).rows[0].n;
  assert.equal(left, 0);
  const again = await new Client(a.app).post('/sign-in', { email: p.email, password: p.password }, { from: '/sign-in' });
  assert.equal(again.statusCode, 400, 'and the account cannot sign in again');
  const [entry] = (await a.db.query(`select actor_user_id from audit_events where school_id = $1 and action = 'account.removed' and record_id = $2`, [school.id, p.userId])).rows;
  assert.equal(entry?.actor_user_id, school.personas.admin.userId);
});

