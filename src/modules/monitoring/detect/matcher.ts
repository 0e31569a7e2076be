// Finds the phrases of the libraries in a normalised search, on whole words only, and decides
// the severity: context words lower what is not about method or intent; innocent phrases
// ("suicide squad") cancel the match they contain; a game or story setting lowers violence.
import { basicTokens, buildVocabulary, normaliseSearch, type Vocabulary } from './normalise';
import { loadLexicon, parseAllWords, wordLists, type LexiconSet, type Phrase, type PhraseLibrary } from '../lexicon/index';
import { severityRank, type RiskArea, type Severity } from '../types';
import { compileModel, modelOpinion, type CompiledModel } from './model';

interface Entry { tokens: string[]; phrase: Phrase; risk: RiskArea }

/** An all-words rule compiled: each group's alternatives as token lists, and what cancels it. */
interface Rule { groups: Map<string, string[][]>[]; unless: string[][]; unlessIndex: PhraseIndex; phrase: Phrase; risk: RiskArea; /** The search it was last tried for (findRules' count), so it is tried once a search. */ tried: number }

let searchCount = 0;

/** A group's alternatives listed by their first word, so finding a group reads each word of the search once. */
function indexGroup(alternatives: string[][]): Map<string, string[][]> {
  const m = new Map<string, string[][]>();
  for (const a of alternatives) push(m, a[0], a);
  return m;
}

/** Common words: a rule is never looked up by a group that holds one, if another group will do. */
const commonWords = new Set(['a', 'an', 'the', 'i', 'im', 'me', 'my', 'myself', 'you', 'your', 'he', 'she', 'they', 'them', 'him', 'her', 'his', 'it', 'we', 'us',
  'how', 'to', 'do', 'does', 'did', 'can', 'is', 'are', 'was', 'of', 'on', 'in', 'at', 'for', 'with', 'without', 'from', 'by', 'and', 'or', 'not', 'no', 'what', 'why',
  'when', 'where', 'who', 'which', 'get', 'make', 'be', 'best', 'way', 'ways', 'much', 'many', 'some', 'someone', 'people', 'all', 'out', 'up', 'off', 'if',
  'school', 'online', 'game', 'games', 'free', 'fast', 'new', 'one', 'man', 'boy', 'girl', 'kids', 'buy', 'want', 'go', 'have', 'take', 'keep', 'find', 'help']);

/** The alternatives a rule accepts for one written alternative: the words as written, a plural, and a phrase typed as one word. */
function expandAlternative(alt: string[]): string[][] {
  const out = [alt];
  // Long alternatives ("without my parents knowing", mostly from the shared lists) are typed as written:
  // a plural or a run-together form of them would only make the lists bigger.
  if (alt.length > 3) return out;
  const last = alt[alt.length - 1];
  if (last.length >= 3 && /[a-z]$/.test(last) && !last.endsWith('s')) out.push([...alt.slice(0, -1), `${last}s`]);
  if (alt.length > 1 && alt.join('').length >= 6) out.push([alt.join('')]);
  return out;
}

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
  /** The context words listed by first word, so a search is read once for all of them. */
  contextIndex: PhraseIndex;
  /** Words that say a search is written for or by a parent or member of staff ("for parents", "my teenager"): every match is lowered, method and intent too. */
  frameIndex: PhraseIndex;
  setting: Map<RiskArea, string[][]>;
  /** All-words rules, each listed under the first words of the alternatives of its least common group. */
  rulesByWord: Map<string, Rule[]>;
  bypassHosts: Set<string>;
  /** The filter's category words, already tokenised, in the order the rules list them. */
  categoryWords: { risk: RiskArea; severity: Severity; word: string; spaced: string }[];
  libraries: Map<RiskArea, PhraseLibrary>;
  /** The trained second opinion, or null (none shipped, or left out). */
  model: CompiledModel | null;
  /** The school's excluded phrases, as tokens: the model raises no search holding one. */
  modelExclusions: string[][];
}

/** The value kept for a list of alternatives written the same way, made once. */
function shared<T>(memo: Map<string, T>, alternatives: string[][], make: () => T): T {
  const key = alternatives.map((a) => a.join(' ')).join('|');
  let v = memo.get(key);
  if (v === undefined) memo.set(key, (v = make()));
  return v;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V) {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

/** The libraries alone, without the trained second opinion: what the libraries' own tests measure. */
export function compileRulesOnly(set: LexiconSet = loadLexicon()): CompiledLexicon {
  const { model: _model, ...rules } = set;
  return compileLexicon(rules);
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
  const rulesByWord = new Map<string, Rule[]>();
  const expandedGroups = new Map<string, string[][]>();
  const groupIndexes = new Map<string, Map<string, string[][]>>();
  const unlessIndexes = new Map<string, PhraseIndex>();
  for (const lib of set.libraries) {
    libraries.set(lib.risk, lib);
    for (const p of lib.phrases) {
      if (p.match === 'all') {
        const parsed = parseAllWords(p.phrase);
        if (typeof parsed === 'string') continue; // refused when the library was read
        // A group, or a list of exceptions, written the same way in several rules (a shared list such as
        // @secret, named by dozens) is expanded and indexed once and shared: compiled and cached once.
        const groups = parsed.groups.map((g) => shared(expandedGroups, g, () => g.flatMap(expandAlternative)));
        const rule: Rule = {
          groups: groups.map((g) => shared(groupIndexes, g, () => indexGroup(g))), unless: parsed.unless,
          unlessIndex: shared(unlessIndexes, parsed.unless, () => indexPhrases(parsed.unless)), phrase: p, risk: lib.risk, tried: 0,
        };
        // Words typed as one ("wanttodie") are not words to split spaced-out letters into.
        for (const g of parsed.groups) for (const a of g) words.push(...a);
        for (const g of groups) for (const a of g) if (a.length === 1) squashedWords.push(a[0]);
        for (const u of rule.unless) words.push(...u);
        // Indexed by its least common group: most searches hold none of its words, and check no rule.
        // Each alternative is listed under its least common word ("be racist" under "racist"): a search
        // that meets the alternative holds all of its words, so any one of them will do as the key.
        const common = (w: string) => commonWords.has(w) || /^\d+$/.test(w);
        const keyWord = (a: string[]) => a.reduce((best, w) => (common(best) && !common(w)) || (common(best) === common(w) && w.length > best.length) ? w : best);
        const keys = (g: string[][]) => new Set(g.map(keyWord));
        const cost = (g: string[][]) => [...keys(g)].reduce((n, w) => n + (common(w) ? 50 : 1), 0);
        const key = groups.reduce((best, g) => (cost(g) < cost(best) ? g : best));
        for (const w of keys(key)) push(rulesByWord, w, rule);
        continue;
      }
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
  const frames = (set.context.frames ?? []).map((x) => basicTokens(x)).filter((t) => t.length);
  for (const c of frames) words.push(...c);
  // A word hidden with * ("p*ki") is read first as a word the libraries list as a phrase of its own.
  const phraseWords: string[] = [];
  for (const k of byFirst.keys()) if (byFirst.get(k)!.some((e) => e.tokens.length === 1)) phraseWords.push(k);
  const vocab = buildVocabulary(words, set.slang.rules, squashedWords, phraseWords);
  const categoryWords: CompiledLexicon['categoryWords'] = [];
  for (const rule of set.categories.rules) {
    for (const w of rule.words) {
      const t = basicTokens(w).join(' ');
      if (t) categoryWords.push({ risk: rule.risk, severity: rule.severity, word: w, spaced: ` ${t} ` });
    }
  }
  return { set, vocab, byFirst, squashed, longWords, innocent, context, contextIndex: indexPhrases(context), frameIndex: indexPhrases(frames), setting, rulesByWord, bypassHosts, categoryWords, libraries,
    model: set.model ? compileModel(set.model) : null, modelExclusions: (set.exclusions ?? []).map((x) => basicTokens(x)).filter((t) => t.length) };
}

function findSeq(tokens: string[], seq: string[], from = 0): number {
  outer: for (let i = from; i + seq.length <= tokens.length; i++) {
    for (let k = 0; k < seq.length; k++) if (tokens[i + k] !== seq[k]) continue outer;
    return i;
  }
  return -1;
}

interface Hit { entry: Entry; start: number; end: number; /** For an all-words rule: where each group was found. */ spans?: [number, number][] }

/** Where one group of a rule is found: every [start, end) of any of its alternatives. */
function groupSpans(tokens: string[], group: Map<string, string[][]>): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < tokens.length; i++) {
    const alts = group.get(tokens[i]);
    if (!alts) continue;
    next: for (const a of alts) {
      for (let k = 1; k < a.length; k++) if (tokens[i + k] !== a[k]) continue next;
      out.push([i, i + a.length]);
    }
  }
  return out;
}

/** Each group of the rule on words of its own (no word counts for two groups), or null. */
function matchRule(tokens: string[], rule: Rule): [number, number][] | null {
  // Most rules tried fail on a group none of whose first words is in the search: found without building spans.
  for (const g of rule.groups) {
    let any = false;
    for (let i = 0; i < tokens.length; i++) if (g.has(tokens[i])) { any = true; break; }
    if (!any) return null;
  }
  const found: [number, number][][] = [];
  for (const g of rule.groups) {
    const s = groupSpans(tokens, g);
    if (!s.length) return null;
    found.push(s);
  }
  const chosen: [number, number][] = [];
  const place = (i: number): boolean => {
    if (i === found.length) return true;
    for (const s of found[i]) {
      if (chosen.some((c) => s[0] < c[1] && c[0] < s[1])) continue;
      chosen.push(s);
      if (place(i + 1)) return true;
      chosen.pop();
    }
    return false;
  };
  return place(0) ? chosen.slice() : null;
}

/** Every all-words rule met by the tokens. Only rules listed under a word of the search are checked. */
export function findRules(lex: CompiledLexicon, tokens: string[], judged?: { cancelled: boolean }): Hit[] {
  let hits: Hit[] | null = null;
  const search = ++searchCount;
  for (const t of tokens) {
    const rules = lex.rulesByWord.get(t);
    if (!rules) continue;
    for (const r of rules) {
      if (r.tried === search) continue;
      r.tried = search;
      const spans = matchRule(tokens, r);
      if (!spans) continue;
      if (r.unless.length && firstPresentIndexed(tokens, r.unlessIndex) !== null) {
        if (judged) judged.cancelled = true;
        continue;
      }
      const start = Math.min(...spans.map((s) => s[0]));
      const end = Math.max(...spans.map((s) => s[1]));
      (hits ??= []).push({ entry: { tokens: [], phrase: r.phrase, risk: r.risk }, start, end, spans });
    }
  }
  return hits ?? [];
}

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
  // An all-words rule is cancelled when an innocent phrase holds any of the words it matched ("make a bath bomb").
  if (hit.spans) {
    for (const [start, end] of hit.spans) {
      const found = insideInnocent(tokens, { entry: hit.entry, start, end }, phrases);
      if (found) return found;
    }
    return null;
  }
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

/** A list of phrases listed by first word, keeping each one's place in the list. */
interface PhraseIndex { byFirst: Map<string, [number, string[]][]> }

function indexPhrases(phrases: string[][]): PhraseIndex {
  const byFirst = new Map<string, [number, string[]][]>();
  phrases.forEach((p, i) => push(byFirst, p[0], [i, p] as [number, string[]]));
  return { byFirst };
}

/** The phrase of the list (the earliest listed, as firstPresent) found in the tokens, reading each token once. */
function firstPresentIndexed(tokens: string[], index: PhraseIndex): string | null {
  let best: [number, string[]] | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const list = index.byFirst.get(tokens[i]);
    if (!list) continue;
    next: for (const e of list) {
      if (best && e[0] >= best[0]) continue;
      const p = e[1];
      for (let k = 1; k < p.length; k++) if (tokens[i + k] !== p[k]) continue next;
      best = e;
    }
  }
  return best ? best[1].join(' ') : null;
}

/** Words that say someone under age wants what the law keeps from them (drugs, alcohol, vapes, gambling, knives). */
/** Ages under 18 as pupils write them ("im 14", "when your 14", "at 14", "14 year old"), from the shared list "@age". */
const underAge = indexPhrases((wordLists().lists.age ?? []).filter((x) => !/^(for |minor)/.test(x)).map((x) => basicTokens(x)).filter((t) => t.length));
const ageRestricted = new Set<RiskArea>(['drugs', 'gambling', 'violence-weapons']);
/** Words of asking what the law allows ("can you drink alcohol at 16 in a pub"): an age in such a search is not someone seeking the thing. */
const askingTheLaw = [['legal'], ['legally'], ['illegal'], ['allowed'], ['law'], ['laws'], ['in', 'a', 'pub'], ['with', 'a', 'meal'], ['age', 'limit'], ['legal', 'age']];
/** Words of getting hold of something: with a low drugs or gambling word, a pupil trying to get it. */
const obtaining = [['buy'], ['buying'], ['cop'], ['copping'], ['where', 'to', 'get'], ['where', 'can', 'i', 'get'], ['for', 'sale'], ['real', 'money'], ['order', 'online'], ['delivered']];
const obtainRisks = new Set<RiskArea>(['drugs', 'gambling']);

const riskOrder: RiskArea[] = ['illegal-content', 'suicide-self-harm', 'grooming-exploitation', 'extremism', 'violence-weapons', 'eating-disorder', 'sexual-content', 'hate', 'bullying', 'drugs', 'filter-bypass', 'gambling'];

/** The most serious finding in a search, or null when it matches nothing. */
export function assessSearch(lex: CompiledLexicon, query: string): SearchFinding | null {
  const { tokens, disguised, disguises } = normaliseSearch(query, lex.vocab);
  if (!tokens.length) return null;
  const hits = findPhrases(lex, tokens);
  // A rule whose words were all there but whose own exception cancelled it: the libraries judged the search, and the model is not asked.
  const ruleJudged = { cancelled: false };
  if (lex.rulesByWord.size) hits.push(...findRules(lex, tokens, ruleJudged));
  if (!hits.length) return lex.model ? modelFinding(lex, tokens, null, ruleJudged.cancelled || !!firstPresentIndexed(tokens, lex.frameIndex)) : null;
  const context = firstPresentIndexed(tokens, lex.contextIndex);
  const frame = firstPresentIndexed(tokens, lex.frameIndex);
  let best: (SearchFinding & { rank: number; len: number }) | null = null;
  // Whether the libraries judged the search innocent or lowered it on purpose (an innocent phrase, a game, context, a parent's framing): then the model is not asked.
  let judged = !!frame || ruleJudged.cancelled;
  for (const h of hits) {
    if (insideInnocent(tokens, h, lex.innocent.get(h.entry.risk) ?? [])) { judged = true; continue; }
    const p = h.entry.phrase;
    let severity = p.severity;
    let why = h.spans
      ? `matched the words ${h.spans.slice().sort((a, b) => a[0] - b[0]).map(([s, e]) => `"${tokens.slice(s, e).join(' ')}"`).join(' + ')} of the all-words rule "${p.phrase}" (${h.entry.risk}, ${p.severity}${p.intent ? ', method or intent' : ''})`
      : `matched "${p.phrase}" (${h.entry.risk}, ${p.severity}${p.intent ? ', method or intent' : ''})`;
    const setting = firstPresent(tokens, lex.setting.get(h.entry.risk) ?? []);
    if (setting) {
      judged = true;
      severity = 'low';
      why += `, lowered to low: a game or story ("${setting}")`;
    } else if (frame && p.severity !== 'low') {
      judged = true;
      severity = 'low';
      why += `, lowered to low: written for or by a parent or member of staff ("${frame}")`;
    } else if (context && !p.intent && p.severity !== 'low') {
      judged = true;
      severity = 'low';
      why += `, lowered to low by the context word "${context}"`;
    } else if (context && p.intent) {
      why += `; the context word "${context}" does not lower a phrase about method or intent`;
    }
    if (severity === 'low' && p.severity === 'low' && !setting && !context && !frame) {
      // Nobody disguises an innocent search: a word of the libraries typed in disguise ("b0mb",
      // "g u n s") is raised to the queue, as is an age-restricted thing sought by someone under age.
      const age = ageRestricted.has(h.entry.risk) && !firstPresent(tokens, askingTheLaw) ? firstPresentIndexed(tokens, underAge) : null;
      const obtain = obtainRisks.has(h.entry.risk) ? firstPresent(tokens, obtaining) : null;
      if ((h.spans ?? [[h.start, h.end]]).some(([s, e]) => disguised.slice(s, e).some(Boolean))) {
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
    const len = h.spans ? h.spans.reduce((n, [s, e]) => n + e - s, 0) : h.end - h.start;
    if (!best || rank > best.rank || (rank === best.rank && (riskOrder.indexOf(h.entry.risk) < riskOrder.indexOf(best.risk) || (h.entry.risk === best.risk && len > best.len)))) {
      best = { risk: h.entry.risk, severity, phrase: p.phrase, intent: p.intent, reason: `search ${why}`, rank, len };
    }
  }
  if (best && best.rank >= severityRank('medium')) return { risk: best.risk, severity: best.severity, phrase: best.phrase, intent: best.intent, reason: best.reason };
  return modelFinding(lex, tokens, best, judged) ?? (best && { risk: best.risk, severity: best.severity, phrase: best.phrase, intent: best.intent, reason: best.reason });
}

/**
 * The trained second opinion, for a search of enough words that no phrase put in the queue: raised
 * to medium, never higher, when its score passes the threshold. Not for a search written for a
 * parent or member of staff, nor in an educational context (what lowers a phrase keeps the model
 * quiet too), nor one that holds a phrase the school excluded.
 */
function modelFinding(lex: CompiledLexicon, tokens: string[], low: { risk: RiskArea; reason: string } | null, lowered: boolean): SearchFinding | null {
  const m = lex.model;
  if (!m || lowered || tokens.length < m.minWords) return null;
  for (const x of lex.modelExclusions) if (findSeq(tokens, x) !== -1) return null;
  const o = modelOpinion(m, tokens);
  if (o.score <= m.threshold) return null;
  const risk = low?.risk ?? o.risk;
  const words = o.words.length ? `; the words that weighed most: ${o.words.map((w) => `"${w}"`).join(', ')}` : '';
  return {
    risk, severity: 'medium', phrase: '', intent: false,
    reason: `search worded like concerning searches about ${risk} though no phrase put it in the queue (Harbour's trained second opinion, score ${o.score.toFixed(2)} over ${m.threshold})${words}${low ? `; the libraries alone: ${low.reason}` : ''}`,
  };
}
