// npm run eval:monitor: Harbour's detection measured on our own labelled searches
// (src/modules/monitoring/fixtures/labelled-searches.csv). A concerning search is caught when it
// reaches medium or above; an innocent one is a false alarm when it does. Figures are printed for
// each split. "holdout" was written with the tuning rows and kept apart; "holdout2", "holdout3",
// "holdout4", "holdout5", "holdout6", "holdout7", "holdout8" and "holdout9" were each written fresh
// later, before the detector was run on them, and measured once before any change they prompted
// (see docs/monitoring.md for those first figures; holdout9 was measured once on 5 December 2026 and
// nothing has been changed for it): a split is honest only until its misses are looked at.
// `--split tune` evaluates only the tuning rows (what to look at while tuning).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { assessSearch, compileLexicon } from '../src/modules/monitoring/detect/matcher';
import { lexiconVersions } from '../src/modules/monitoring/lexicon/index';
import { severityRank } from '../src/modules/monitoring/types';

const root = resolve(import.meta.dirname, '..');
const onlySplit = process.argv.includes('--split') ? process.argv[process.argv.indexOf('--split') + 1] : null;
// `--file F.csv` (repeatable) measures another labelled set of the same columns instead of the fixture:
// a set written blind, before it joins the fixture.
const files = process.argv.flatMap((a, i) => (a === '--file' ? [resolve(process.argv[i + 1])] : []));
const rows: { search: string; label: string; kind: string; split: string }[] = (files.length ? files : [resolve(root, 'src/modules/monitoring/fixtures/labelled-searches.csv')])
  .flatMap((f) => parse(readFileSync(f, 'utf8'), { columns: true, skip_empty_lines: true }));
const lex = compileLexicon();
const medium = severityRank('medium');

interface Tally { concerning: number; caught: number; innocent: number; raised: number; misses: string[]; falseAlarms: string[] }
const tallies: Record<string, Tally> = {};
const tally = (k: string) => (tallies[k] ??= { concerning: 0, caught: 0, innocent: 0, raised: 0, misses: [], falseAlarms: [] });

for (const r of rows) {
  if (onlySplit && r.split !== onlySplit) continue;
  const f = assessSearch(lex, r.search);
  const atLeastMedium = !!f && severityRank(f.severity) >= medium;
  for (const t of [tally(r.split), tally('all')]) {
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

const pct = (a: number, b: number) => (b ? Math.round((1000 * a) / b) / 10 : 0);
console.log(`Phrase libraries: ${lexiconVersions(lex.set)}`);
for (const split of Object.keys(tallies).filter((k) => k !== 'all').concat('all')) {
  const t = tallies[split];
  console.log(`\n${split}: ${t.concerning} concerning searches, ${t.innocent} innocent ones`);
  console.log(`  caught at medium or above: ${t.caught}/${t.concerning} = ${pct(t.caught, t.concerning)}%`);
  console.log(`  innocent raised to medium or above: ${t.raised}/${t.innocent} = ${pct(t.raised, t.innocent)}%`);
  if (split !== 'all') {
    for (const m of t.misses) console.log(`  missed: ${m}`);
    for (const m of t.falseAlarms) console.log(`  false alarm: ${m}`);
  }
}
const figures: Record<string, number> = {};
for (const [k, t] of Object.entries(tallies)) {
  figures[`${k}_caught_pct`] = pct(t.caught, t.concerning);
  figures[`${k}_false_alarm_pct`] = pct(t.raised, t.innocent);
  figures[`${k}_concerning`] = t.concerning;
  figures[`${k}_innocent`] = t.innocent;
}
console.log('');
console.log(JSON.stringify(figures));
