// A school's phrase libraries: Harbour's own, with the school's additions and without its
// exclusions (monitoring_phrases), compiled for the detector.
import type { Queryable } from '../../platform/db/database';
import { schoolScope } from '../../platform/db/scope';
import { compileLexicon, type CompiledLexicon } from './detect/matcher';
import { basicTokens } from './detect/normalise';
import { loadLexicon } from './lexicon/index';
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
  return compileLexicon({ ...base, libraries });
}
