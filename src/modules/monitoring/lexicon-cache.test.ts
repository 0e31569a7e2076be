// The compiled libraries read back from the cache are the libraries compiled: the same structure
// (shared rules still shared), the same finding for every labelled search; a damaged or unreadable
// cache means compiling. That a changed library or compiler is never read from a stale cache is
// shown end to end, on a copy of Harbour, in src/cli/bundle.test.ts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { assessSearch, compileLexicon, type CompiledLexicon } from './detect/matcher';
import { harbourLexicon, lexiconCacheKey, sourceClosure } from './lexicon-cache';

const tmp = mkdtempSync(join(tmpdir(), 'harbour-lexicon-cache-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * A test of storing and reading: the libraries' files must stay as this process loaded them. If
 * someone edits them while it runs, the cache rightly keeps away, and the test is skipped, not failed.
 */
function cacheTest(name: string, fn: () => void) {
  test(name, (t) => {
    try {
      fn();
    } catch (e) {
      if (lexiconCacheKey() === null) return t.skip('the libraries changed on disk while the test ran');
      throw e;
    }
  });
}

const binFiles = (dir: string) => readdirSync(dir).filter((n) => /^lexicon-[0-9a-f]{64}\.bin$/.test(n));

const searches = readFileSync(join(import.meta.dirname, 'fixtures/labelled-searches.csv'), 'utf8')
  .split('\n').slice(1).map((l) => l.split(',')[0]).filter(Boolean);

/** Every labelled search gives the same finding with both. */
function sameFindings(a: CompiledLexicon, b: CompiledLexicon) {
  assert.ok(searches.length > 1000);
  for (const s of searches) assert.deepEqual(assessSearch(b, s), assessSearch(a, s), s);
}

cacheTest('the key covers the compiler and everything it imports, and does not change by itself', () => {
  const root = resolve(import.meta.dirname, '../../..');
  const files = sourceClosure(join(import.meta.dirname, 'detect/matcher.ts')).files.map((f) => relative(root, f.path));
  for (const f of ['src/modules/monitoring/detect/matcher.ts', 'src/modules/monitoring/detect/normalise.ts', 'src/modules/monitoring/lexicon/index.ts', 'src/modules/monitoring/types.ts']) {
    assert.ok(files.includes(f), `${f} is in the key`);
  }
  const key = lexiconCacheKey();
  assert.match(key ?? '', /^[0-9a-f]{64}$/);
  assert.equal(lexiconCacheKey(), key);
});

cacheTest('compiled once, then read from the cache: the same libraries, shared rules still shared, the same findings', () => {
  const dir = join(tmp, 'same');
  const fresh = compileLexicon();
  const first = harbourLexicon({ cacheDir: dir });
  assert.equal(binFiles(dir).length, 1, 'the compiled libraries were stored');
  const written = statSync(join(dir, binFiles(dir)[0])).mtimeMs;
  const cached = harbourLexicon({ cacheDir: dir });
  assert.notEqual(cached, first, 'read back, not kept in memory');
  assert.equal(statSync(join(dir, binFiles(dir)[0])).mtimeMs, written, 'read, not written again');
  assert.ok(isDeepStrictEqual(cached, fresh), 'field for field the same as compileLexicon()');
  // A rule listed under several words is one rule (it is tried once per search).
  const lists = [...cached.rulesByWord.values()];
  const rule = lists.flat().find((r) => lists.filter((l) => l.includes(r)).length > 1);
  assert.ok(rule, 'some rule is listed under two words');
  sameFindings(fresh, cached);
});

cacheTest('a damaged or cut-short cache file is compiled again and replaced', () => {
  const dir = join(tmp, 'damaged');
  const fresh = compileLexicon();
  harbourLexicon({ cacheDir: dir });
  const file = join(dir, binFiles(dir)[0]);
  const good = readFileSync(file);
  const flipped = Buffer.from(good);
  flipped[flipped.length >> 1] ^= 0xff;
  for (const bad of [flipped, good.subarray(0, good.length >> 1), Buffer.from('not a lexicon')]) {
    writeFileSync(file, bad);
    assert.ok(isDeepStrictEqual(harbourLexicon({ cacheDir: dir }), fresh));
    // Written again whole: the next run reads it and writes nothing.
    const rewritten = readFileSync(file);
    assert.ok(rewritten.length > 1000 && !rewritten.equals(bad));
    harbourLexicon({ cacheDir: dir });
    assert.ok(readFileSync(file).equals(rewritten), 'read, not written again');
  }
  sameFindings(fresh, harbourLexicon({ cacheDir: dir }));
});

test('a cache folder that cannot be used, or none, still gives the libraries', () => {
  const notADir = join(tmp, 'a-file');
  writeFileSync(notADir, 'x');
  const fresh = compileLexicon();
  assert.ok(isDeepStrictEqual(harbourLexicon({ cacheDir: notADir }), fresh));
  assert.ok(isDeepStrictEqual(harbourLexicon({ cacheDir: null }), fresh));
});

cacheTest('only the most recent compiled forms are kept', () => {
  const dir = join(tmp, 'kept');
  harbourLexicon({ cacheDir: dir });
  const current = binFiles(dir)[0];
  // Other versions of the libraries, written earlier.
  for (let i = 0; i < 12; i++) writeFileSync(join(dir, `lexicon-${String(i).padStart(64, '0')}.bin`), 'old');
  rmSync(join(dir, current));
  harbourLexicon({ cacheDir: dir });
  const left = binFiles(dir);
  assert.equal(left.length, 8);
  assert.ok(left.includes(current), 'the one just written is kept');
});
