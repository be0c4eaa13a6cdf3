// The fault catalogue: deliberately broken impls, each re-creating one real bug class by
// replacing one part. `grantcheck run --fault ID` and `grantcheck replay` use them; traces name
// the fault they were recorded against. docs/faults.md documents each one and how to add one.

import { endAccessIgnoresWriting } from './endAccessIgnoresWriting.ts';
import type { Fault } from './fault.ts';
import { statusHostOnly } from './statusHostOnly.ts';

export type { Fault } from './fault.ts';

export const FAULTS: readonly Fault[] = [statusHostOnly, endAccessIgnoresWriting];

export function findFault(id: string): Fault | undefined {
  return FAULTS.find((f) => f.id === id);
}
