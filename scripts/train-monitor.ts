// npm run train:monitor: trains Harbour's second opinion (detect/model.ts) on the labelled searches
// (src/modules/monitoring/fixtures/labelled-searches.csv, with the ordinary searches of
// ordinary-searches.csv) and writes lexicon/model.json. Each search
// is normalised as the detector normalises it (so the libraries' slang and disguises are undone
// first), and a concerning search's area is the one the libraries give it. Run it again whenever
// the labelled searches, the slang or the libraries change: a test fails while the shipped model is
// not what training gives (`--check` says the same without writing).
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { compileLexicon } from '../src/modules/monitoring/detect/matcher';
import { lexiconVersions, loadLexicon } from '../src/modules/monitoring/lexicon/index';
import { buildModel } from '../src/modules/monitoring/detect/train';

const root = resolve(import.meta.dirname, '..');
const target = resolve(root, 'src/modules/monitoring/lexicon/model.json');
// The labelled searches, and ordinary ones (every one innocent): a school's day is almost all ordinary
// searches, and the model must learn that most words mean nothing.
const read = (name: string): { search: string; label: string; split: string }[] => parse(readFileSync(resolve(root, 'src/modules/monitoring/fixtures', name), 'utf8'), { columns: true, skip_empty_lines: true });
const rows = [...read('labelled-searches.csv'), ...read('ordinary-searches.csv')];
const { model: _shipped, ...set } = loadLexicon();
const text = `${JSON.stringify(buildModel(compileLexicon(set), rows, lexiconVersions(set)), null, 1)}\n`;
if (process.argv.includes('--check')) {
  const same = readFileSync(target, 'utf8') === text;
  console.log(same ? 'lexicon/model.json is what training gives.' : 'lexicon/model.json is out of date: run npm run train:monitor');
  process.exit(same ? 0 : 1);
}
writeFileSync(target, text);
const m = JSON.parse(text);
console.log(`Trained on ${m.trained.rows} searches (${m.trained.concerning} concerning, ${m.trained.innocent} innocent): ${Object.keys(m.weights).length} weights, ${m.areas.length} areas; wrote ${target}`);
