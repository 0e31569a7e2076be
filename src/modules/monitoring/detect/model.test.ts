import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { assessSearch, compileLexicon } from './matcher';
import { compileModel, modelOpinion, trainModel, type SearchModel } from './model';
import { buildModel } from './train';
import { normaliseSearch } from './normalise';
import { lexiconVersions, loadLexicon } from '../lexicon/index';

const { model: shipped, ...set } = loadLexicon();
const rulesLex = compileLexicon(set);

// A made-up word ("glorp") the libraries know nothing of, so what the model does is the model's alone.
const concerning = ['my neighbour keeps asking me to glorp with him', 'he wants me to glorp in secret', 'an older man online asked me to glorp tonight',
  'how do i tell someone i was made to glorp', 'someone on roblox asked me to glorp for robux', 'my tutor said glorp and dont tell mum'];
const innocent = ['how to draw a cat step by step', 'what time does the library open', 'best football boots for wide feet', 'how to make pancakes without eggs',
  'year 8 maths fractions worksheet', 'what is the capital of australia', 'how to glue wood together', 'funny cat videos compilation'];
const tiny = (): SearchModel => ({
  version: 'test', about: 'test', trained: { rows: 0, concerning: 0, innocent: 0, splits: [], libraries: '' },
  ...trainModel([...concerning.map((s) => ({ tokens: s.split(' '), concerning: true, risk: 'grooming-exploitation' as const })),
    ...innocent.map((s) => ({ tokens: s.split(' '), concerning: false, risk: null }))], { threshold: 0.9, minWords: 3 }),
});

test('training is deterministic: the same rows give the same model, weight for weight', () => {
  assert.deepEqual(tiny(), tiny());
});

test('the model raises a search worded in a new way that no phrase matches, to medium only, and says why', () => {
  const lex = compileLexicon({ ...set, model: tiny() });
  const q = 'a man from my game keeps asking me to glorp';
  assert.equal(assessSearch(rulesLex, q), null, 'no phrase matches it');
  const f = assessSearch(lex, q)!;
  assert.equal(f.severity, 'medium');
  assert.equal(f.risk, 'grooming-exploitation');
  assert.match(f.reason, /trained second opinion, score [01]\.\d\d over 0\.9/);
  assert.match(f.reason, /"glorp"/, 'names the words that weighed most');
  // Ordinary searches stay quiet; a short one is left to the libraries.
  assert.equal(assessSearch(lex, 'how to draw a dog step by step'), null);
  assert.equal(assessSearch(lex, 'glorp'), null);
  assert.equal(assessSearch(lex, 'glorp now'), null);
});

test("a parent's or teacher's framing, or a phrase the school excluded, keeps the model quiet", () => {
  const model = tiny();
  assert.equal(assessSearch(compileLexicon({ ...set, model }), 'how to talk to my teenager about being asked to glorp'), null);
  const q = 'someone on minecraft asked me to glorp';
  assert.ok(assessSearch(compileLexicon({ ...set, model }), q));
  assert.equal(assessSearch(compileLexicon({ ...set, model, exclusions: ['asked me to glorp'] }), q), null);
});

test('a search a phrase already put in the queue keeps the phrase\'s finding; the model never lowers one', () => {
  const lex = compileLexicon({ ...set, model: tiny() });
  const f = assessSearch(lex, 'how to kill myself')!;
  assert.equal(f.severity, 'critical');
  assert.doesNotMatch(f.reason, /second opinion/);
});

test('the shipped model is what training on the labelled searches gives (run npm run train:monitor after changing them, the slang or the libraries)', () => {
  assert.ok(shipped, 'lexicon/model.json is shipped');
  type Row = { search: string; label: string; split: string };
  const rows = parse(readFileSync(join(import.meta.dirname, '../fixtures/labelled-searches.csv'), 'utf8'), { columns: true, skip_empty_lines: true }) as Row[];
  const ordinary = parse(readFileSync(join(import.meta.dirname, '../fixtures/ordinary-searches.csv'), 'utf8'), { columns: true, skip_empty_lines: true }) as Row[];
  assert.deepEqual(JSON.parse(JSON.stringify(buildModel(rulesLex, [...rows, ...ordinary], lexiconVersions(set)))), shipped);
  // And it is in use: the default libraries carry it.
  const o = modelOpinion(compileModel(shipped!), normaliseSearch('how to draw a cat step by step', rulesLex.vocab).tokens);
  assert.ok(o.score < shipped!.threshold);
});

test("the issue's innocent look-alikes and educational searches stay below medium with the whole detector, model and all", () => {
  const lex = compileLexicon();
  assert.ok(lex.model, 'the default libraries carry the model');
  for (const q of ['scunthorpe united fixtures', 'essex county cricket', 'cocktail sausages recipe', 'how to become a therapist', 'the blitz ks3 history',
    'drugs in sport gcse pe', 'why did people take drugs in sport science lesson', 'how to kill a process in linux', 'netball shooting drills for year 7',
    'romeo and juliet suicide scene analysis', 'what happened in the blitz in london 1940']) {
    const f = assessSearch(lex, q);
    assert.ok(!f || f.severity === 'low', `${q}: ${f?.severity} ${f?.reason}`);
  }
});

test("a rule whose own exception cancelled it has judged the search: the model is not asked", () => {
  const rule = { phrase: 'glorp + tonight - rehearsal', severity: 'high' as const, match: 'all' as const, intent: false };
  const libraries = set.libraries.map((l) => (l.risk === 'grooming-exploitation' ? { ...l, phrases: [...l.phrases, rule] } : l));
  const lex = compileLexicon({ ...set, libraries, model: tiny() });
  assert.equal(assessSearch(lex, 'someone asked me to glorp tonight')?.severity, 'high', 'the rule');
  assert.equal(assessSearch(lex, 'someone asked me to glorp tonight at rehearsal'), null, 'cancelled by its exception, and the model stays quiet');
  assert.equal(assessSearch(lex, 'someone asked me to glorp at rehearsal')?.severity, 'medium', 'no rule met: the model speaks');
});
