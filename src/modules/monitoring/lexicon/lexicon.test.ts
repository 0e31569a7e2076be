import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadLexicon, parseAllWords, validateLibrary } from './index';
import { exportHarbourCsv, exportSensoCsv, importPhraseCsv, libraryRows, readRiskArea, sensoColumns, type ListedPhrase } from './csv';
import { riskAreas } from '../types';

test('there is one versioned library for each of the twelve risk areas', () => {
  const set = loadLexicon();
  assert.deepEqual(set.libraries.map((l) => l.risk), [...riskAreas]);
  for (const l of set.libraries) {
    assert.match(l.version, /^\d+\.\d+\.\d+$/, l.risk);
    assert.ok(l.phrases.length > 0, l.risk);
  }
  for (const x of [set.context, set.slang, set.categories]) assert.match(x.version, /^\d+\.\d+\.\d+$/);
});

test('a library with a bad severity or match type is refused, naming the phrase', () => {
  assert.throws(() => validateLibrary({ risk: 'drugs', version: '1', phrases: [{ phrase: 'x', severity: 'huge', match: 'word' }] }, 't'), /phrase "x": severity/);
  assert.throws(() => validateLibrary({ risk: 'drugs', version: '1', phrases: [{ phrase: 'x', severity: 'low', match: 'partial' }] }, 't'), /match must be word, phrase or all/);
  assert.throws(() => validateLibrary({ risk: 'nope', version: '1', phrases: [] }, 't'), /risk "nope"/);
});

const sample: ListedPhrase[] = [
  { risk: 'suicide-self-harm', phrase: 'kill myself', severity: 'critical', match: 'phrase', intent: true, action: 'alert' },
  { risk: 'drugs', phrase: 'weed', severity: 'low', match: 'word', intent: false, action: 'exclude' },
  { risk: 'hate', phrase: '=cmd|"quoted, with comma"', severity: 'medium', match: 'word', intent: false, action: 'alert' },
];

test("Harbour's own CSV shape round-trips every field, formula-looking cells included", () => {
  const csv = exportHarbourCsv(sample);
  assert.match(csv.split('\r\n')[0], /^risk,phrase,severity,match,intent,action$/);
  assert.ok(csv.includes("'=cmd"), 'a formula-looking cell is neutralised in the file');
  const back = importPhraseCsv(csv);
  assert.equal(back.shape, 'harbour');
  assert.deepEqual(back.problems, []);
  assert.deepEqual(back.phrases, sample);
});

test("Senso's column shape round-trips (Phrase, Context, Action, Severity, Screenshot, Match, Type)", () => {
  const csv = exportSensoCsv(sample);
  assert.equal(csv.split('\r\n')[0], sensoColumns.join(','));
  const back = importPhraseCsv(csv);
  assert.equal(back.shape, 'senso');
  assert.deepEqual(back.problems, []);
  assert.deepEqual(back.phrases, sample.map((p) => ({ ...p, screenshot: false })));
});

test('the shipped libraries export and import back unchanged', () => {
  const rows = libraryRows();
  assert.deepEqual(importPhraseCsv(exportHarbourCsv(rows)).phrases, rows);
  assert.deepEqual(importPhraseCsv(exportSensoCsv(rows)).phrases.map(({ screenshot, ...p }) => p), rows);
});

test("a list from another product: numeric severities, its own context names, and bad rows named by row", () => {
  const csv = 'Phrase,Context,Action,Severity,Screenshot,Match,Type\n' +
    'selfharm,Self Harm,Alert,4,Yes,Exact,Keyword\n' +
    'bet,Gambling,Ignore,1,No,Exact,Keyword\n' +
    'xyz,Knitting,Alert,2,No,Exact,Keyword\n' +
    'abc,Drugs,Alert,9,No,Exact,Keyword\n' +
    'vape,Substances,Alert,low,No,Partial,Keyword\n';
  const r = importPhraseCsv(csv);
  assert.deepEqual(r.phrases.map((p) => [p.phrase, p.risk, p.severity, p.action]), [
    ['selfharm', 'suicide-self-harm', 'critical', 'alert'],
    ['bet', 'gambling', 'low', 'exclude'],
    ['vape', 'drugs', 'low', 'alert'],
  ]);
  assert.deepEqual(r.problems.map((p) => [p.row, p.field]), [[4, 'Context'], [5, 'Severity'], [6, 'Match']]);
});

test('a list missing the columns it needs is refused as a whole', () => {
  const r = importPhraseCsv('risk,words\ndrugs,weed\n');
  assert.equal(r.phrases.length, 0);
  assert.match(r.problems[0].message, /missing columns?: phrase, severity/);
  assert.equal(readRiskArea('Adult Content'), 'sexual-content');
});

const rules: ListedPhrase[] = [
  { risk: 'suicide-self-harm', phrase: 'paracetamol | pills + lethal | how many', severity: 'critical', match: 'all', intent: true, action: 'alert' },
  { risk: 'violence-weapons', phrase: 'buy | get + gun | knife - nerf | water', severity: 'high', match: 'all', intent: false, action: 'exclude' },
];

test('an all-words rule round-trips through both CSV shapes ("All words" in Senso\'s Match column)', () => {
  const harbour = exportHarbourCsv(rules);
  assert.match(harbour, /suicide-self-harm,paracetamol \| pills \+ lethal \| how many,critical,all,yes,alert/);
  assert.deepEqual(importPhraseCsv(harbour), { phrases: rules, problems: [], shape: 'harbour' });
  const senso = exportSensoCsv(rules);
  assert.match(senso, /paracetamol \| pills \+ lethal \| how many,suicide-self-harm,Alert,Critical,No,All words,Intent/);
  const back = importPhraseCsv(senso);
  assert.deepEqual(back.problems, []);
  assert.deepEqual(back.phrases, rules.map((p) => ({ ...p, screenshot: false })));
  // A list that leaves Match empty but writes the groups with " + " is read as a rule too.
  assert.equal(importPhraseCsv('Phrase,Context,Action,Severity\nstranger | man + meet | pics,Grooming,Alert,3\n').phrases[0].match, 'all');
});

test('a bad all-words row is named by its row and field, and the rest of the list is still read', () => {
  const csv = 'Phrase,Context,Action,Severity,Screenshot,Match,Type\n' +
    'pills | tablets + lethal,Self Harm,Alert,4,No,All words,Intent\n' +
    'pills | tablets,Self Harm,Alert,4,No,All words,Intent\n' +
    'pills | + lethal,Self Harm,Alert,4,No,All words,Keyword\n' +
    'pills + lethal,Self Harm,Alert,4,No,Any words,Keyword\n' +
    `${'x'.repeat(2001)},Drugs,Alert,2,No,Phrase,Phrase\n`;
  const r = importPhraseCsv(csv);
  assert.deepEqual(r.phrases.map((p) => p.phrase), ['pills | tablets + lethal']);
  assert.deepEqual(r.problems.map((p) => [p.row, p.field]), [[3, 'Match'], [4, 'Match'], [5, 'Match'], [6, 'Phrase']]);
  assert.match(r.problems[0].message, /needs at least two groups of words joined by " \+ "/);
  assert.match(r.problems[1].message, /group 1 of the all-words rule has an empty word/);
  assert.match(r.problems[2].message, /"Any words" is not a match type Harbour knows/);
  assert.throws(() => validateLibrary({ risk: 'drugs', version: '1', phrases: [{ phrase: 'weed', severity: 'low', match: 'all' }] }, 't'), /rule "weed": an all-words rule needs at least two groups/);
});

test('every risk area has all-words rules', () => {
  for (const l of loadLexicon().libraries) assert.ok(l.phrases.some((p) => p.match === 'all'), l.risk);
});

test('an all-words rule may name a shared word list with @, and an unknown list is refused by name', () => {
  const rule = parseAllWords('vodka | cider + @age');
  assert.ok(typeof rule !== 'string');
  assert.ok(rule.groups[1].some((a) => a.join(' ') === 'when your 14'), 'the list stands for all of its alternatives');
  assert.match(String(parseAllWords('vodka + @nosuchlist')), /"@nosuchlist" is not one of the shared word lists/);
});
