/**
 * "Did you mean …?" for a word the user typed that names nothing (a subcommand, an option, a key
 * of the mapping file): the closest known word, or none when nothing is close enough to be a typo.
 */

/**
 * Edit distance where swapping two neighbouring letters counts as one edit (`chekc` → `check` is
 * 1), as typos go (optimal string alignment distance).
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** How many edits a word of this length may be off and still count as a typo of another. */
function tolerance(length: number): number {
  return length <= 4 ? 1 : 2;
}

/**
 * The known word `typed` is most likely a typo of, or undefined. Close means: few edits for its
 * length (case ignored), or one word starting with the other (`enviroment` → `env`,
 * `--env` → `--env-file`) when the shorter has at least three letters. Ties go to the first
 * candidate, so list the likelier words first.
 */
export function closest(typed: string, candidates: Iterable<string>): string | undefined {
  const word = typed.toLowerCase();
  if (word === "") return undefined;
  let best: { candidate: string; score: number } | undefined;
  for (const candidate of candidates) {
    const known = candidate.toLowerCase();
    if (known === word) continue;
    const distance = editDistance(word, known);
    let score = distance <= tolerance(Math.min(word.length, known.length)) ? distance : Infinity;
    const [shorter, longer] = word.length <= known.length ? [word, known] : [known, word];
    if (shorter.length >= 3 && longer.startsWith(shorter)) score = Math.min(score, 3);
    if (score !== Infinity && (best === undefined || score < best.score)) best = { candidate, score };
  }
  return best?.candidate;
}

/**
 * The key of a secret `typed` most likely meant (a key name only, never a value): one that
 * differs from it only in case first (keys are case-sensitive, so `#Password` misses `password`),
 * else the closest() one.
 */
export function closestKey(typed: string, keys: Iterable<string>): string | undefined {
  const list = [...keys];
  const lower = typed.toLowerCase();
  return list.find((key) => key !== typed && key.toLowerCase() === lower) ?? closest(typed, list);
}
