// Harbour's own phrase libraries, compiled once and kept on disk between runs. Compiling them
// (compileLexicon: every phrase tokenised, the all-words rules expanded and indexed, the
// normaliser's vocabulary built) takes about 0.3 s, most of a scan's start-up; reading the compiled
// form back with v8.deserialize (Maps, Sets and shared objects kept as they were) about a third of it.
//
// The cache is never stale. A compiled form is stored under a key that hashes everything it was
// made from: every file of the libraries' folder but its TypeScript (the JSON libraries, lists,
// slang, context and categories), the compiler's source (detect/matcher.ts and every file it
// imports, found by reading their imports; package-lock.json too if it ever imports a package),
// Node's and V8's versions and this file's format. Change a phrase, a list or a line of the compiler
// and the key changes, so the libraries are compiled afresh.
//
// The key is of the files as this process loaded them (the compiler, and the shared lists it reads
// as it loads, are loaded with this module). If they change on disk while the process runs (a test
// run, a server), it keeps away from the cache and compiles what it holds, as it did before there
// was a cache. What it compiles is stored only if the libraries it holds in memory are those on disk
// field for field, and nothing changed while it compiled. A file that cannot be read, a damaged or
// cut-short file (each carries a SHA-256 of its contents) or anything unexpected means compiling, as
// if there were no cache. Files are written aside and renamed into place, so scans started together
// never read half of one.
//
// Where: HARBOUR_CACHE_DIR, else node_modules/.cache/harbour in Harbour's folder. HARBOUR_NO_CACHE=1
// turns the cache off; HARBOUR_CACHE_DEBUG=1 says on standard error what it did.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import v8 from 'node:v8';
import { isDeepStrictEqual } from 'node:util';
import { compileLexicon, type CompiledLexicon } from './detect/matcher';
import { loadLexicon, validateLibrary, wordLists, type LexiconSet } from './lexicon/index';

const here = import.meta.dirname;
const root = resolve(here, '../../..');
/** The files compiled: everything in this folder but TypeScript. */
const lexiconDir = join(here, 'lexicon');
/** The compiler: detect/matcher.ts and everything it imports (found by reading their imports). */
const compilerEntry = join(here, 'detect', 'matcher.ts');
/** Changed when what is stored, or how, changes. */
const format = 'harbour-lexicon-cache 1';
const magic = Buffer.from('HLX1');
/** How many compiled forms are kept (other versions of the libraries, other checkouts sharing the folder). */
const keep = 8;

/** The cache folder, or null when caching is turned off. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.HARBOUR_NO_CACHE === '1') return null;
  return env.HARBOUR_CACHE_DIR ? resolve(env.HARBOUR_CACHE_DIR) : join(root, 'node_modules', '.cache', 'harbour');
}

function debug(message: string) {
  if (process.env.HARBOUR_CACHE_DEBUG === '1') process.stderr.write(`harbour cache (${Math.round(performance.now())} ms): ${message}\n`);
}

const importPattern = /\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|\bimport\s*['"]([^'"]+)['"]/g;

function resolveImport(from: string, spec: string): string | null {
  const base = resolve(dirname(from), spec);
  for (const p of [base, `${base}.ts`, `${base}.mts`, base.replace(/\.m?js$/, (x) => (x === '.mjs' ? '.mts' : '.ts')), `${base}.mjs`, `${base}.js`, join(base, 'index.ts')]) {
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  // Only text that looks like an import (in a comment, say) fails to resolve: a real one would not load.
  return null;
}

/**
 * A source file and every file it imports by a relative path, with their contents, in a fixed
 * order; and whether any of them imports a package (whose version then counts too).
 */
export function sourceClosure(entry: string): { files: { path: string; content: Buffer }[]; packages: boolean } {
  const seen = new Map<string, Buffer>();
  let packages = false;
  const todo = [entry];
  while (todo.length) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    const content = readFileSync(file);
    seen.set(file, content);
    // Non-TypeScript files (data, .mjs) are hashed but not followed.
    if (!/\.[cm]?tsx?$/.test(file)) continue;
    for (const m of content.toString('utf8').matchAll(importPattern)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec.startsWith('./') || spec.startsWith('../')) {
        const found = resolveImport(file, spec);
        if (found) todo.push(found);
      } else if (!isBuiltin(spec)) {
        packages = true;
      }
    }
  }
  const files = [...seen].map(([path, content]) => ({ path, content })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, packages };
}

/** The sources a bundle was built from, by path, with their SHA-256: set by src/cli/bundle.mjs when Harbour runs from one. */
function bundledSources(): Map<string, string> | undefined {
  return (globalThis as Record<symbol, unknown>)[Symbol.for('harbour.bundledSources')] as Map<string, string> | undefined;
}

/**
 * The compiler's part of the key: Node's and V8's versions and the SHA-256 of each of its sources.
 * Null when the sources on disk are not those of the code running (a bundle made from others).
 */
function compilerDigest(): string | null {
  const h = createHash('sha256');
  h.update(`${format}\0${process.version}\0${process.versions.v8}\0${process.arch}\0`);
  const bundled = bundledSources();
  const { files, packages } = sourceClosure(compilerEntry);
  for (const f of files) {
    const digest = createHash('sha256').update(f.content).digest('hex');
    if (bundled && bundled.get(f.path) !== digest) return null;
    h.update(`source\0${relative(root, f.path)}\0${digest}\0`);
  }
  // The compiler uses a package: the installed versions count too.
  if (packages) h.update(`packages\0${createHash('sha256').update(readFileSync(join(root, 'package-lock.json'))).digest('hex')}\0`);
  return h.digest('hex');
}

/** The libraries' part of the key: each file of their folder but TypeScript, as it is on disk now. */
function librariesDigest(): string {
  const h = createHash('sha256');
  for (const name of readdirSync(lexiconDir).sort()) {
    const p = join(lexiconDir, name);
    if (/\.[cm]?tsx?$/.test(name) || !statSync(p).isFile()) continue;
    h.update(`library\0${name}\0`).update(createHash('sha256').update(readFileSync(p)).digest('hex')).update('\0');
  }
  return h.digest('hex');
}

function attempt<T>(what: string, fn: () => T): T | null {
  try {
    return fn();
  } catch (e) {
    debug(`${what}: ${(e as Error).message}`);
    return null;
  }
}

// Taken as this module is loaded, which is when the compiler (and the shared word lists it reads
// as it loads) were: the code and libraries this process holds. A file changed after this, while
// the process runs (a test run, say), is not what it holds, so it then keeps away from the cache.
const loadedCompiler = attempt('the compiler cannot be hashed', compilerDigest);
const loadedLibraries = attempt('the libraries cannot be hashed', librariesDigest);

/**
 * The key of Harbour's own libraries: a SHA-256 of this cache's format, Node's and V8's versions,
 * the compiler's sources and the libraries' files, as they were when this process loaded them. Null
 * when there is none to trust: a source or library changed on disk since (or a bundle made from
 * other sources than those on disk).
 */
export function lexiconCacheKey(): string | null {
  if (!loadedCompiler || !loadedLibraries) return null;
  const libraries = attempt('the libraries cannot be hashed', librariesDigest);
  if (libraries !== loadedLibraries) {
    debug('the libraries changed on disk since this process loaded them');
    return null;
  }
  return createHash('sha256').update(`${loadedCompiler}\0${libraries}`).digest('hex');
}

/**
 * Whether the libraries this process compiles (loadLexicon's, and the shared lists, each read once
 * and kept) are those on disk now, field for field: only then is what it compiled stored under
 * the key of the files on disk.
 */
function memoryMatchesDisk(): boolean {
  const set = loadLexicon();
  const file = (name: string) => JSON.parse(readFileSync(join(lexiconDir, name), 'utf8'));
  const disk: LexiconSet = {
    libraries: set.libraries.map((l) => validateLibrary(file(`${l.risk}.json`), `lexicon/${l.risk}.json`)),
    context: file('context.json'),
    slang: file('slang.json'),
    categories: file('categories.json'),
  };
  if (existsSync(join(lexiconDir, 'model.json'))) disk.model = file('model.json');
  return isDeepStrictEqual(disk, set) && isDeepStrictEqual(file('lists.json'), wordLists());
}

function read(file: string): CompiledLexicon | null {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return null;
  }
  try {
    if (data.length < 36 || !data.subarray(0, 4).equals(magic)) throw new Error('not a compiled lexicon');
    const payload = data.subarray(36);
    if (!createHash('sha256').update(payload).digest().equals(data.subarray(4, 36))) throw new Error('its checksum does not match: damaged or cut short');
    const lex = v8.deserialize(payload) as CompiledLexicon;
    if (!lex || !(lex.byFirst instanceof Map) || !(lex.rulesByWord instanceof Map) || !(lex.vocab?.words instanceof Set)) throw new Error('not a compiled lexicon');
    return lex;
  } catch (e) {
    debug(`${file} cannot be used (${(e as Error).message}); compiling`);
    return null;
  }
}

function write(dir: string, file: string, lex: CompiledLexicon) {
  const payload = v8.serialize(lex);
  const data = Buffer.concat([magic, createHash('sha256').update(payload).digest(), payload]);
  mkdirSync(dir, { recursive: true });
  const aside = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    writeFileSync(aside, data);
    renameSync(aside, file);
  } catch (e) {
    try {
      unlinkSync(aside);
    } catch { /* never written */ }
    throw e;
  }
  // The oldest compiled forms go; one in use elsewhere is read whole or compiled again.
  const others = readdirSync(dir).filter((n) => /^lexicon-[0-9a-f]{64}\.bin$/.test(n) && join(dir, n) !== file)
    .map((n) => ({ p: join(dir, n), t: statSync(join(dir, n), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
    .sort((a, b) => b.t - a.t);
  for (const o of others.slice(keep - 1)) {
    try {
      unlinkSync(o.p);
    } catch { /* gone already */ }
  }
}

/**
 * Harbour's own libraries, compiled: from the cache when it holds them as this process loaded them,
 * otherwise compiled (and stored for the next run). The same, field for field, as compileLexicon().
 */
export function harbourLexicon(opts: { cacheDir?: string | null } = {}): CompiledLexicon {
  const dir = opts.cacheDir === undefined ? cacheDir() : opts.cacheDir;
  const key = dir ? lexiconCacheKey() : null;
  const file = dir && key ? join(dir, `lexicon-${key}.bin`) : null;
  if (file) {
    const cached = read(file);
    if (cached) {
      debug(`lexicon read from ${file}`);
      return cached;
    }
  }
  const lex = compileLexicon();
  if (dir && file) {
    // Stored only if what was compiled is what the key names: nothing changed meanwhile, and the
    // libraries held in memory are those on disk.
    const same = attempt('the libraries cannot be compared', () => lexiconCacheKey() === key && memoryMatchesDisk());
    if (same) {
      try {
        write(dir, file, lex);
        debug(`lexicon compiled and written to ${file}`);
      } catch (e) {
        debug(`lexicon compiled; not stored (${(e as Error).message})`);
      }
    } else {
      debug('lexicon compiled; not stored, as the libraries changed while this process ran');
    }
  } else {
    debug('lexicon compiled (no cache)');
  }
  return lex;
}
