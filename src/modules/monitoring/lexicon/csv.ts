// Phrase lists in and out as CSV, in two shapes: Harbour's own
// (risk, phrase, severity, match, intent, action) and the column shape monitoring products such
// as Senso use (Phrase, Context, Action, Severity, Screenshot, Match, Type), so a school can bring
// the lists it already has. Storing a school's additions and exclusions comes with the database half.
import { parse } from 'csv-parse/sync';
import { toCsv } from '../../../platform/csv/write';
import { basicTokens } from '../detect/normalise';
import { isRiskArea, isSeverity, riskAreas, severities, type RiskArea, type Severity } from '../types';
import { allWordsExample, loadLexicon, parseAllWords, type MatchType, type PhraseLibrary } from './index';

/** One phrase as a list carries it. action "exclude" means the school does not want it matched. */
export interface ListedPhrase {
  risk: RiskArea;
  phrase: string;
  severity: Severity;
  match: MatchType;
  intent: boolean;
  action: 'alert' | 'exclude';
  screenshot?: boolean;
}

export interface ImportProblem { row: number; field: string; message: string }
export interface ImportResult { phrases: ListedPhrase[]; problems: ImportProblem[]; shape: 'harbour' | 'senso' }

/** The longest phrase or all-words rule a list may carry (as the school's table allows). */
export const maxPhraseLength = 2000;

export const harbourColumns = ['risk', 'phrase', 'severity', 'match', 'intent', 'action'];
export const sensoColumns = ['Phrase', 'Context', 'Action', 'Severity', 'Screenshot', 'Match', 'Type'];

const titleCase = (s: string) => s[0].toUpperCase() + s.slice(1);

/** Phrases of libraries as ListedPhrase rows. */
export function libraryRows(libraries: PhraseLibrary[] = loadLexicon().libraries): ListedPhrase[] {
  return libraries.flatMap((l) => l.phrases.map((p) => ({ risk: l.risk, phrase: p.phrase, severity: p.severity, match: p.match, intent: p.intent, action: 'alert' as const })));
}

/** Harbour's own shape. */
export function exportHarbourCsv(rows: ListedPhrase[]): string {
  return toCsv(harbourColumns, rows.map((r) => [r.risk, r.phrase, r.severity, r.match, r.intent ? 'yes' : 'no', r.action]));
}

/**
 * Senso's column shape. Context holds the risk area's identifier; Match says Whole word, Phrase or
 * All words (an all-words rule: "pills | tablets + lethal | how many"); Type says Keyword, Phrase,
 * or Intent for a method-or-intent phrase or rule.
 */
export function exportSensoCsv(rows: ListedPhrase[]): string {
  return toCsv(sensoColumns, rows.map((r) => [
    r.phrase, r.risk, r.action === 'exclude' ? 'Ignore' : 'Alert', titleCase(r.severity), r.screenshot ? 'Yes' : 'No',
    r.match === 'word' ? 'Whole word' : r.match === 'all' ? 'All words' : 'Phrase', r.intent ? 'Intent' : r.match === 'word' ? 'Keyword' : 'Phrase',
  ]));
}

/** Reads a risk area from an identifier, a library title, or the words other products use ("Self Harm", "Adult Content"). */
export function readRiskArea(text: string): RiskArea | null {
  const t = text.trim().toLowerCase();
  if (isRiskArea(t)) return t;
  const lib = loadLexicon();
  const byTitle = lib.libraries.find((l) => l.title.toLowerCase() === t);
  if (byTitle) return byTitle.risk;
  const joined = ` ${basicTokens(t).join(' ')} `;
  for (const rule of lib.categories.rules) {
    for (const w of rule.words) if (joined.includes(` ${basicTokens(w).join(' ')} `)) return rule.risk;
  }
  const extra: [RegExp, RiskArea][] = [
    [/suicid|self.?harm/, 'suicide-self-harm'], [/eating|anorex|bulim/, 'eating-disorder'], [/radical|terror|extrem/, 'extremism'],
    [/hate|racis|homophob|discriminat/, 'hate'], [/sexual|porn|adult|nud/, 'sexual-content'], [/groom|exploit|cse|sextort/, 'grooming-exploitation'],
    [/bully/, 'bullying'], [/violen|weapon|knife|gun/, 'violence-weapons'], [/drug|alcohol|vap|substance/, 'drugs'], [/gambl|betting/, 'gambling'],
    [/proxy|vpn|bypass|circumvent|filter/, 'filter-bypass'], [/illegal|iwf|csam|child abuse/, 'illegal-content'],
  ];
  for (const [re, risk] of extra) if (re.test(t)) return risk;
  return null;
}

function readSeverity(text: string): Severity | null {
  const t = text.trim().toLowerCase();
  if (isSeverity(t)) return t;
  if (/^[1-4]$/.test(t)) return severities[Number(t) - 1];
  if (t === 'severe' || t === 'urgent') return 'critical';
  if (t === 'moderate') return 'medium';
  return null;
}

const yes = (s: string | undefined) => /^(yes|y|true|1)$/i.test((s ?? '').trim());
/** A cell our CSV writer protected with a leading apostrophe comes back as typed. */
const unprotect = (s: string) => (/^'[=+\-@\t\r]/.test(s) ? s.slice(1) : s);

/** Reads a phrase list in either shape (told apart by the header). Rows with problems are left out and named. */
export function importPhraseCsv(text: string): ImportResult {
  const records: string[][] = parse(text.replace(/^\ufeff/, ''), { relax_column_count: true, skip_empty_lines: true });
  const problems: ImportProblem[] = [];
  const phrases: ListedPhrase[] = [];
  if (!records.length) return { phrases, problems: [{ row: 1, field: 'file', message: 'the file is empty' }], shape: 'harbour' };
  const header = records[0].map((h) => h.trim().toLowerCase());
  const senso = header.includes('context') && header.includes('phrase');
  const col = (name: string) => header.indexOf(name.toLowerCase());
  const need = senso ? ['phrase', 'context'] : ['risk', 'phrase', 'severity'];
  const missing = need.filter((n) => col(n) === -1);
  if (missing.length) return { phrases, problems: [{ row: 1, field: 'header', message: `missing column${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}` }], shape: senso ? 'senso' : 'harbour' };
  records.slice(1).forEach((r, i) => {
    const row = i + 2;
    const cell = (name: string) => { const c = col(name); return c === -1 ? '' : unprotect((r[c] ?? '').trim()); };
    const phrase = cell('phrase').replace(/\s+/g, ' ');
    if (!phrase) return problems.push({ row, field: 'phrase', message: 'no phrase' });
    if (phrase.length > maxPhraseLength) return problems.push({ row, field: senso ? 'Phrase' : 'phrase', message: `the phrase is ${phrase.length} characters long; the most is ${maxPhraseLength}` });
    const risk = readRiskArea(senso ? cell('context') : cell('risk'));
    if (!risk) return problems.push({ row, field: senso ? 'Context' : 'risk', message: `"${senso ? cell('context') : cell('risk')}" is not a risk area Harbour knows (${riskAreas.join(', ')})` });
    const sevText = cell('severity');
    const severity = sevText ? readSeverity(sevText) : 'medium';
    if (!severity) return problems.push({ row, field: senso ? 'Severity' : 'severity', message: `"${sevText}" is not a severity (low, medium, high, critical or 1 to 4)` });
    const matchText = cell('match').toLowerCase();
    const typeText = cell('type').toLowerCase();
    const matchField = senso ? 'Match' : 'match';
    // An all-words rule: Match "all" or "all words", or no Match and the phrase written with " + ".
    const allWords = /^all( words)?$/.test(matchText) || (!matchText && / \+ /.test(phrase));
    if (allWords) {
      const rule = parseAllWords(phrase);
      if (typeof rule === 'string') return problems.push({ row, field: matchField, message: `"${phrase}": ${rule}` });
    } else if (/\b(all|any)\b|\+/.test(matchText)) {
      return problems.push({ row, field: matchField, message: `"${cell('match')}" is not a match type Harbour knows (whole word, phrase, or all words with groups written as ${allWordsExample})` });
    }
    let match: MatchType = allWords ? 'all' : phrase.includes(' ') ? 'phrase' : 'word';
    if (!allWords) {
      if (matchText && /partial|contains|anywhere/.test(matchText)) {
        problems.push({ row, field: matchField, message: 'Harbour matches whole words only, so this phrase is read as whole words (a note; the row is kept)' });
      }
      if (/^(word|whole word|whole|exact)$/.test(matchText)) match = 'word';
      else if (matchText === 'phrase' || (!matchText && typeText === 'phrase')) match = 'phrase';
    }
    const actionText = cell('action').toLowerCase();
    const action = /ignore|exclude|allow|whitelist|none|off/.test(actionText) ? 'exclude' : 'alert';
    const intent = senso ? typeText === 'intent' : yes(cell('intent'));
    const item: ListedPhrase = { risk, phrase, severity, match, intent, action };
    if (senso) item.screenshot = yes(cell('screenshot'));
    phrases.push(item);
  });
  return { phrases, problems, shape: senso ? 'senso' : 'harbour' };
}
