/** "Did you mean …?" for mistyped commands, subcommands and options. */

/**
 * The known name nearest to a mistyped one: the only one it abbreviates, else the only one with the same stem,
 * else the closest within a few edits (a quarter of the name, at least 1).
 * @example nearest('finding', ['findings', 'input']) // 'findings'
 */
export function nearest(name: string, known: readonly string[]): string | undefined {
  const typed = name.toLowerCase();
  const prefixed = known.filter((k) => k.startsWith(typed));
  if (typed.length >= 2 && prefixed.length === 1) return prefixed[0];
  // Same stem, another ending (`--repository` for `--repositories`).
  const stem = known.filter((k) => commonPrefix(typed, k) >= Math.max(4, typed.length - 2));
  if (stem.length === 1) return stem[0];
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = editDistance(typed, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(typed.length / 4)) ? best : undefined;
}

/** Levenshtein distance, with a swap of two neighbouring characters counted as one edit. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = rows[i] as number[];
      const up = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = d;
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}

function commonPrefix(a: string, b: string): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}
