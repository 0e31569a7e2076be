import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractSearch, splitUrl } from './search-terms';
import { assessSearch, compileRulesOnly } from './matcher';
import { normaliseSearch } from './normalise';
import { Detector, isAsset, mapFilterCategory } from './alerts';
import { severityRank, type Alert, type LogRequest } from '../types';

// The libraries alone (the trained second opinion has its own tests, model.test.ts, which also hold
// the innocent look-alikes against the whole detector).
const lex = compileRulesOnly();

test('the search term comes out of each engine URL shape, decoded', () => {
  const cases: [string, string, string][] = [
    ['https://www.google.co.uk/search?q=how+to+draw+a+cat&oq=how', 'Google', 'how to draw a cat'],
    ['https://www.bing.com/search?q=volcano%20facts&form=QBLH', 'Bing', 'volcano facts'],
    ['https://duckduckgo.com/?q=tudors+timeline&ia=web', 'DuckDuckGo', 'tudors timeline'],
    ['https://uk.search.yahoo.com/search?p=rainforest+animals&fr=yfp', 'Yahoo', 'rainforest animals'],
    ['https://www.ecosia.org/search?method=index&q=the+water+cycle', 'Ecosia', 'the water cycle'],
    ['https://www.youtube.com/results?search_query=times+tables+song', 'YouTube', 'times tables song'],
    ['https://en.wikipedia.org/w/index.php?search=Great+Fire+of+London&title=Special%3ASearch', 'Wikipedia', 'Great Fire of London'],
    ['https://en.wikipedia.org/wiki/Special:Search/Anglo_Saxons', 'Wikipedia', 'Anglo Saxons'],
    ['https://www.baidu.com/s?wd=%E7%86%8A%E7%8C%AB', 'Baidu', '熊猫'],
    ['https://yandex.ru/search/?text=solar+system', 'Yandex', 'solar system'],
    ['https://www.startpage.com/sp/search?query=egypt+pyramids', 'Startpage', 'egypt pyramids'],
    ['https://search.brave.com/search?q=moon+landing', 'Brave', 'moon landing'],
    ['https://www.ask.com/web?q=greek+myths', 'Ask', 'greek myths'],
    ['https://www.tiktok.com/search?q=slime%20recipe', 'TikTok', 'slime recipe'],
    ['https://www.amazon.co.uk/s?k=lego+sets', 'Amazon', 'lego sets'],
    ['https://www.google.com/search?q=caf%C3%A9+menu', 'Google', 'café menu'],
    ['https://www.google.com/search?q=100%25+broken%ZZ', 'Google', '100% broken%ZZ'],
  ];
  for (const [url, engine, query] of cases) assert.deepEqual(extractSearch(url), { engine, query }, url);
});

test('URLs that are not searches give no search term', () => {
  assert.equal(extractSearch('https://www.google.com/url?q=https://example.com/'), null);
  assert.equal(extractSearch('https://www.google.com/complete/search?q=how+to+k'), null);
  assert.equal(extractSearch('https://www.bbc.co.uk/search?q=x'), null);
  assert.equal(extractSearch('www.google.com:443'), null);
  assert.equal(splitUrl('www.google.com:443').host, 'www.google.com');
});

test('each disguise normalises to the plain words', () => {
  const plain = (q: string) => normaliseSearch(q, lex.vocab).tokens.join(' ');
  assert.equal(plain('SUICIDE'), 'suicide');
  assert.equal(plain('sùïcídé'), 'suicide');
  assert.equal(plain('ѕuісіdе'), 'suicide'); // Cyrillic look-alikes
  assert.equal(plain('h0w t0 k1ll mys3lf'), 'how to kill myself');
  assert.equal(plain('$uicide'), 'suicide');
  assert.equal(plain('k!ll myself'), 'kill myself');
  assert.equal(plain('s u i c i d e'), 'suicide');
  assert.equal(plain('i w a n t t o d i e'), 'i want to die');
  assert.equal(plain('suiiiicide'), 'suicide');
  assert.equal(plain('killlll myself'), 'kill myself');
  assert.equal(plain('s.u.i.c.i.d.e'), 'suicide');
  assert.equal(plain('s_u_i_c_i_d_e'), 'suicide');
  assert.equal(plain('p*rn'), 'porn');
  assert.equal(plain('kms'), 'kill myself');
  assert.equal(plain('unalive myself'), 'kill myself');
  assert.equal(plain('sewer slide'), 'suicide');
  assert.equal(plain('seggs'), 'sex');
  assert.equal(plain('corn videos'), 'porn videos');
  assert.equal(plain('corn on the cob'), 'corn on the cob');
  assert.equal(plain('year 7 maths 2024'), 'year 7 maths 2024');
});

test('a disguised search reaches the same severity as the plain one', () => {
  const pairs: [string, string][] = [
    ['how to kill myself', 'h0w t0 k1ll mys3lf'],
    ['how to kill myself', 'how to unalive myself'],
    ['suicide', 's u i c i d e'],
    ['suicide', 'suiiiicide'],
    ['suicide', 's.u.i.c.i.d.e'],
    ['self harm', 's3lf h4rm'],
    ['porn', 'p0rn'],
    ['pornhub', 'corn hub'],
    ['how to make a bomb', 'h0w to m4ke a b0mb'],
    ['where to buy weed', 'b u y w e e d'],
  ];
  for (const [plainQ, disguised] of pairs) {
    const a = assessSearch(lex, plainQ);
    const b = assessSearch(lex, disguised);
    assert.ok(a && b, `${plainQ} / ${disguised}`);
    assert.equal(b.severity, a.severity, disguised);
    assert.equal(b.risk, a.risk, disguised);
  }
});

test('innocent look-alikes and educational searches stay below medium', () => {
  const innocent = ['Scunthorpe united', 'Essex county council', 'cocktail recipes for a party', 'therapist near me', 'grape juice', 'Sussex', 'Middlesex university',
    "assassin's creed homework", 'suicide squad film rating', 'a history lesson on the blitz bombing', 'science lesson drugs in sport', 'bath bombs',
    'pen is mightier than the sword', 'suicide prevention assembly', 'how to kill the ender dragon in minecraft', 'isis egyptian goddess', 'dog grooming'];
  for (const q of innocent) {
    const f = assessSearch(lex, q);
    assert.ok(!f || severityRank(f.severity) < severityRank('medium'), `${q} -> ${f?.severity} ${f?.reason}`);
  }
});

test('context words lower an ordinary match but never a phrase about method or intent', () => {
  assert.equal(assessSearch(lex, 'suicide')!.severity, 'medium');
  const lowered = assessSearch(lex, 'suicide statistics history homework')!;
  assert.equal(lowered.severity, 'low');
  assert.match(lowered.reason, /lowered to low by the context word/);
  const kept = assessSearch(lex, 'how to kill myself homework')!;
  assert.equal(kept.severity, 'critical');
  assert.match(kept.reason, /does not lower a phrase about method or intent/);
});

test('the reason says what matched and which disguise was undone', () => {
  const f = assessSearch(lex, 'h0w t0 k1ll mys3lf')!;
  assert.match(f.reason, /matched "kill myself" \(suicide-self-harm, critical, method or intent\)/);
  assert.match(f.reason, /digits or symbols for letters/);
});

test("the filter's categories map to risk areas; the illegal-content lists are critical", () => {
  assert.deepEqual(mapFilterCategory(lex, 'IWF Child Abuse List', null)?.risk, 'illegal-content');
  assert.deepEqual(mapFilterCategory(lex, null, 'Blocked: police assessed list of unlawful terrorist content')?.severity, 'critical');
  assert.equal(mapFilterCategory(lex, 'Pornography', null)?.risk, 'sexual-content');
  assert.equal(mapFilterCategory(lex, 'Web Proxies', null)?.risk, 'filter-bypass');
  assert.equal(mapFilterCategory(lex, 'Gambling', null)?.risk, 'gambling');
  assert.equal(mapFilterCategory(lex, 'Sexuality education', null), null);
  assert.equal(mapFilterCategory(lex, 'Social Networking', null), null);
});

test('images, scripts and styles are recognised by extension or MIME type', () => {
  assert.equal(isAsset('https://x.example/a/logo.PNG', null), true);
  assert.equal(isAsset('https://x.example/app.js?v=3', null), true);
  assert.equal(isAsset('https://x.example/page', 'text/css'), true);
  assert.equal(isAsset('https://x.example/page', 'text/html'), false);
});

const base: LogRequest = { time: Date.UTC(2024, 2, 5, 10, 0), user: 'pupil.x', client: '10.0.0.9', url: '', method: 'GET', status: 200, mime: 'text/html', blocked: false, category: null, reason: null };
function run(reqs: Partial<LogRequest>[]) {
  const alerts: Alert[] = [];
  const d = new Detector(lex, (a) => alerts.push(a));
  reqs.forEach((r, i) => d.request('test.log', i + 1, { ...base, ...r }));
  d.flush();
  return { alerts, counts: d.counts };
}

test("a blocked page's images and scripts are not alerts of their own", () => {
  const { alerts, counts } = run([
    { url: 'https://adult.example.com/', blocked: true, status: 403, category: 'Pornography' },
    { url: 'https://adult.example.com/img/a.jpg', blocked: true, status: 403, category: 'Pornography', mime: 'image/jpeg' },
    { url: 'https://adult.example.com/site.css', blocked: true, status: 403, category: 'Pornography', mime: 'text/css' },
  ]);
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].line, 1);
  assert.equal(counts.assetsSuppressed, 2);
});

test('repeats of one search by one person within the window are one alert with a count; later ones are new', () => {
  const q = 'https://www.google.com/search?q=how+to+kill+myself';
  const { alerts } = run([
    { url: q },
    { url: q, time: base.time + 60_000 },
    { url: q, time: base.time + 120_000 },
    { url: q, user: 'pupil.y', time: base.time + 130_000 },
    { url: q, time: base.time + 30 * 60_000 },
  ]);
  assert.equal(alerts.length, 3);
  const first = alerts.find((a) => a.line === 1)!;
  assert.match(first.reason, /3 requests grouped \(lines 1 to 3\)/);
  assert.ok(alerts.find((a) => a.line === 4 && a.user === 'pupil.y'));
  assert.ok(alerts.find((a) => a.line === 5));
});

test('blocked requests in one risk area by one person within ten minutes are one alert, whatever the site; the third raises its severity, and it says so', () => {
  const { alerts, counts } = run([
    { url: 'https://a.example/', blocked: true, category: 'Gambling' },
    { url: 'https://b.example/', blocked: true, category: 'Gambling', time: base.time + 60_000 },
    { url: 'https://c.example/', blocked: true, category: 'Gambling', time: base.time + 120_000 },
    { url: 'https://d.example/', blocked: true, category: 'Gambling', user: 'pupil.z', time: base.time + 130_000 },
    // Another risk area is another alert; so is the same area after the window.
    { url: 'https://e.example/', blocked: true, category: 'Pornography', time: base.time + 140_000 },
    { url: 'https://f.example/', blocked: true, category: 'Gambling', time: base.time + 30 * 60_000 },
  ]);
  const bySeverity = Object.fromEntries(alerts.map((a) => [a.line, a.severity]));
  assert.deepEqual(bySeverity, { 1: 'medium', 4: 'low', 5: bySeverity[5], 6: 'low' });
  assert.equal(alerts.find((a) => a.line === 5)?.risk, 'sexual-content');
  const grouped = alerts.find((a) => a.line === 1)!;
  assert.equal(grouped.url, 'https://a.example/');
  assert.match(grouped.reason, /raised to medium: 3 blocked requests for gambling by this person within 10 minutes/);
  assert.match(grouped.reason, /3 requests grouped \(lines 1 to 3\), to 3 sites: a\.example, b\.example, c\.example/);
  assert.equal(counts.grouped, 2);
});

test('a group of blocked requests to many sites names the first few; repeats of one site name none', () => {
  const { alerts } = run([
    ...Array.from({ length: 8 }, (_, i) => ({ url: `https://s${i}.example/`, blocked: true, category: 'Gambling', time: base.time + i * 1000 })),
    { url: 'https://one.example/', blocked: true, category: 'Gambling', user: 'pupil.w', time: base.time + 20_000 },
    { url: 'https://one.example/x', blocked: true, category: 'Gambling', user: 'pupil.w', time: base.time + 21_000 },
  ]);
  assert.equal(alerts.length, 2);
  assert.match(alerts.find((a) => a.line === 1)!.reason, /8 requests grouped \(lines 1 to 8\), to more than 5 sites, among them s0\.example, s1\.example, s2\.example, s3\.example, s4\.example$/);
  assert.match(alerts.find((a) => a.line === 9)!.reason, /2 requests grouped \(lines 9 to 10\)$/);
});

test('getting round the filter alerts: a proxy site let through is high, a bypass search is an alert', () => {
  const { alerts } = run([
    { url: 'https://www.croxyproxy.com/' },
    { url: 'https://www.bing.com/search?q=how+to+get+past+school+filter', time: base.time + 1000, user: 'pupil.q' },
  ]);
  assert.equal(alerts.find((a) => a.line === 1)?.severity, 'high');
  assert.equal(alerts.find((a) => a.line === 1)?.risk, 'filter-bypass');
  assert.equal(alerts.find((a) => a.line === 2)?.risk, 'filter-bypass');
  assert.equal(alerts.find((a) => a.line === 2)?.query, 'how to get past school filter');
});

test('a low word typed in disguise, or an age-restricted thing sought by someone under age, is raised to medium; context and plain spelling are not', () => {
  const sev = (q: string) => assessSearch(lex, q)?.severity ?? null;
  assert.equal(sev('bomb'), 'low');
  assert.equal(sev('b0mb'), 'medium');
  assert.match(assessSearch(lex, 'b0mb')!.reason, /raised to medium: typed in disguise/);
  assert.equal(sev('w e e d'), 'medium');
  assert.equal(sev('b0mb history homework'), 'low', 'a context word stops the raise');
  assert.equal(sev('ww1 bombing'), 'low', 'the disguised word must be the matched one');
  assert.equal(sev('betting'), 'low');
  assert.equal(sev('betting sites for under 18s'), 'medium');
  assert.match(assessSearch(lex, 'weed for under 18s')!.reason, /sought by someone under age \("under 18s"\)/);
  assert.equal(sev('weed in the garden'), 'low');
  assert.deepEqual(normaliseSearch('films for under 18s in the 1990s', lex.vocab).tokens, ['films', 'for', 'under', '18s', 'in', 'the', '1990s'], 'numbers as written are not digits for letters');
  assert.deepEqual(normaliseSearch('pr0nhub', lex.vocab).tokens, ['pornhub'], 'a slang word run into a word of the libraries');
});

test('an all-words rule matches its groups in any order, with other words between, and says which words it matched', () => {
  const sev = (q: string) => assessSearch(lex, q)?.severity ?? null;
  for (const q of ['how much paracetamol is lethal', 'is a lethal amount of paracetamol a lot', 'lethal dose of sleeping pills']) {
    const f = assessSearch(lex, q)!;
    assert.equal(f.risk, 'suicide-self-harm', q);
    assert.equal(f.severity, 'critical', q);
  }
  const f = assessSearch(lex, 'is a lethal amount of paracetamol a lot')!;
  assert.match(f.reason, /matched the words "lethal" \+ "paracetamol" of the all-words rule/);
  assert.equal(sev('how much paracetamol can a child have'), null, 'one group alone is not a match');
  // Three groups, in any order, with a plural the rule does not spell out.
  assert.equal(assessSearch(lex, 'a man on snapchat keeps asking to meet me')?.risk, 'grooming-exploitation');
  assert.equal(assessSearch(lex, 'snapchat stranger wants pics')?.severity, 'high');
});

test('words of a rule typed in disguise are undone, and one word never counts for two groups', async () => {
  const { compileLexicon: compile } = await import('./matcher');
  const { loadLexicon } = await import('../lexicon/index');
  const base = loadLexicon();
  const rule = { phrase: 'pills | tablets + overdose | lethal - vitamin', severity: 'high' as const, match: 'all' as const, intent: false };
  const test = compile({ ...base, libraries: base.libraries.map((l) => (l.risk === 'drugs' ? { ...l, phrases: [rule] } : { ...l, phrases: [] })) });
  assert.equal(assessSearch(test, 'lethal t4bl3ts')?.severity, 'high', 'digits for letters inside a group');
  assert.match(assessSearch(test, 'l e t h a l pills')!.reason, /letters spaced out/);
  assert.equal(assessSearch(test, 'pill lethal'), null, 'a plural the rule names does not stand for its singular');
  assert.equal(assessSearch(test, 'lethal overdoses')?.severity, undefined, 'no tablets: not a match');
  assert.equal(assessSearch(test, 'lethal vitamin tablets'), null, 'a word after " - " cancels the rule');
  const overlap = compile({ ...base, libraries: base.libraries.map((l) => (l.risk === 'drugs' ? { ...l, phrases: [{ ...rule, phrase: 'overdose | pills + overdose | lethal' }] } : { ...l, phrases: [] })) });
  assert.equal(assessSearch(overlap, 'overdose'), null, 'one word cannot fill two groups');
  assert.equal(assessSearch(overlap, 'overdose pills')?.severity, 'high');
});

test('innocent phrases cancel a rule, context lowers it unless it is about method or intent, and a game lowers violence', () => {
  const sev = (q: string) => assessSearch(lex, q)?.severity ?? null;
  assert.equal(sev('ingredients for a nail bomb'), 'high');
  assert.equal(sev('how to make a bath bomb at home'), null, 'the innocent "bath bomb" holds a word the rule matched');
  assert.equal(sev('where to buy a shotgun in skyrim'), 'low', 'a game setting lowers violence');
  assert.equal(sev('where to buy a shotgun'), 'high');
  assert.equal(sev('my cousin joined an extremist group'), 'high');
  assert.match(assessSearch(lex, 'my cousin joined an extremist group pshe')!.reason, /all-words rule.*lowered to low by the context word "pshe"/);
  assert.equal(sev('how many paracetamol is lethal homework'), 'critical', 'a method-or-intent rule keeps its severity');
  assert.match(assessSearch(lex, 'razor blades to cut with')!.reason, /all-words rule/);
  assert.equal(sev('how to cut hair with a razor'), null);
});

test('hate: a group with a hateful predicate is an alert; the group named neutrally, or studied, is not', () => {
  const sev = (q: string) => assessSearch(lex, q)?.severity ?? null;
  assert.equal(sev('lesbians should be shot'), 'high', 'a group + "should" + a harm');
  assert.equal(assessSearch(lex, 'lesbians should be shot')!.risk, 'hate');
  assert.ok(severityRank(sev('travellers are vermin') ?? 'low') >= severityRank('medium'), 'a group + a dehumanising word');
  assert.ok(severityRank(sev('why do romanians ruin everything') ?? 'low') >= severityRank('medium'), 'a question does not lower a hateful statement');
  for (const q of ['should lesbians be allowed to marry debate', 'travellers rest stop facts', 'why were refugees persecuted history', 'chinese dirty rice recipe']) {
    assert.ok(severityRank(sev(q) ?? 'low') < severityRank('medium'), q);
  }
  // A slur hidden with * is read as the slur the library lists, not as a rule's word of the same shape.
  assert.deepEqual(normaliseSearch('memes about p*kis', lex.vocab).tokens, ['memes', 'about', 'pakis']);
});

test('dye is not die, and a set text lowers a plain mention but never a method or intent', () => {
  const sev = (q: string) => assessSearch(lex, q)?.severity ?? null;
  assert.equal(sev('how to die my fringe blue'), null, '"die" before hair or a colour is dye');
  assert.equal(sev('tie die hoodie'), null);
  assert.equal(sev('how to die'), 'critical');
  assert.equal(sev('lady macbeth suicide quote'), 'low', 'a set text is context');
  assert.equal(sev('macbeth how to kill myself'), 'critical', 'context never lowers method or intent');
});

test('shared word lists: an age as pupils write it, secrecy, and text-speak reach the rules that name them', () => {
  const sev = (q: string) => assessSearch(lex, q)?.severity ?? null;
  assert.equal(sev('where can i get cider when your 15'), 'medium', '@alcohol + @age');
  assert.ok(severityRank(sev('can you drink cider at 15 with a meal legally') ?? 'low') < severityRank('medium'), 'asking what the law allows');
  assert.equal(sev('how to burn myself without my family noticing'), 'high', '@secret');
  assert.equal(sev('im gona kms 2nite'), 'critical', 'text-speak undone, then "kill myself" + "tonight"');
  assert.equal(sev('drugz delivery'), 'medium', 'a z for the s of a plural is a disguise');
  assert.equal(normaliseSearch('should we marry', lex.vocab).tokens.join(' '), 'should we marry', 'a doubled letter is spelling, not a disguise');
});

test('typos, inflected spaced-out words and disguised slang are read; their innocent look-alikes are not raised', () => {
  const sev = (q: string) => assessSearch(lex, q)?.severity ?? null;
  const below = (q: string) => assert.ok(severityRank(sev(q) ?? 'low') < severityRank('medium'), q);
  const words = (q: string) => normaliseSearch(q, lex.vocab).tokens.join(' ');
  // Two consonants swapped in a long word is a typo of it; a swapped vowel ("discrete") may be another English word.
  assert.equal(words('ubnlocked games'), 'unblocked games');
  assert.equal(sev('ubnlocked games'), 'medium');
  assert.equal(words('discrete maths'), 'discrete maths');
  // Common misspellings of risk and filter words are read as the word; a misspelling is not a disguise.
  assert.equal(words('sucide methods'), 'suicide methods');
  assert.equal(words('how to get past secruly'), 'how to get past securly');
  // Spaced-out letters that make an inflected library word stay one word ("p u r g i n g"), and count as a disguise.
  assert.equal(words('p u r g i n g methods'), 'purging methods');
  assert.equal(sev('p u r g i n g'), 'medium', 'a low word typed spaced out is raised');
  below('skin purging tips retinol');
  // Text-speak for "yourself" and "someone's".
  assert.equal(words('best way 2 unalive urself'), 'best way to kill yourself');
  assert.ok(severityRank(sev('best way 2 unalive urself') ?? 'low') >= severityRank('high'));
  assert.equal(sev('how to ruin some1s life'), 'high');
  // A slang drug name typed with digits needs no neighbouring drug word; the plain word does.
  assert.equal(words('sn0w'), 'cocaine');
  assert.equal(sev('where 2 get sn0w n b4rs'), 'medium');
  for (const q of ['snow day tomorrow', 'buy snow chains', 'ski bars', 'gold bars for sale', 'buy charlie and the chocolate factory book', 'granola bars']) below(q);
});

test('sextortion from the victim\'s side, exposing a classmate, and alcohol with pills or drugs', () => {
  const sev = (q: string) => assessSearch(lex, q)?.severity ?? null;
  const atLeastMedium = (q: string) => assert.ok(severityRank(sev(q) ?? 'low') >= severityRank('medium'), q);
  const below = (q: string) => assert.ok(severityRank(sev(q) ?? 'low') < severityRank('medium'), q);
  assert.equal(sev('girl is threatening to leak my nudes unless i pay'), 'high');
  assert.equal(sev('he said he will send them to everyone unless i send more'), 'high');
  atLeastMedium('how to delete nudes i sent him');
  atLeastMedium('ugly photos of that girl to send round');
  atLeastMedium('drinking on ket');
  atLeastMedium('is it ok to take pills with vodka');
  for (const q of [
    'how to delete photos i sent on whatsapp by mistake',
    'my teacher says she will send them to everyone if i dont hand in homework',
    'embarrassing photos of my dad for his 50th',
    'mix vodka and coke',
    'gin with tonic and lime',
    'can i take paracetamol with a drink',
    'dangers of mixing alcohol and drugs lesson',
    'mixing console for beginners',
    'mix paint colours',
    'how to self delete messages on discord',
    'what does unalive mean on tiktok',
    'kms to miles',
    'starving myself of sleep before exams',
    'ugly sweater photos at school christmas',
  ]) below(q);
});

test('third round: heights asked as quick, stopping eating, a bf\'s adult age, gifts from older men, far-right framing, slurs, looks, turning a class, being hit; and their look-alikes', () => {
  const sev = (q: string) => assessSearch(lex, q)?.severity ?? null;
  const atLeastMedium = (q: string) => assert.ok(severityRank(sev(q) ?? 'low') >= severityRank('medium'), q);
  const below = (q: string) => assert.ok(severityRank(sev(q) ?? 'low') < severityRank('medium'), q);
  for (const q of [
    'is falling off a high building painless',
    'how much weight would i lose if i stopped eating for 5 days',
    'my gf is 19 and im 13',
    'a man keeps buying me vapes and cigs',
    'protect our women from muslims',
    'chinese people are all chinks',
    'send them back to where they came from',
    'insults for a ginger kid',
    'how to turn the whole class against her',
    'i keep getting punched on the bus',
    'i h8 my life',
    'lie about my age to buy a vape',
  ]) atLeastMedium(q);
  for (const q of [
    'bungee jumping off a bridge in new zealand',
    'jumping off a cliff into the sea is it safe',
    'how to help my son who self harms',
    'how to talk to my teenager about self harm',
    'how much weight will i lose if i stop eating sugar',
    'how to stop eating so much at night',
    'a guy gave me his phone number what does it mean',
    'my uncle gave me money for my birthday',
    'how can the uk protect refugees',
    'when will ukrainian refugees go back to their country',
    'why are black people allowed to say the n word',
    'nice things to say to the new kid',
    'roast chicken and roast potatoes',
    'i got beaten at chess at school',
    'i got kicked out of class at school',
    'how did hitler turn people against the jews',
    'lie about my age on instagram is it illegal',
  ]) below(q);
});

test('fourth round: units on numbers, "my self", misspelt kill and death words, overdose by quantity, target weights, hidden skipped meals, slur spelling families, praise of the Nazis, spreading extremist slogans, gifts for pictures, online friends met alone, adults asking about underwear, insults meant to make someone hate themselves, improvised weapons, gambling with no age check, getting round blockers; and their look-alikes', () => {
  // A number with its unit is a number, not digits for letters.
  assert.deepEqual(normaliseSearch('get to 38kg', lex.vocab).tokens, ['get', 'to', '38kg']);
  assert.deepEqual(normaliseSearch('500mg', lex.vocab).disguised, [false]);
  assert.deepEqual(normaliseSearch('i want 2 kil my self', lex.vocab).tokens, ['i', 'want', '2', 'kill', 'myself']);
  const sev = (q: string) => assessSearch(lex, q)?.severity ?? null;
  const atLeastMedium = (q: string) => assert.ok(severityRank(sev(q) ?? 'low') >= severityRank('medium'), q);
  const below = (q: string) => assert.ok(severityRank(sev(q) ?? 'low') < severityRank('medium'), q);
  for (const q of [
    'how many xanax would kill me',
    'how much insulin to stop your heart',
    'i want 2 kil my self',
    'how hi is a multi storey car park to die',
    'ugw 6 stone',
    'how to weigh 40kg by summer',
    'how do i hide not eating lunch at school',
    'pakkis go home',
    'muzrats go home',
    'the nazis did nothing wrong',
    'how to red pill people into the great replacement',
    'a man said hed give me robux for a photo',
    'someone on discord offering vbucks for pics',
    'guy from fortnite wants to meet me alone',
    'adult asked what colour bra im wearing',
    'roasts to make her cry herself to sleep',
    'how to put nails in a baseball bat',
    'padlock in a sock to hit someone',
    'pencil as a weapon to stab someone',
    'mushies dose first time',
    'casino sites that dont check age',
    'workaround for securly',
    'get around internet restrictions at school',
  ]) atLeastMedium(q);
  for (const q of [
    'how many pills in a packet of paracetamol for a science project',
    'how many paracetamol can i take a day',
    'bat and ball games pe',
    'how to make a bat box with nails',
    'nail art ideas for short nails',
    'vpn for school homework meaning',
    'how to get around london on the tube',
    'history of the nazis ks3',
    'was hitler right wing or left wing',
    'how did the nazis spread propaganda gcse history',
    'my self esteem is low how to improve it',
    'how high is the clifton suspension bridge',
    'my dog weighs 35kg is that healthy',
    '35kg kettlebell workout',
    'skipping breakfast effects on concentration science',
    'naked mole rat facts',
    'mushy peas recipe',
    'why do gambling sites need age verification',
    'get around the firewall in minecraft',
    'how to get past the blocker in football',
    'how much do school photos cost',
    'my mum said she would buy me a ps5 if i get good grades',
    'my teacher asked what im wearing for non uniform day',
    'how to meet online friends safely pshe',
    'texts to make someone cry happy tears',
    'sock puppet making for kids',
    'how to recruit people for a charity run',
    'faggots and peas recipe',
    'muzzy feeling after waking up',
    'hi how are you in french',
  ]) below(q);
});

test('a search written for or by a parent or member of staff is kept low, method words and all; a pupil saying the same of themselves is not', () => {
  for (const q of ['signs a teenager is self harming for parents', 'how to talk to my teenager about suicidal thoughts nhs advice', 'parents guide to teen slang unalive kms',
    'what is pro ana content guide for teachers', 'teacher training how to talk to pupils about self harm', 'how do i talk to my 13 year old about vaping',
    'adolescence netflix what does incel mean']) {
    const f = assessSearch(lex, q);
    assert.ok(!f || severityRank(f.severity) < severityRank('medium'), `${q}: ${f?.severity}`);
    if (f) assert.match(f.reason, /parent or member of staff|context word|lowered/);
  }
  assert.ok(severityRank(assessSearch(lex, 'my 16 year old boyfriend wants nudes')!.severity) >= severityRank('medium'));
  for (const q of ['how to talk to my mum about my self harm', 'i want to kms', 'gonna kms tonight', 'im going to kms in a week', 'what is the most painless way to kill myself'])
    assert.ok(severityRank(assessSearch(lex, q)!.severity) >= severityRank('high'), q);
  // "kms" as distance is not "kill myself".
  assert.equal(assessSearch(lex, 'how many kms from london to manchester'), null);
});

test('emoji used for drugs, knives and guns are read as the words they stand for', () => {
  assert.deepEqual(normaliseSearch('snap menu 🍃🍄', lex.vocab).tokens, ['snap', 'menu', 'weed', 'shrooms']);
  assert.deepEqual(normaliseSearch('❄️ day', lex.vocab).tokens, ['snow', 'day']);
  assert.ok(normaliseSearch('plug 🔌', lex.vocab).disguises.includes('emoji read as words'));
  // A snow day is still a snow day.
  assert.equal(assessSearch(lex, 'is it a ❄️ day tomorrow'), null);
});
