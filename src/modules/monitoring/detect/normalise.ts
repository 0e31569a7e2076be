// Turns a search as typed into plain words, undoing the ways pupils disguise a search: case,
// accents, look-alike letters, digits and symbols for letters, letters spaced out or repeated,
// punctuation inside words, and slang. Phrases in the libraries go through the same steps, so
// "s.u.i.c.i.d.e", "SU1C1DE", "suiiiicide" and "s u i c i d e" all meet the word "suicide".

/** Letters from other alphabets that look like Latin ones. */
const lookAlikes: Record<string, string> = {
  'а': 'a', 'е': 'e', 'о': 'o', 'р': 'p', 'с': 'c', 'у': 'y', 'х': 'x', 'і': 'i', 'ѕ': 's', 'ј': 'j', 'к': 'k', 'м': 'm', 'т': 't', 'в': 'b', 'н': 'h',
  'α': 'a', 'ε': 'e', 'ο': 'o', 'ρ': 'p', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'τ': 't', 'χ': 'x', 'ß': 'ss', 'æ': 'ae', 'ø': 'o', 'œ': 'oe', 'ł': 'l', 'đ': 'd',
};
/** Digits and symbols used for letters ("leetspeak"). 1 may be i or l: both are tried. */
const leet: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '9': 'g', '@': 'a', '$': 's', '!': 'i', '|': 'l', '€': 'e', '£': 'l', '¡': 'i' };
const leetChars = /[0-9@$!|€£¡]/;
/** A number with an ending or a unit as people write it ("4th", "1990s", "35kg", "500mg", "6ft", "2l"): never a disguise. */
const numberAsWritten = /^\d+(s|st|nd|rd|th|d|k|am|pm|kg|kgs|kilo|kilos|g|mg|mcg|ml|l|cl|cm|mm|m|km|lb|lbs|oz|ft|kcal|cal|cals|p|x|mph|gb|mb|hr|hrs|yo|yr|yrs|min|mins)$/;
/** Characters that separate words. Anything else that is not a letter or digit is dropped from inside a word. */
const separators = /[\s,;:?/\\()[\]{}"<>=&#~`+^%]+/;

export interface SlangRule { from: string; to: string; next?: string[]; near?: string[] }

/** What the normaliser needs to know of the libraries: every word in them, to tell a disguise from an ordinary word. */
export interface Vocabulary {
  words: Set<string>;
  /** The words without multi-word phrases written as one ("selfharm"): what spaced-out letters are split into. */
  plain: Set<string>;
  /** A word with its repeated letters collapsed ("kill" -> "kil"), to the words it may stand for. */
  collapsed: Map<string, string[]>;
  slang: CompiledSlang[];
  /** The slang rules, listed by their first word, in the order the library gives them. */
  slangByFirst: Map<string, CompiledSlang[]>;
  /** One-word slang of three letters or more that may be run together with a word ("pronhub"). */
  prefixSlang: CompiledSlang[];
  /** Words the libraries list as a phrase of their own ("paki", "porn"): what a word hidden with * is read as first. */
  phraseWords: Set<string>;
  /** Long words of the libraries (8 letters or more) with two letters next to each other swapped ("unblokced"), to the word meant. */
  swapped: Map<string, string>;
}

interface CompiledSlang { from: string[]; to: string[]; next?: Set<string>; near?: Set<string> }

export function collapseRepeats(word: string): string {
  return word.replace(/(.)\1+/g, '$1');
}

export function buildVocabulary(words: Iterable<string>, slang: SlangRule[], squashed: Iterable<string> = [], phraseWords: Iterable<string> = []): Vocabulary {
  const set = new Set<string>();
  for (const w of words) if (w) set.add(w);
  for (const r of slang) for (const w of basicTokens(r.from)) set.add(w);
  const plain = new Set(set);
  for (const w of squashed) set.add(w);
  const collapsed = new Map<string, string[]>();
  for (const w of set) {
    if (!/[a-z]/.test(w)) continue;
    const c = collapseRepeats(w);
    const list = collapsed.get(c);
    if (list) list.push(w);
    else collapsed.set(c, [w]);
  }
  const compiled: CompiledSlang[] = slang.map((r) => ({ from: basicTokens(r.from), to: basicTokens(r.to), next: r.next ? new Set(r.next) : undefined, near: r.near ? new Set(r.near) : undefined }));
  const slangByFirst = new Map<string, CompiledSlang[]>();
  for (const r of compiled) {
    if (!r.from.length) continue;
    const l = slangByFirst.get(r.from[0]);
    if (l) l.push(r);
    else slangByFirst.set(r.from[0], [r]);
  }
  const prefixSlang = compiled.filter((r) => r.from.length === 1 && !r.next && !r.near && r.from[0].length >= 3);
  // A typo of a long word: two consonants next to each other swapped ("unblokced"). Only words of 8 letters
  // or more, and only consonants: English words that differ by two swapped letters swap a vowel
  // ("discrete" and "discreet", "complaint" and "compliant"). A form two words could give is left alone.
  const swapped = new Map<string, string>();
  const ambiguous = new Set<string>();
  for (const w of plain) {
    if (w.length < 8 || !/^[a-z]+$/.test(w)) continue;
    for (let i = 0; i + 1 < w.length; i++) {
      if (w[i] === w[i + 1] || /[aeiouy]/.test(w[i]) || /[aeiouy]/.test(w[i + 1])) continue;
      const t = w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2);
      if (set.has(t)) continue;
      const had = swapped.get(t);
      if (had !== undefined && had !== w) ambiguous.add(t);
      else swapped.set(t, w);
    }
  }
  for (const t of ambiguous) swapped.delete(t);
  return { words: set, plain, collapsed, slang: compiled, slangByFirst, prefixSlang, phraseWords: new Set(phraseWords), swapped };
}

/** Lower case, accents and look-alike letters removed. */
export function foldCase(text: string): string {
  const lower = text.toLowerCase();
  // Plain ASCII has no accents to remove (most searches): skip the Unicode work.
  if (!/[^\x00-\x7f]/.test(lower)) return lower;
  let s = lower.normalize('NFKD').replace(/\p{M}/gu, '');
  if (/[^\x00-\x7f]/.test(s)) s = s.replace(/[^\x00-\x7f]/g, (ch) => lookAlikes[ch] ?? ch);
  return s;
}

/** Plain tokens with no disguise handling: for phrases in the libraries and for category names. */
export function basicTokens(text: string): string[] {
  return foldCase(text).split(separators).map((t) => t.replace(/[^a-z0-9]/g, '')).filter(Boolean);
}

export interface Normalised {
  tokens: string[];
  /** For each token, whether it was typed in disguise (digits or symbols for letters, spaced out, punctuation inside, letters hidden with *, repeated letters). */
  disguised: boolean[];
  /** What was undone, for the alert's reason ("digits for letters", "spaced-out letters"...). */
  disguises: string[];
}

/** "s.u.i.c.i.d.e" is a disguise; "self-harm" or "don't" is how people write. */
function punctuationDisguise(t: string): boolean {
  if (!/[a-z][^a-z0-9]+[a-z]/.test(t)) return false;
  const marks = t.match(/[^a-z0-9]/g) ?? [];
  return marks.length >= 2 || /[^a-z0-9'’-]/.test(t);
}

function undisguiseToken(raw: string, vocab: Vocabulary, found: Set<string>): string {
  // Most words are plain letters: a word of the libraries, or an ordinary word with nothing to undo.
  const simple = /^[a-z]+$/.test(raw);
  if (simple && vocab.words.has(raw)) return raw;
  // Trim punctuation at the ends, keeping a leading $ or @ that may stand for a letter.
  const t = simple ? raw : raw.replace(/^[^a-z0-9$@|!]+/, '').replace(/[^a-z0-9$@]+$/, '');
  if (!t) return '';
  const plain = simple ? raw : t.replace(/[^a-z0-9]/g, '');
  if (t.includes('*')) {
    const u = uncensor(t, vocab);
    if (u) {
      found.add('letters hidden with *');
      return u;
    }
  }
  if (vocab.words.has(plain)) {
    if (punctuationDisguise(t)) found.add('punctuation inside a word');
    return plain;
  }
  let word = plain;
  // "18s", "1990s", "4th", "3d", "10am", "35kg", "500mg", "6ft": numbers as people write them, with their
  // units, not digits for letters ("35kg" is not "eskg").
  if (numberAsWritten.test(plain)) return plain;
  if (/[a-z]/.test(t) && leetChars.test(t)) {
    const asI = t.replace(/[0-9@$!|€£¡]/g, (c) => leet[c] ?? c).replace(/[^a-z0-9]/g, '');
    const asL = t.replace(/1/g, 'l').replace(/[0-9@$!|€£¡]/g, (c) => leet[c] ?? c).replace(/[^a-z0-9]/g, '');
    word = vocab.words.has(asI) ? asI : vocab.words.has(asL) ? asL : asI;
    if (word !== plain) found.add('digits or symbols for letters');
  } else if (punctuationDisguise(t)) {
    found.add('punctuation inside a word');
  }
  if (!vocab.words.has(word) && /([a-z])\1/.test(word)) {
    const candidates = vocab.collapsed.get(collapseRepeats(word));
    // A letter typed three times or more ("suiiicide") is a disguise; a doubled letter is often just
    // spelling ("marry" is not "mary"), so it is undone only into a word the libraries list as a phrase of its own.
    const tripled = /([a-z])\1\1/.test(word);
    const match = candidates?.find((c) => c.length < word.length && (tripled || (c.length >= 4 && vocab.phraseWords.has(c))));
    if (match) {
      found.add('repeated letters');
      word = match;
    }
  }
  // A z for the s of a plural ("gunz", "drugz", "pillz"): read as the plural when that is a word of the libraries.
  if (!vocab.words.has(word) && word.length >= 4 && word.endsWith('z') && vocab.words.has(`${word.slice(0, -1)}s`)) {
    found.add('z for s');
    return `${word.slice(0, -1)}s`;
  }
  // Two letters swapped in a long word ("unblokced"): a typo, not a disguise, read as the word meant.
  if (!vocab.words.has(word) && word.length >= 8) {
    const meant = vocab.swapped.get(word);
    if (meant) {
      found.add('letters swapped (a typo)');
      return meant;
    }
  }
  // A slang word run together with a word ("pronhub"): replaced when what results is a word of the libraries.
  if (!vocab.words.has(word) && word.length >= 6) {
    for (const rule of vocab.prefixSlang) {
      const from = rule.from[0];
      if (!word.startsWith(from)) continue;
      const candidate = rule.to.join('') + word.slice(from.length);
      if (vocab.words.has(candidate)) {
        found.add(`slang ("${from}")`);
        return candidate;
      }
    }
  }
  return word;
}

/** The word of the libraries that a word is an inflection of ("purging" of purge, "cutting" of cut, "starved" of starve), or null. */
export function inflectionOf(word: string, vocab: Vocabulary): string | null {
  for (const end of ['ing', 'ed', 'es', 's', 'er', 'ers']) {
    if (word.length < end.length + 3 || !word.endsWith(end)) continue;
    const stem = word.slice(0, -end.length);
    const tries = [stem, `${stem}e`];
    // A doubled last letter ("cutting", "stabbed"), or y for i ("cried").
    if (stem.length >= 3 && stem[stem.length - 1] === stem[stem.length - 2]) tries.push(stem.slice(0, -1));
    if (stem.endsWith('i')) tries.push(`${stem.slice(0, -1)}y`);
    for (const t of tries) if (t.length >= 3 && vocab.plain.has(t)) return t;
  }
  return null;
}

/** Splits a run of letters into the libraries' words ("iwanttodie" -> i want to die), or null. */
export function segment(run: string, vocab: Vocabulary): string[] | null {
  if (run.length > 60) return null;
  const best: (string[] | null)[] = new Array(run.length + 1).fill(null);
  best[0] = [];
  for (let i = 1; i <= run.length; i++) {
    for (let j = Math.max(0, i - 20); j < i; j++) {
      const prev = best[j];
      if (!prev) continue;
      const w = run.slice(j, i);
      if (!vocab.plain.has(w)) continue;
      if (!best[i] || prev.length + 1 < best[i]!.length) best[i] = [...prev, w];
    }
  }
  return best[run.length];
}

/**
 * A censored word ("p*rn"): each * stands for one letter; the one word of the libraries it fits, or
 * null. Words listed as phrases of their own ("paki") are tried first, then words written in the
 * libraries ("poki" only in a rule), then every form the rules accept ("pokis").
 */
function uncensor(t: string, vocab: Vocabulary): string | null {
  if (!/^[a-z*]+$/.test(t) || !/[a-z]/.test(t) || t.length < 3) return null;
  const re = new RegExp(`^${t.replace(/\*/g, '[a-z]')}$`);
  for (const words of [vocab.phraseWords, vocab.plain, vocab.words]) {
    let found: string | null = null;
    let several = false;
    for (const w of words) {
      if (w.length === t.length && re.test(w)) {
        if (found) { several = true; break; }
        found = w;
      }
    }
    if (several) return null; // more than one fits: leave it
    if (found) return found;
  }
  return null;
}

/** Normalises a search (already decoded from the URL) into plain tokens. */
/** Emoji that sellers and buyers use for what the words would give away ("menu 🍃🍄"), read as those words. */
const emojiWords: Record<string, string> = {
  '🔌': 'plug', '🍃': 'weed', '🌿': 'weed', '🍁': 'weed', '🥦': 'weed', '🍄': 'shrooms', '💊': 'pills', '❄': 'snow', '⛄': 'snow',
  '🔪': 'knife', '🗡': 'knife', '🔫': 'gun', '🎰': 'slots',
};
const emojiPattern = new RegExp(`(${Object.keys(emojiWords).join('|')})\\uFE0F?`, 'gu');

export function normaliseSearch(text: string, vocab: Vocabulary): Normalised {
  const found = new Set<string>();
  if (/[^\x00-\x7f]/.test(text)) {
    const words = text.replace(emojiPattern, (_, e: string) => ` ${emojiWords[e]} `);
    if (words !== text) found.add('emoji read as words');
    text = words;
  }
  const folded = foldCase(text);
  if (folded !== text.toLowerCase()) found.add('accents or look-alike letters');
  let tokens: string[] = [];
  let flags: boolean[] = [];
  const own = new Set<string>();
  for (const raw of folded.split(separators)) {
    // Each token is judged on its own: what it needed undoing, then added to the search's list.
    own.clear();
    // A symbol on its own for a letter, in letters spaced out ("$ u i c i d e").
    const w = raw.length === 1 && /[$@!|€£¡]/.test(raw) ? leet[raw] : undisguiseToken(raw, vocab, own);
    // Which disguises count as typed on purpose (accents and slang are how people write).
    let ownDeliberate = false;
    for (const d of own) {
      found.add(d);
      if (!d.startsWith('slang') && d !== 'accents or look-alike letters' && d !== 'letters swapped (a typo)') ownDeliberate = true;
    }
    if (!w) continue;
    tokens.push(w);
    flags.push(ownDeliberate);
  }

  // Letters spaced out ("s u i c i d e"): a run of three or more one-letter tokens is one word.
  const joined: string[] = [];
  const joinedFlags: boolean[] = [];
  for (let i = 0; i < tokens.length; ) {
    let j = i;
    while (j < tokens.length && tokens[j].length === 1 && /[a-z]/.test(tokens[j])) j++;
    if (j - i >= 3) {
      const word = undisguiseToken(tokens.slice(i, j).join(''), vocab, found);
      // "i w a n t t o d i e" loses its word breaks: find them again from the libraries' words.
      // A word of the libraries with an ending added ("p u r g i n g", "s t a r v e d") is one word, not split.
      const words = vocab.words.has(word) || inflectionOf(word, vocab) ? [word] : segment(word, vocab) ?? [word];
      joined.push(...words);
      joinedFlags.push(...words.map(() => true));
      found.add('letters spaced out');
      i = j;
    } else {
      joined.push(tokens[i]);
      joinedFlags.push(flags[i]);
      i++;
    }
  }
  tokens = joined;
  flags = joinedFlags;

  // Slang to plain meaning.
  if (vocab.slang.length) {
    const out: string[] = [];
    const outFlags: boolean[] = [];
    for (let i = 0; i < tokens.length; ) {
      let applied = false;
      for (const rule of vocab.slangByFirst.get(tokens[i]) ?? []) {
        const n = rule.from.length;
        let ok = true;
        for (let k = 1; k < n; k++) if (tokens[i + k] !== rule.from[k]) { ok = false; break; }
        if (!ok) continue;
        if (rule.next && !(i + n < tokens.length && rule.next.has(tokens[i + n]))) continue;
        // A word typed in disguise ("sn0w", "c0rn") needs no neighbour to show its slang sense: nobody disguises the plain one.
        if (rule.near && !flags.slice(i, i + n).some(Boolean) && !((i > 0 && rule.near.has(tokens[i - 1])) || (i + n < tokens.length && rule.near.has(tokens[i + n])))) continue;
        out.push(...rule.to);
        const was = flags.slice(i, i + n).some(Boolean);
        outFlags.push(...rule.to.map(() => was));
        // A rule that keeps the words as they are ("my self" before "harm") only stops a later one: nothing was undone.
        if (rule.to.join(' ') !== rule.from.join(' ')) found.add(`slang ("${rule.from.join(' ')}")`);
        i += n;
        applied = true;
        break;
      }
      if (!applied) {
        out.push(tokens[i]);
        outFlags.push(flags[i]);
        i++;
      }
    }
    tokens = out;
    flags = outFlags;
  }
  return { tokens, disguised: flags, disguises: [...found] };
}
