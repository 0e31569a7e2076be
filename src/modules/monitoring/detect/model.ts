// A second opinion beside the phrase libraries: a logistic regression over the words and word
// pairs of a normalised search, trained (scripts/train-monitor.ts) on Harbour's labelled searches.
// The libraries say exactly why they fire and a school can change them; but however many phrasings
// they list, a new set of searches always brings wordings they lack (see docs/monitoring.md). The
// model has learnt which words, and pairs of words, concerning searches share with each other and
// not with their innocent look-alikes, so it can put a search worded in a new way in the queue.
//
// It is kept to a modest part: it only ever raises a search of three words or more that no phrase
// put in the queue, only to medium (the lead's queue, nobody told at once), and its reason names
// the words that weighed most, so the lead can see why. A school's own exclusion of a phrase stops
// it too (school-lexicon.ts). Training is deterministic: the same labelled rows and libraries give
// the same model, byte for byte, which a test checks against the shipped file.
import type { RiskArea } from '../types';

export interface SearchModel {
  version: string;
  about: string;
  /** What it was trained on, for the record. */
  trained: { rows: number; concerning: number; innocent: number; splits: string[]; libraries: string };
  /** A search scoring above this (0 to 1) is raised to medium. */
  threshold: number;
  /** Searches of fewer words are left to the libraries alone. */
  minWords: number;
  bias: number;
  weights: Record<string, number>;
  /** Which risk area a raised search is most like: naive Bayes log-probabilities per area, and a default for words it has not seen. */
  areas: { risk: RiskArea; prior: number; unseen: number; words: Record<string, number> }[];
}

/** The model made ready to score: weights in maps. */
export interface CompiledModel {
  threshold: number;
  minWords: number;
  bias: number;
  weights: Map<string, number>;
  areas: { risk: RiskArea; prior: number; unseen: number; words: Map<string, number> }[];
}

/** A search's features: its words, and each pair of words in a row ("kill_myself"). */
export function modelFeatures(tokens: string[]): string[] {
  const out = new Set<string>(tokens);
  for (let i = 0; i + 1 < tokens.length; i++) out.add(`${tokens[i]}_${tokens[i + 1]}`);
  return [...out];
}

export function compileModel(m: SearchModel): CompiledModel {
  return {
    threshold: m.threshold, minWords: m.minWords, bias: m.bias, weights: new Map(Object.entries(m.weights)),
    areas: m.areas.map((a) => ({ risk: a.risk, prior: a.prior, unseen: a.unseen, words: new Map(Object.entries(a.words)) })),
  };
}

export interface ModelOpinion { score: number; risk: RiskArea; words: string[] }

const sigmoid = (z: number) => 1 / (1 + Math.exp(-Math.max(-30, Math.min(30, z))));

/** The model's score for a search (0 to 1), the area it is most like and the words that weighed most for it. */
export function modelOpinion(m: CompiledModel, tokens: string[]): ModelOpinion {
  const feats = modelFeatures(tokens);
  let z = m.bias;
  const weighed: [string, number][] = [];
  for (const f of feats) {
    const w = m.weights.get(f);
    if (w === undefined) continue;
    z += w;
    if (w > 0) weighed.push([f, w]);
  }
  let best = m.areas[0];
  let bestScore = -Infinity;
  for (const a of m.areas) {
    let s = a.prior;
    for (const t of tokens) s += a.words.get(t) ?? a.unseen;
    if (s > bestScore) { bestScore = s; best = a; }
  }
  weighed.sort((a, b) => b[1] - a[1]);
  return { score: sigmoid(z), risk: best.risk, words: weighed.slice(0, 3).map(([f]) => f.replace('_', ' ')) };
}

/** A small deterministic random sequence (for the training order). */
function seeded(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

export interface TrainingRow { tokens: string[]; concerning: boolean; risk: RiskArea | null }

/**
 * Trains the model: logistic regression by AdaGrad with a little L2 (0.0001 unless told), 30 passes in a seeded order;
 * weights under 0.001 are dropped and the rest kept to four decimal places. The area model counts
 * the words of the concerning rows whose area the libraries named.
 */
export function trainModel(rows: TrainingRow[], opts: { threshold: number; minWords: number; epochs?: number; l2?: number; rate?: number; seed?: number }): Pick<SearchModel, 'threshold' | 'minWords' | 'bias' | 'weights' | 'areas'> {
  const { epochs = 30, l2 = 1e-4, rate = 0.5, seed = 20261205 } = opts;
  const data = rows.map((r) => ({ f: modelFeatures(r.tokens), y: r.concerning ? 1 : 0 }));
  const w = new Map<string, number>();
  const g2 = new Map<string, number>();
  let bias = 0;
  const random = seeded(seed);
  const order = data.map((_, i) => i);
  for (let e = 0; e < epochs; e++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const k of order) {
      const { f, y } = data[k];
      let z = bias;
      for (const x of f) z += w.get(x) ?? 0;
      const g = sigmoid(z) - y;
      bias -= 0.1 * g;
      for (const x of f) {
        const wx = w.get(x) ?? 0;
        const gg = g + l2 * wx;
        const acc = (g2.get(x) ?? 1e-8) + gg * gg;
        g2.set(x, acc);
        w.set(x, wx - (rate * gg) / Math.sqrt(acc));
      }
    }
  }
  const weights: Record<string, number> = {};
  for (const [k, v] of [...w.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    if (Math.abs(v) >= 0.001) weights[k] = Math.round(v * 10000) / 10000;
  }
  // Areas: multinomial naive Bayes over the words of the concerning rows the libraries gave an area.
  const counts = new Map<RiskArea, Map<string, number>>();
  const docs = new Map<RiskArea, number>();
  const vocab = new Set<string>();
  for (const r of rows) {
    if (!r.concerning || !r.risk) continue;
    docs.set(r.risk, (docs.get(r.risk) ?? 0) + 1);
    const c = counts.get(r.risk) ?? new Map<string, number>();
    counts.set(r.risk, c);
    for (const t of r.tokens) { c.set(t, (c.get(t) ?? 0) + 1); vocab.add(t); }
  }
  const totalDocs = [...docs.values()].reduce((a, b) => a + b, 0);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const areas = [...counts.keys()].sort().map((risk) => {
    const c = counts.get(risk)!;
    const total = [...c.values()].reduce((a, b) => a + b, 0);
    const denominator = total + vocab.size;
    const words: Record<string, number> = {};
    for (const [t, n] of [...c.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) words[t] = round(Math.log((n + 1) / denominator));
    return { risk, prior: round(Math.log(docs.get(risk)! / totalDocs)), unseen: round(Math.log(1 / denominator)), words };
  });
  return { threshold: opts.threshold, minWords: opts.minWords, bias: Math.round(bias * 10000) / 10000, weights, areas };
}
