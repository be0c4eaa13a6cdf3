// Which entries of a table were written, for the readers that keep something derived from the
// table — abstract() (./abstract.ts) and the invariants' scans (src/harness/implView.ts) — up to
// date without rescanning it after every step. Every setter that renews a structure's content
// version (./version.ts) also logs the index it wrote; a reader keeps a mark and later asks what
// was touched since. The log is bounded: past its capacity it starts over, and so does a
// restore or a resize (`reset`); a reader whose mark predates that is told to rescan. Writes
// that bypass the setters would defeat this, as they would the versions: don't.

import { freshVersion } from './version.ts';

/** A point in one log: its epoch (a fresh version number) and length. */
export interface TouchMark {
  readonly epoch: number;
  readonly length: number;
}

const NONE: readonly number[] = [];

export class TouchLog {
  /** The writes since the first mark of this epoch (made then). Before a reader has a mark no
   * one can ask for them, so none are kept: the engines that read no marks (GrantSystem.apply
   * on its own, as in the bench's raw row) pay one test per write, and make no array. */
  private entries: number[] | undefined = undefined;
  private recording = false;
  private epoch = freshVersion();

  constructor(private readonly capacity = 1024) {}

  /** Entry `index` was (or may have been) written. */
  touch(index: number): void {
    if (!this.recording) return;
    const entries = this.entries ?? [];
    if (entries.length >= this.capacity) this.reset();
    else entries.push(index);
  }

  /** Any entry may have changed (a restore, a resize): every reader rescans. */
  reset(): void {
    if (this.entries !== undefined) this.entries.length = 0;
    this.recording = false;
    this.epoch = freshVersion();
  }

  mark(): TouchMark {
    this.entries ??= [];
    this.recording = true;
    // the same point as the last mark (nothing written since): the same object, as most of a
    // checker's marks are, step after step
    const last = this.last;
    if (last !== undefined && last.epoch === this.epoch && last.length === this.entries.length) {
      return last;
    }
    this.last = { epoch: this.epoch, length: this.entries.length };
    return this.last;
  }
  private last: TouchMark | undefined;

  /** The indices touched since `mark` (with repeats), in a fresh array the reader may keep or
   * extend when it is not empty (an empty one is shared: most reads find nothing new), or
   * undefined when the reader must rescan: no mark, a mark of another log, or one from before
   * a reset. */
  since(mark: TouchMark | undefined): readonly number[] | undefined {
    if (mark === undefined || mark.epoch !== this.epoch) return undefined;
    const entries = this.entries;
    if (entries === undefined || entries.length === mark.length) return NONE;
    return entries.slice(mark.length);
  }
}

/**
 * What a table was last loaded from (a saved copy) and its log's mark then. Why? An explorer
 * loads one parent's copy, applies an op, and loads the same copy again for the parent's next
 * op: writing back only the entries logged since (an undo) costs what the op wrote, and logging
 * them as touched lets every reader patch what it derived instead of rescanning the table, as
 * a reset log would make it.
 */
export class LoadedCopy<S> {
  private copy: S | undefined = undefined;
  private mark: TouchMark | undefined = undefined;

  /** The entries written since `copy` was loaded (with repeats), or undefined: another copy, or
   * a log reset since (compare the whole table). */
  writtenSince(copy: S, log: TouchLog): readonly number[] | undefined {
    return copy === this.copy ? log.since(this.mark) : undefined;
  }

  /** The table now holds `copy`, and `log` names every entry written from here on. */
  loaded(copy: S, log: TouchLog): void {
    this.copy = copy;
    this.mark = log.mark();
  }
}
