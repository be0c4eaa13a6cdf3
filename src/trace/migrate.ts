// Traces of earlier format versions, brought to the current one before validation, so that a
// committed corpus keeps loading and replaying (docs/trace-format.md, "Versions").
//
// Version 1 → 2: states gained `contents` (page contents by MFN). A version-1 trace predates
// every op that writes a page, so each of its states had all pages zero: `contents: []`.
// Version 2 → 3: traces may carry an interleaved run (`interleaving`, optional) and its new
// verdict checks; a version-2 trace is a version-3 one as it is.

/** The oldest trace version this grantcheck still reads. */
export const OLDEST_TRACE_VERSION = 1;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The current version of a trace of version `from`, or the value unchanged when it is not a
 * trace of a version this grantcheck migrates (validation then names what is wrong). */
export function migrateTrace(value: unknown): unknown {
  if (isRecord(value) && value.version === 2) {
    // Only version 3 may hold an interleaved run: a version-2 file with one is refused as it is.
    return 'interleaving' in value ? value : { ...value, version: 3 };
  }
  if (!isRecord(value) || value.version !== 1) return value;
  const withContents = (state: unknown): unknown =>
    isRecord(state) && !('contents' in state) ? { ...state, contents: [] } : state;
  const steps = Array.isArray(value.steps)
    ? value.steps.map((step: unknown) => {
        if (!isRecord(step)) return step;
        return {
          ...step,
          ...('state' in step ? { state: withContents(step.state) } : {}),
          ...('implState' in step ? { implState: withContents(step.implState) } : {}),
        };
      })
    : value.steps;
  return {
    ...value,
    version: 3,
    ...('initialState' in value ? { initialState: withContents(value.initialState) } : {}),
    ...('steps' in value ? { steps } : {}),
  };
}
