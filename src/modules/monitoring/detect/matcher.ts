// Finds the phrases of the libraries in a normalised search, on whole words only, and decides
// the severity: context words lower what is not about method or intent; innocent phrases
// ("suicide squad") cancel the match they contain; a game or story setting lowers violence.
import { basicTokens, buildVocabulary, normaliseSearch, type Vocabulary } from './normalise';
import { loadLexicon, type LexiconSet, type Phrase, type PhraseLibrary } from '../lexicon/index';
import { severityRank, type RiskArea, type Severity } from '../types';

interface Entry { tokens: string[]; phrase: Phrase; risk: RiskArea }

export interface SearchFinding {
  risk: RiskArea;
  severity: Severity;
  phrase: string;
  intent: boolean;
  reason: string;
}

export interface CompiledLexicon {
  set: LexiconSet;
  vocab: Vocabulary;
  byFirst: Map<string, Entry[]>;
  /** Multi-word phrases without spaces ("selfharm", "killmyself"): typed as one word. */
  squashed: Map<string, Entry[]>;
  /** One-word phrases of 6 letters or more, typed as two words ("porn hub", "rule 34"). */
  longWords: Map<string, Entry[]>;
  innocent: Map<RiskArea, string[][]>;
  context: string[][];
  setting: Map<RiskArea, string[][]>;
  bypassHosts: Set<string>;
  libraries: Map<RiskArea, PhraseLibrary>;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V) {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

/** Compiles a lexicon set (Harbour's own by default) for matching. */
export function compileLexicon(set: LexiconSet = loadLexicon()): CompiledLexicon {
  const words: string[] = [];
  const squashedWords: string[] = [];
  const byFirst = new Map<string, Entry[]>();
  const squashed = new Map<string, Entry[]>();
  const longWords = new Map<string, Entry[]>();
  const innocent = new Map<RiskArea, string[][]>();
  const setting = new Map<RiskArea, string[][]>();
  const libraries = new Map<RiskArea, PhraseLibrary>();
  const bypassHosts = new Set<string>();
  for (const lib of set.libraries) {
    libraries.set(lib.risk, lib);
    for (const p of lib.phrases) {
      const tokens = basicTokens(p.phrase);
      if (!tokens.length) continue;
      const e: Entry = { tokens, phrase: p, risk: lib.risk };
      push(byFirst, tokens[0], e);
      words.push(...tokens);
      if (tokens.length > 1) {
        push(squashed, tokens.join(''), e);
        squashedWords.push(tokens.join(''));
      } else if (tokens[0].length >= 6) {
        push(longWords, tokens[0], e);
      }
    }
    innocent.set(lib.risk, lib.innocent.map((x) => basicTokens(x)).filter((t) => t.length));
    for (const x of lib.innocent) words.push(...basicTokens(x));
    if (lib.settingWords) setting.set(lib.risk, lib.settingWords.map((x) => basicTokens(x)).filter((t) => t.length));
    for (const h of lib.hosts ?? []) bypassHosts.add(h.toLowerCase());
  }
  const context = set.context.words.map((x) => basicTokens(x)).filter((t) => t.length);
  for (const c of context) words.push(...c);
  const vocab = buildVocabulary(words, set.slang.rules, squashedWords);
  return { set, vocab, byFirst, squashed, longWords, innocent, context, setting, bypassHosts, libraries };
}

function findSeq(tokens: string[], seq: string[], from = 0): number {
  outer: for (let i = from; i + seq.length <= tokens.length; i++) {
    for (let k = 0; k < seq.length; k++) if (tokens[i + k] !== seq[k]) continue outer;
    return i;
  }
  return -1;
}

interface Hit { entry: Entry; start: number; end: number }

/** Every phrase of the libraries found on whole words of the tokens. */
export function findPhrases(lex: CompiledLexicon, tokens: string[]): Hit[] {
  const hits: Hit[] = [];
  for (let i = 0; i < tokens.length; i++) {
    for (const e of lex.byFirst.get(tokens[i]) ?? []) {
      let ok = true;
      for (let k = 1; k < e.tokens.length; k++) if (tokens[i + k] !== e.tokens[k]) { ok = false; break; }
      if (ok) hits.push({ entry: e, start: i, end: i + e.tokens.length });
    }
    for (const e of lex.squashed.get(tokens[i]) ?? []) hits.push({ entry: e, start: i, end: i + 1 });
    if (i + 1 < tokens.length) {
      for (const e of lex.longWords.get(tokens[i] + tokens[i + 1]) ?? []) hits.push({ entry: e, start: i, end: i + 2 });
    }
  }
  return hits;
}

function insideInnocent(tokens: string[], hit: Hit, phrases: string[][]): string | null {
  for (const p of phrases) {
    let at = findSeq(tokens, p);
    while (at !== -1) {
      // It contains the match ("bath bomb"), or begins inside it and takes its last word ("buy weed killer").
      if ((at <= hit.start && at + p.length >= hit.end) || (at > hit.start && at <= hit.end - 1 && at + p.length >= hit.end)) return p.join(' ');
      at = findSeq(tokens, p, at + 1);
    }
  }
  return null;
}

function firstPresent(tokens: string[], phrases: string[][]): string | null {
  for (const p of phrases) if (findSeq(tokens, p) !== -1) return p.join(' ');
  return null;
}

/** Words that say someone under age wants what the law keeps from them (drugs, alcohol, vapes, gambling, knives). */
const underAge = [['under', '18'], ['under', '18s'], ['under', '16'], ['under', '16s'], ['underage'], ['under', 'age'], ['without', 'id'], ['no', 'id', 'needed'], ['at', '14'], ['at', '15'], ['at', '16'], ['at', '17']];
const ageRestricted = new Set<RiskArea>(['drugs', 'gambling', 'violence-weapons']);
/** Words of getting hold of something: with a low drugs or gambling word, a pupil trying to get it. */
const obtaining = [['buy'], ['buying'], ['where', 'to', 'get'], ['for', 'sale'], ['real', 'money'], ['order', 'online'], ['delivered']];
const obtainRisks = new Set<RiskArea>(['drugs', 'gambling']);

const riskOrder: RiskArea[] = ['illegal-content', 'suicide-self-harm', 'grooming-exploitation', 'extremism', 'violence-weapons', 'eating-disorder', 'sexual-content', 'hate', 'bullying', 'drugs', 'filter-bypass', 'gambling'];

/** The most serious finding in a search, or null when it matches nothing. */
export function assessSearch(lex: CompiledLexicon, query: string): SearchFinding | null {
  const { tokens, disguised, disguises } = normaliseSearch(query, lex.vocab);
  if (!tokens.length) return null;
  const hits = findPhrases(lex, tokens);
  if (!hits.length) return null;
  const context = firstPresent(tokens, lex.context);
  let best: (SearchFinding & { rank: number; len: number }) | null = null;
  for (const h of hits) {
    if (insideInnocent(tokens, h, lex.innocent.get(h.entry.risk) ?? [])) continue;
    const p = h.entry.phrase;
    let severity = p.severity;
    let why = `matched "${p.phrase}" (${h.entry.risk}, ${p.severity}${p.intent ? ', method or intent' : ''})`;
    const setting = firstPresent(tokens, lex.setting.get(h.entry.risk) ?? []);
    if (setting) {
      severity = 'low';
      why += `, lowered to low: a game or story ("${setting}")`;
    } else if (context && !p.intent && p.severity !== 'low') {
      severity = 'low';
      why += `, lowered to low by the context word "${context}"`;
    } else if (context && p.intent) {
      why += `; the context word "${context}" does not lower a phrase about method or intent`;
    }
    if (severity === 'low' && p.severity === 'low' && !setting && !context) {
      // Nobody disguises an innocent search: a word of the libraries typed in disguise ("b0mb",
      // "g u n s") is raised to the queue, as is an age-restricted thing sought by someone under age.
      const age = ageRestricted.has(h.entry.risk) ? firstPresent(tokens, underAge) : null;
      const obtain = obtainRisks.has(h.entry.risk) ? firstPresent(tokens, obtaining) : null;
      if (disguised.slice(h.start, h.end).some(Boolean)) {
        severity = 'medium';
        why += ', raised to medium: typed in disguise';
      } else if (age) {
        severity = 'medium';
        why += `, raised to medium: sought by someone under age ("${age}")`;
      } else if (obtain) {
        severity = 'medium';
        why += `, raised to medium: trying to get it ("${obtain}")`;
      }
    }
    if (disguises.length) why += `; disguise undone: ${disguises.join(', ')}`;
    const rank = severityRank(severity);
    const len = h.end - h.start;
    if (!best || rank > best.rank || (rank === best.rank && (riskOrder.indexOf(h.entry.risk) < riskOrder.indexOf(best.risk) || (h.entry.risk === best.risk && len > best.len)))) {
      best = { risk: h.entry.risk, severity, phrase: p.phrase, intent: p.intent, reason: `search ${why}`, rank, len };
    }
  }
  if (!best) return null;
  return { risk: best.risk, severity: best.severity, phrase: best.phrase, intent: best.intent, reason: best.reason };
}
