// A school's phrase libraries: Harbour's own, with the school's additions and without its
// exclusions (monitoring_phrases), compiled for the detector.
import type { Queryable } from '../../platform/db/database';
import { schoolScope } from '../../platform/db/scope';
import { compileLexicon, type CompiledLexicon } from './detect/matcher';
import { basicTokens } from './detect/normalise';
import { loadLexicon, type LexiconSet } from './lexicon/index';
import type { ListedPhrase } from './lexicon/csv';
import type { RiskArea, Severity } from './types';

export interface SchoolPhrase {
  id: string;
  action: 'add' | 'exclude';
  risk: RiskArea;
  phrase: string;
  severity: Severity;
  match: 'word' | 'phrase' | 'all';
  intent: boolean;
  reason: string;
}

let defaultCompiled: CompiledLexicon | null = null;

const phraseKey = (risk: string, phrase: string) => `${risk}\u0000${basicTokens(phrase).join(' ')}`;

/** The school's current additions and exclusions. */
export async function schoolPhrases(db: Queryable, schoolId: string): Promise<SchoolPhrase[]> {
  return schoolScope(db, schoolId).sql<SchoolPhrase>(
    'select id, action, risk, phrase, severity, match, intent, reason from monitoring_phrases where school_id = :school and removed_at is null order by risk, phrase');
}

/**
 * The phrase list a school's logs are read with, as rows: Harbour's phrases less the school's
 * exclusions, then the school's additions, then the exclusions themselves (action "exclude"), so
 * importing the file elsewhere gives the same effective libraries.
 */
export function effectiveLibraryRows(rows: SchoolPhrase[], base: LexiconSet = loadLexicon()): ListedPhrase[] {
  const excluded = new Set(rows.filter((r) => r.action === 'exclude').map((r) => phraseKey(r.risk, r.phrase)));
  const out: ListedPhrase[] = [];
  for (const l of base.libraries) {
    for (const p of l.phrases) if (!excluded.has(phraseKey(l.risk, p.phrase))) out.push({ risk: l.risk, phrase: p.phrase, severity: p.severity, match: p.match, intent: p.intent, action: 'alert' });
    for (const r of rows) if (r.action === 'add' && r.risk === l.risk) out.push({ risk: r.risk, phrase: r.phrase, severity: r.severity, match: r.match, intent: r.intent, action: 'alert' });
  }
  for (const r of rows) if (r.action === 'exclude') out.push({ risk: r.risk, phrase: r.phrase, severity: r.severity, match: r.match, intent: r.intent, action: 'exclude' });
  return out;
}

/** The libraries a school's logs are read with. */
export async function schoolLexicon(db: Queryable, schoolId: string): Promise<CompiledLexicon> {
  const rows = await schoolPhrases(db, schoolId);
  if (!rows.length) return (defaultCompiled ??= compileLexicon());
  const base = loadLexicon();
  const excluded = new Set(rows.filter((r) => r.action === 'exclude').map((r) => phraseKey(r.risk, r.phrase)));
  const libraries = base.libraries.map((l) => ({
    ...l,
    phrases: [
      ...l.phrases.filter((p) => !excluded.has(phraseKey(l.risk, p.phrase))),
      ...rows.filter((r) => r.action === 'add' && r.risk === l.risk).map((r) => ({ phrase: r.phrase, severity: r.severity, match: r.match, intent: r.intent })),
    ],
    // An excluded phrase also stops the all-words rules whose words it holds ("unblocked games").
    innocent: [...l.innocent, ...rows.filter((r) => r.action === 'exclude' && r.risk === l.risk && r.match !== 'all').map((r) => r.phrase)],
  }));
  // The trained second opinion stays quiet on a search holding a phrase the school excluded.
  return compileLexicon({ ...base, libraries, exclusions: rows.filter((r) => r.action === 'exclude' && r.match !== 'all').map((r) => r.phrase) });
}
