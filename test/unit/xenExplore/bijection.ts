// Keys against texts: the check the Xen-level key tests share.
import { expect } from 'vitest';

/** Does `f` map equal inputs to equal outputs and different ones to different ones, on the
 * pairs seen? Records both directions. */
export class Bijection {
  private readonly to = new Map<string, number | string>();
  private readonly from = new Map<number | string, string>();

  see(a: string, k: number | string): void {
    const seenK = this.to.get(a);
    if (seenK !== undefined) expect(k).toBe(seenK);
    else this.to.set(a, k);
    const seenA = this.from.get(k);
    if (seenA !== undefined) expect(a).toBe(seenA);
    else this.from.set(k, a);
  }

  get size(): number {
    return this.to.size;
  }
}
