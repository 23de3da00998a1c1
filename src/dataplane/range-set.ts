/**
 * A set of non-negative integers stored as sorted disjoint ranges (pure). Keeps the `none`
 * dataplane's bookkeeping O(batches), not O(VMs), so a node can emulate millions of VMs.
 */
export type Range = [from: number, count: number];

export function addRange(set: readonly Range[], from: number, count: number): Range[] {
  if (count <= 0) return [...set];
  let lo = from;
  let hi = from + count; // exclusive
  const out: Range[] = [];
  for (const [f, c] of set) {
    const e = f + c;
    if (e < lo || f > hi) out.push([f, c]);
    else {
      lo = Math.min(lo, f);
      hi = Math.max(hi, e);
    }
  }
  out.push([lo, hi - lo]);
  return out.sort((a, b) => a[0] - b[0]);
}

export function removeRange(set: readonly Range[], from: number, count: number): Range[] {
  const hi = from + count;
  const out: Range[] = [];
  for (const [f, c] of set) {
    const e = f + c;
    if (e <= from || f >= hi) {
      out.push([f, c]);
      continue;
    }
    if (f < from) out.push([f, from - f]);
    if (e > hi) out.push([hi, e - hi]);
  }
  return out;
}

export function rangeCount(set: readonly Range[]): number {
  return set.reduce((n, [, c]) => n + c, 0);
}
