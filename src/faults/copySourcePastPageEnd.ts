// An information leak through GNTTABOP_copy: the page bound tested only for the destination,
// so a source range past its page's end reads on into the next machine frame.

import type { ImplParts } from '../impl/index.ts';
import { GNTST_bad_copy_arg, GNTST_general_error, GNTST_okay, PAGE_SIZE } from '../xen/abi.ts';
import type { Fault } from './fault.ts';

// BUG: only the destination range is bounded, by the page and by its window.
const copyBufBounds: ImplParts['copyBufBounds'] = (op, dest) => {
  if (op.dest.offset + op.len > PAGE_SIZE) return GNTST_bad_copy_arg;
  if (op.dest.offset < dest.offset || op.dest.offset + op.len > dest.offset + dest.len) {
    return GNTST_general_error;
  }
  return GNTST_okay;
};

export const copySourcePastPageEnd: Fault = {
  id: 'copy-source-past-page-end',
  title: "a copy reads past the end of the granted page, into the next frame's bytes",
  source: 'gnttab_copy_buf (grant_table.c): the bounds of the source range',
  mechanism:
    'gnttab_copy_buf refuses an element whose source or destination range passes the end of its page (bad_copy_arg). Without the source half, a copy from a grant at offset 4095 of length 2 reads one byte of the next machine frame, which the grant did not cover and which may belong to another domain: the caller receives bytes it was never granted.',
  caughtBy:
    "result mismatch (okay vs bad_copy_arg), with flows-permitted (impl) where the next frame is not the caller's",
  parts: { copyBufBounds },
  search: { kinds: ['grant_access', 'copy'], extensions: ['copies'] },
};
