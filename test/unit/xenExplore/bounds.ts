// The bounds the Xen-level explorer tests search most: D domains, one ref, one page, max pin 1.
import type { XenAlphabet, XenBounds } from '../../../src/xenExplore/index.ts';

export const xb = (domains: number, alphabet: XenAlphabet): XenBounds => ({
  domains,
  refs: 1,
  pages: 1,
  maxPin: 1,
  alphabet,
});
