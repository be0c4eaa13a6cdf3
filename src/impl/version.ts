// Content versions for the impl's mutable structures. Every write through a structure's methods
// gives it a fresh number from one global counter, so a number names one content for good: a
// restore may bring an old number back with its content, and caches keyed by it (abstract(),
// snapshot copies) stay valid. Writes that bypass the methods would defeat this: don't.

let counter = 0;

/** A number never handed out before. */
export function freshVersion(): number {
  counter += 1;
  return counter;
}
