// `--subject xen`'s flags, checked before Xen boots (run, exec). Apart from options.ts, which
// every command line loads (--version included), so that only the commands that take the flag
// load real Xen's config.

import type { GrantConfig } from '../config.ts';
import { xenConfigProblem } from '../subject/xen/config.ts';
import { UsageError } from './options.ts';

/** `--subject xen` with flags that build a config real Xen here cannot run (dom0 alone, one
 * vCPU): a usage error naming the flag at fault. */
export function checkXenFlags(config: GrantConfig): void {
  const problem = xenConfigProblem(config);
  if (problem === null) return;
  throw new UsageError(`${config.domains !== 1 ? '--domains' : '--vcpus'}: ${problem}`);
}
