// npm run eval:monitor: Harbour's detection measured on our own labelled searches
// (src/modules/monitoring/fixtures/labelled-searches.csv). A concerning search is caught when it
// reaches medium or above; an innocent one is a false alarm when it does. Figures are printed for
// each split, twice:
//
// - "rules": the phrase libraries alone. The libraries were written with every split of the fixture
//   in view by the time it was added, so on the fixture these figures say what the libraries hold,
//   not how they do on searches they have not seen (docs/monitoring.md keeps each split's first,
//   blind figure).
// - "with the model": the libraries and the trained second opinion (detect/model.ts). So that the
//   model is never scored on searches it learnt from, each split is scored by a model trained on
//   every other split (leave one split out); the shipped model, trained on all of them, is the one
//   `--file` uses.
//
// `--file F.csv` (repeatable) measures a labelled set of the same columns that is not in the fixture
// (a set written blind, before it joins it) with the shipped libraries and model. `--split S` looks
// at one split; `--rules-only` leaves the model out (quicker, for tuning the libraries).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { assessSearch, compileLexicon, type CompiledLexicon } from '../src/modules/monitoring/detect/matcher';
import { compileModel } from '../src/modules/monitoring/detect/model';
import { buildModel } from '../src/modules/monitoring/detect/train';
import { lexiconVersions, loadLexicon } from '../src/modules/monitoring/lexicon/index';
import { severityRank } from '../src/modules/monitoring/types';

type Row = { search: string; label: string; kind: string; split: string };
const root = resolve(import.meta.dirname, '..');
const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : null);
const onlySplit = arg('--split');
const rulesOnly = process.argv.includes('--rules-only');
const files = process.argv.flatMap((a, i) => (a === '--file' ? [resolve(process.argv[i + 1])] : []));
const read = (f: string): Row[] => parse(readFileSync(f, 'utf8'), { columns: true, skip_empty_lines: true });
// The ordinary searches (all innocent) are splits of their own: how often an ordinary search is raised.
const fixture = [...read(resolve(root, 'src/modules/monitoring/fixtures/labelled-searches.csv')), ...read(resolve(root, 'src/modules/monitoring/fixtures/ordinary-searches.csv'))];
const rows = files.length ? files.flatMap(read) : fixture;

const { model: shipped, ...set } = loadLexicon();
const rulesLex: CompiledLexicon = compileLexicon(set);
const medium = severityRank('medium');

interface Tally { concerning: number; caught: number; innocent: number; raised: number; misses: string[]; falseAlarms: string[] }
const tallies: Record<string, Record<string, Tally>> = { rules: {}, model: {} };
const tally = (kind: string, k: string) => (tallies[kind][k] ??= { concerning: 0, caught: 0, innocent: 0, raised: 0, misses: [], falseAlarms: [] });

function score(kind: string, lex: CompiledLexicon, r: Row) {
  const f = assessSearch(lex, r.search);
  const atLeastMedium = !!f && severityRank(f.severity) >= medium;
  for (const t of [tally(kind, r.split), tally(kind, 'all')]) {
    if (r.label === 'concerning') {
      t.concerning++;
      if (atLeastMedium) t.caught++;
      else t.misses.push(`${r.search}  [${r.kind}] -> ${f ? `${f.risk} ${f.severity}` : 'nothing'}`);
    } else {
      t.innocent++;
      if (atLeastMedium) {
        t.raised++;
        t.falseAlarms.push(`${r.search}  [${r.kind}] -> ${f!.risk} ${f!.severity}: ${f!.reason}`);
      }
    }
  }
}

const splits = [...new Set(rows.map((r) => r.split))].filter((s) => !onlySplit || s === onlySplit);
for (const split of splits) {
  const these = rows.filter((r) => r.split === split);
  for (const r of these) score('rules', rulesLex, r);
  if (rulesOnly) continue;
  // The shipped model for a set outside the fixture; for a split of the fixture, one trained without it.
  const model = files.length ? shipped : buildModel(rulesLex, fixture.filter((r) => r.split !== split), '');
  if (!model) continue;
  const lex: CompiledLexicon = { ...rulesLex, model: compileModel(model) };
  for (const r of these) score('model', lex, r);
}

const pct = (a: number, b: number) => (b ? Math.round((1000 * a) / b) / 10 : 0);
console.log(`Phrase libraries: ${lexiconVersions(set)}${rulesOnly ? '' : `; the model ${files.length ? `as shipped (${shipped?.version}, trained on ${shipped?.trained.rows} searches)` : 'trained afresh without each split in turn'}`}`);
const kinds = rulesOnly ? ['rules'] : ['rules', 'model'];
for (const split of splits.concat('all')) {
  const r = tallies.rules[split];
  if (!r) continue;
  console.log(`\n${split}: ${r.concerning} concerning searches, ${r.innocent} innocent ones`);
  for (const kind of kinds) {
    const t = tallies[kind][split];
    if (!t) continue;
    const label = kind === 'rules' ? 'rules' : 'with the model';
    console.log(`  ${label}: caught at medium or above ${t.caught}/${t.concerning} = ${pct(t.caught, t.concerning)}%; innocent raised ${t.raised}/${t.innocent} = ${pct(t.raised, t.innocent)}%`);
    if (split !== 'all') {
      for (const m of t.misses) console.log(`    missed (${label}): ${m}`);
      for (const m of t.falseAlarms) console.log(`    false alarm (${label}): ${m}`);
    }
  }
}
const figures: Record<string, number> = {};
for (const kind of kinds) {
  for (const [k, t] of Object.entries(tallies[kind])) {
    const p = kind === 'rules' ? `${k}_rules` : k;
    figures[`${p}_caught_pct`] = pct(t.caught, t.concerning);
    figures[`${p}_false_alarm_pct`] = pct(t.raised, t.innocent);
    if (kind === 'rules') {
      figures[`${k}_concerning`] = t.concerning;
      figures[`${k}_innocent`] = t.innocent;
    }
  }
}
console.log('');
console.log(JSON.stringify(figures));
