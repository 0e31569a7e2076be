import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { neutraliseCell, toCsv } from './write';

test('cells that a spreadsheet would run as formulas are neutralised', () => {
  for (const evil of ['=HYPERLINK("http://x","y")', '+1+2', '-2+3', '@SUM(A1)', '\t=1', '\r=1']) {
    assert.equal(neutraliseCell(evil), `'${evil}`);
  }
  assert.equal(neutraliseCell('Year 5'), 'Year 5');
  assert.equal(neutraliseCell(-3), '-3');
  assert.equal(neutraliseCell(null), '');
});

test('a written CSV reads back with the same cells, quotes and commas intact', () => {
  const csv = toCsv(['name', 'note'], [['O\'Neill, Sam', 'said "hello"'], ['=cmd', 'line\nbreak']]);
  const rows = parse(csv);
  assert.deepEqual(rows, [['name', 'note'], ["O'Neill, Sam", 'said "hello"'], ["'=cmd", 'line\nbreak']]);
});
