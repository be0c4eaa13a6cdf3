// The information-flow invariant's shared arithmetic (docs/properties.md, "Information flow"):
// origin labels and the ghost "flows permitted" relation are bit masks by domid on both sides;
// data may reach domain x from y along any chain of permitted flows (y → … → x).

/** reach[x]: the domains whose data may have reached x, x itself included: the reflexive,
 * transitive closure of `direct` (direct[x] has bit y when a flow y → x was permitted). */
export function flowClosure(direct: readonly number[]): number[] {
  const reach = direct.map((mask, x) => (mask | (1 << x)) >>> 0);
  let changed = true;
  while (changed) {
    changed = false;
    for (let x = 0; x < reach.length; x++) {
      let mask = reach[x] ?? 0;
      for (let y = 0; y < reach.length; y++) {
        if (y !== x && mask & (1 << y)) mask |= reach[y] ?? 0;
      }
      mask >>>= 0;
      if (mask !== reach[x]) {
        reach[x] = mask;
        changed = true;
      }
    }
  }
  return reach;
}

/** The lowest domid in `labels` that may not have reached `holder`, or -1. */
export function unpermittedOrigin(
  labels: number,
  holder: number,
  reach: readonly number[],
): number {
  const bad = (labels & ~(reach[holder] ?? 1 << holder)) >>> 0;
  if (bad === 0) return -1;
  return 31 - Math.clz32(bad & -bad);
}
