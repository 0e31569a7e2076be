// Harbour's own phrase libraries (one JSON file per risk area, each with its version), the
// context words that lower a match, the slang map and the filter-category map.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRiskArea, isSeverity, riskAreas, type RiskArea, type Severity } from '../types';
import { basicTokens, type SlangRule } from '../detect/normalise';
import type { SearchModel } from '../detect/model';

/**
 * How a phrase is matched: a whole word, whole words in a row, or (`all`) an all-words rule:
 * groups of words that must all be in the search, in any order ("paracetamol | pills + lethal | fatal").
 * Never part of a word.
 */
export type MatchType = 'word' | 'phrase' | 'all';

export interface Phrase {
  phrase: string;
  severity: Severity;
  match: MatchType;
  /** About method or intent ("how to kill myself"): context words never lower it. */
  intent: boolean;
}

export interface PhraseLibrary {
  risk: RiskArea;
  version: string;
  title: string;
  phrases: Phrase[];
  /** Ordinary phrases that contain a risky one ("suicide squad", "bath bomb"): a match inside one is not a match. */
  innocent: string[];
  /** Words that put the whole search in a game or story ("minecraft"): every match of this library is lowered to low. */
  settingWords?: string[];
  /** Sites whose only use at school is getting round the filter. */
  hosts?: string[];
}

export interface CategoryRule { words: string[]; risk: RiskArea; severity: Severity }

export interface LexiconSet {
  libraries: PhraseLibrary[];
  context: { version: string; words: string[]; frames?: string[] };
  slang: { version: string; rules: SlangRule[] };
  categories: { version: string; rules: CategoryRule[] };
  /** The trained second opinion (model.json; detect/model.ts), when there is one. */
  model?: SearchModel;
  /** Phrases a school excluded: the model raises no search that holds one. */
  exclusions?: string[];
}

const dir = import.meta.dirname;

function readJson(name: string): any {
  return JSON.parse(readFileSync(join(dir, name), 'utf8'));
}

/** Checks a library read from a file or an import; names the first thing wrong. */
export function validateLibrary(doc: any, label: string): PhraseLibrary {
  if (!doc || typeof doc !== 'object') throw new Error(`${label}: not a phrase library`);
  if (!isRiskArea(doc.risk)) throw new Error(`${label}: risk "${doc.risk}" is not one of ${riskAreas.join(', ')}`);
  if (typeof doc.version !== 'string' || !doc.version) throw new Error(`${label}: a library needs a version`);
  if (!Array.isArray(doc.phrases)) throw new Error(`${label}: phrases must be a list`);
  doc.phrases.forEach((p: any, i: number) => {
    if (!p || typeof p.phrase !== 'string' || !p.phrase.trim()) throw new Error(`${label}: phrase ${i + 1} has no text`);
    if (!isSeverity(p.severity)) throw new Error(`${label}: phrase "${p.phrase}": severity must be low, medium, high or critical`);
    if (p.match !== 'word' && p.match !== 'phrase' && p.match !== 'all') throw new Error(`${label}: phrase "${p.phrase}": match must be word, phrase or all`);
    if (p.match === 'all') {
      const rule = parseAllWords(p.phrase);
      if (typeof rule === 'string') throw new Error(`${label}: rule "${p.phrase}": ${rule}`);
    }
    p.intent = !!p.intent;
  });
  return { innocent: [], title: doc.risk, ...doc };
}

/** An all-words rule read from its text: groups that must all appear, and words that cancel it. */
export interface AllWordsRule {
  /** Each group is a list of alternatives; each alternative is one or more words in a row. */
  groups: string[][][];
  /** Words or phrases that cancel the rule when any is in the search ("hair | shave"). */
  unless: string[][];
}

export const allWordsExample = '"paracetamol | pills + lethal | how many" (groups joined by " + ", alternatives by " | ", and optionally " - " then words that cancel it)';

/**
 * Reads an all-words rule: groups joined by " + ", alternatives in a group by " | ", and
 * optionally " - " followed by alternatives that cancel the rule. Returns the problem as text when
 * the rule cannot be read.
 */
export function parseAllWords(text: string): AllWordsRule | string {
  const [main, ...rest] = text.split(/\s+-\s+/);
  if (rest.length > 1) return 'an all-words rule may have only one " - " (the words that cancel it)';
  const parts = main.split(/\s*\+\s*/);
  if (parts.length < 2) return `an all-words rule needs at least two groups of words joined by " + ", for example ${allWordsExample}`;
  const groups: string[][][] = [];
  for (let i = 0; i < parts.length; i++) {
    const alts = alternatives(parts[i]);
    if (typeof alts === 'string') return alts;
    if (!alts.length || parts[i].split('|').some((a) => !a.trim().startsWith('@') && !basicTokens(a).length)) return `group ${i + 1} of the all-words rule has an empty word (check the " + " and " | " signs)`;
    groups.push(alts);
  }
  const unless = rest.length ? alternatives(rest[0]) : [];
  if (typeof unless === 'string') return unless;
  if (rest.length && (!unless.length || rest[0].split('|').some((a) => !a.trim().startsWith('@') && !basicTokens(a).length))) return 'the words after " - " (which cancel the rule) have an empty word';
  return { groups, unless };
}

/** A group's alternatives as token lists; "@name" stands for every alternative of the shared list of that name. */
function alternatives(group: string): string[][] | string {
  const out: string[][] = [];
  for (const a of group.split('|')) {
    const name = a.trim();
    if (name.startsWith('@')) {
      const list = listTokens(name.slice(1));
      if (!list) return `"${name}" is not one of the shared word lists (${Object.keys(wordLists().lists).map((k) => `@${k}`).join(', ')})`;
      out.push(...list);
      continue;
    }
    const t = basicTokens(a);
    if (t.length) out.push(t);
  }
  return out;
}

let sharedLists: { version: string; lists: Record<string, string[]> } | null = null;
const listTokenCache = new Map<string, string[][]>();

/** A shared list's alternatives as tokens, read once and shared by every rule that names it. */
function listTokens(name: string): string[][] | null {
  const cached = listTokenCache.get(name);
  if (cached) return cached;
  const list = wordLists().lists[name];
  if (!list) return null;
  const tokens = list.map((x) => basicTokens(x)).filter((t) => t.length);
  listTokenCache.set(name, tokens);
  return tokens;
}

/**
 * Shared word lists (lists.json) that an all-words rule names with "@": ages under 18 as pupils write
 * them ("@age": "im 14", "when your 14", "at 14", "14 year old"), secrecy ("@secret": "without my
 * parents noticing"), the groups hate is aimed at ("@group"), drugs by their street names ("@drug")...
 * One list, kept in one place, serves every library that needs it.
 */
export function wordLists(): { version: string; lists: Record<string, string[]> } {
  return (sharedLists ??= readJson('lists.json'));
}

let cached: LexiconSet | null = null;

/** The libraries as shipped with Harbour. */
export function loadLexicon(): LexiconSet {
  if (cached) return cached;
  const libraries = riskAreas.map((r) => validateLibrary(readJson(`${r}.json`), `lexicon/${r}.json`));
  cached = { libraries, context: readJson('context.json'), slang: readJson('slang.json'), categories: readJson('categories.json') };
  if (existsSync(join(dir, 'model.json'))) cached.model = readJson('model.json');
  return cached;
}

/** "suicide-self-harm@1.0.0, ...": which versions a scan used. */
export function lexiconVersions(set: LexiconSet): string {
  return set.libraries.map((l) => `${l.risk}@${l.version}`).join(', ');
}
