// One interleaved run: the actors of a scenario stepped one at a time in the order a schedule
// picks, over one GrantSystem (src/impl). A step resumes one actor at its pause (src/impl/
// steps.ts): it does the access or takes the lock the pause names, then runs the actor on to
// its next pause. Releasing a lock is done in the same step (a release only lets others go
// sooner, so no schedule is lost by not pausing there). A writer that meets readers holding its
// lock first arrives, a step of its own, and takes the lock in a later one (./locks.ts). An
// actor waiting for a lock is not enabled; when no actor is enabled and some have ops left, the
// run is a deadlock.

import type { GrantConfig } from '../config.ts';
import type { ImplParts, ImplSnapshot, Pause, Steps } from '../impl/index.ts';
import { GrantSystem, withPauses } from '../impl/index.ts';
import { resultsEqual } from '../harness/results.ts';
import type { ModelState } from '../model/index.ts';
import { initialState, step } from '../model/index.ts';
import type { Op } from '../ops/op.ts';
import type { OpResult } from '../ops/result.ts';
import { formatOp, formatResult } from '../ops/text.ts';
import type { CompletedOp } from './linearize.ts';
import { LockTable } from './locks.ts';
import type { Scenario } from './scenario.ts';
import { GTF_reading } from '../xen/abi.ts';

/** What a step did, for the trace and the reduction: which pause it went through ('begin':
 * it started the actor's next op), and whether the op returned in it. */
export interface StepFootprint {
  readonly actor: number;
  readonly pause: Pause | 'begin';
  readonly returned: boolean;
  /** The step was a writer's arrival at its write acquire, readers holding the lock: it set
   * writer_activating and stays at the pause (_percpu_write_lock, common/rwlock.c). */
  readonly arrived?: true;
  /** The locks released on the way to the next pause (for the reduction, not the trace). */
  readonly released?: readonly string[];
}

/** One step as the replay prints it. */
export interface StepEvent extends StepFootprint {
  /** The op's index in the actor's program. */
  readonly opIndex: number;
  /** The shared entry's flags after a shared access. */
  readonly flagsAfter?: number;
  /** The op's result, when it returned in this step. */
  readonly result?: OpResult;
}

/** A run broken before its end: the impl misused a lock or threw, or no actor can move. */
export type RunBreak =
  | { readonly kind: 'deadlock'; readonly message: string }
  | { readonly kind: 'lock-misuse'; readonly message: string }
  | { readonly kind: 'crash'; readonly message: string };

interface ActorState {
  readonly dom: number;
  readonly ops: readonly Op[];
  nextOp: number;
  steps: Steps<OpResult> | undefined;
  pending: Pause | undefined;
  invoked: number;
  /** The entries the op in flight set GTF_reading on (CompletedOp.pinned). */
  pinned: string[];
}

/** The system after a scenario's setup, saved once and restored for every run. */
export interface Start {
  readonly config: GrantConfig;
  readonly parts: Partial<ImplParts>;
  readonly scenario: Scenario;
  readonly snapshot: ImplSnapshot;
  /** The model's state after the setup: where every linearization starts. */
  readonly model: ModelState;
  /** The first setup op whose impl result differs from the model's, described; or null. */
  readonly setupProblem: string | null;
}

export function startOf(config: GrantConfig, parts: Partial<ImplParts>, scenario: Scenario): Start {
  const system = new GrantSystem(config, parts);
  let model = initialState(config);
  let setupProblem: string | null = null;
  for (const op of scenario.setup) {
    const implResult = system.apply(op);
    const next = step(model, op);
    if (setupProblem === null && !resultsEqual(next.result, implResult)) {
      setupProblem = `setup ${formatOp(op)}: model ${formatResult(next.result)}, impl ${formatResult(implResult)}`;
    }
    model = next.state;
  }
  return { config, parts, scenario, snapshot: system.snapshot(), model, setupProblem };
}

export class InterleavedRun {
  readonly system: GrantSystem;
  readonly locks = new LockTable();
  readonly completed: CompletedOp[] = [];
  /** Every step, when recording. */
  readonly events: StepEvent[] | undefined;
  /** The actor of each step so far. */
  readonly schedule: number[] = [];
  broken: RunBreak | undefined;
  private readonly actors: ActorState[];

  constructor(
    readonly start: Start,
    record = false,
  ) {
    this.system = new GrantSystem(start.config, start.parts);
    this.system.restore(start.snapshot);
    this.actors = start.scenario.actors.map((a) => ({
      dom: a.dom,
      ops: a.ops,
      nextOp: 0,
      steps: undefined,
      pending: undefined,
      invoked: -1,
      pinned: [],
    }));
    this.events = record ? [] : undefined;
  }

  get actorCount(): number {
    return this.actors.length;
  }

  finished(actor: number): boolean {
    const a = this.actor(actor);
    return a.steps === undefined && a.nextOp >= a.ops.length;
  }

  /** Every actor has run its whole program. */
  get done(): boolean {
    return this.actors.every((_, i) => this.finished(i));
  }

  /** No op is in flight: every actor is between two ops. */
  get quiescent(): boolean {
    return this.actors.every((a) => a.steps === undefined);
  }

  /** Can `actor` take a step now (it has work left, and is neither waiting for a lock nor
   * spinning on flags not yet set)? */
  enabled(actor: number): boolean {
    if (this.broken !== undefined || this.finished(actor)) return false;
    const p = this.actor(actor).pending;
    if (p?.kind === 'lock') {
      if (p.action !== 'acquire') return true;
      return this.locks.canAcquire(actor, p) || this.locks.canArrive(actor, p);
    }
    if (p?.kind === 'wait') return (this.flagsOf(p.dom, p.ref) & p.mask) !== 0;
    return true;
  }

  private flagsOf(dom: number, ref: number): number {
    return this.system.xen.domains[dom]?.grantTable.shared.inspect(ref).flags ?? 0;
  }

  enabledActors(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.actors.length; i++) if (this.enabled(i)) out.push(i);
    return out;
  }

  /** What `actor`'s next step starts with: its pause, or 'begin' between ops. */
  next(actor: number): Pause | 'begin' {
    return this.actor(actor).pending ?? 'begin';
  }

  /** Take one step of `actor` (which must be enabled). */
  step(actor: number): StepFootprint {
    const a = this.actor(actor);
    if (!this.enabled(actor)) throw new Error(`a${actor} cannot step`);
    const position = this.schedule.length;
    this.schedule.push(actor);
    const opIndex = a.nextOp;
    const pause: Pause | 'begin' = a.pending ?? 'begin';
    if (
      pause !== 'begin' &&
      pause.kind === 'lock' &&
      pause.action === 'acquire' &&
      !this.locks.canAcquire(actor, pause)
    ) {
      // Readers hold it: the writer arrives and waits for them, still at its pause.
      this.locks.arrive(actor, pause);
      const footprint = { actor, pause, returned: false, arrived: true } as const;
      this.events?.push({ ...footprint, opIndex });
      this.checkDeadlock();
      return footprint;
    }
    if (a.steps === undefined) {
      const op = a.ops[a.nextOp];
      if (op === undefined) throw new Error(`a${actor} has no op left`);
      a.steps = this.system.steps(op);
      a.invoked = position;
    } else if (pause !== 'begin' && pause.kind === 'lock') {
      this.misuse(this.locks.apply(actor, pause));
    }
    // A compare-and-swap that sets GTF_reading is a pin taken (CompletedOp.pinned).
    const cas = pause !== 'begin' && pause.kind === 'shared' && pause.access === 'cmpxchg';
    const readingBefore = cas && (this.flagsOf(pause.dom, pause.ref) & GTF_reading) !== 0;
    const released: string[] = [];
    const result = this.advance(
      actor,
      a,
      position,
      pause !== 'begin' && pause.kind === 'wait',
      released,
    );
    if (cas && !readingBefore && (this.flagsOf(pause.dom, pause.ref) & GTF_reading) !== 0) {
      this.pinnedBy(actor, a, result !== undefined, `d${pause.dom}:${pause.ref}`);
    }
    const footprint = { actor, pause, returned: result !== undefined };
    if (this.events !== undefined) {
      const flagsAfter =
        pause !== 'begin' && pause.kind !== 'lock' ? this.flagsOf(pause.dom, pause.ref) : undefined;
      this.events.push({
        ...footprint,
        opIndex,
        ...(flagsAfter !== undefined ? { flagsAfter } : {}),
        ...(result !== undefined ? { result } : {}),
      });
    }
    this.checkDeadlock();
    return released.length > 0 ? { ...footprint, released } : footprint;
  }

  private checkDeadlock(): void {
    if (this.broken === undefined && !this.done && this.enabledActors().length === 0) {
      this.broken = { kind: 'deadlock', message: this.waits() };
    }
  }

  /** Run `a` to its next pause that is not a release (releases are taken on the way, and their
   * locks added to `released`); the op's result if it returned. `waited`: it was spinning, and
   * the flags it waited for are set. */
  private advance(
    actor: number,
    a: ActorState,
    position: number,
    waited: boolean,
    released: string[],
  ): OpResult | undefined {
    const steps = a.steps;
    if (steps === undefined) return undefined;
    let answer: true | undefined = waited ? true : undefined;
    for (;;) {
      let next: IteratorResult<Pause, OpResult>;
      try {
        const resumed = answer;
        next = withPauses(() => steps.next(resumed));
        answer = undefined;
      } catch (e) {
        this.broken = { kind: 'crash', message: `a${actor}: ${(e as Error).message}` };
        a.steps = undefined;
        a.pending = undefined;
        a.pinned = [];
        return undefined;
      }
      if (next.done === true) {
        const op = a.ops[a.nextOp];
        if (op !== undefined) {
          this.completed.push({
            actor,
            op,
            result: next.value,
            invoked: a.invoked,
            returned: position,
            pinned: a.pinned,
          });
          a.pinned = [];
        }
        a.steps = undefined;
        a.pending = undefined;
        a.nextOp++;
        const held = this.locks.heldBy(actor);
        if (held.length > 0) this.misuse(`a${actor}'s op returned holding ${held.join(', ')}`);
        return next.value;
      }
      const p = next.value;
      if (p.kind === 'lock' && p.action === 'release') {
        this.misuse(this.locks.apply(actor, p));
        released.push(p.lock);
        continue;
      }
      a.pending = p;
      return undefined;
    }
  }

  /** Note that the actor's op in flight (or, `returned`, its op just completed) pinned `entry`. */
  private pinnedBy(actor: number, a: ActorState, returned: boolean, entry: string): void {
    if (!returned) {
      a.pinned.push(entry);
      return;
    }
    const last = this.completed.length - 1;
    const c = this.completed[last];
    if (c?.actor === actor) this.completed[last] = { ...c, pinned: [...(c.pinned ?? []), entry] };
  }

  private misuse(message: string | null): void {
    if (message !== null && this.broken === undefined) {
      this.broken = { kind: 'lock-misuse', message };
    }
  }

  /** Who waits for which lock, held by whom (the deadlock's cycle), or spins on which entry. */
  private waits(): string {
    const parts: string[] = [];
    for (let i = 0; i < this.actors.length; i++) {
      const p = this.actors[i]?.pending;
      if (p?.kind === 'wait') {
        parts.push(
          `a${i} spins on d${p.dom} ref ${p.ref} for flags 0x${p.mask.toString(16)} that nothing will set`,
        );
        continue;
      }
      if (p?.kind !== 'lock' || p.action !== 'acquire') continue;
      const by = this.locks.holders(p.lock).map((h) => `a${h}`);
      const arrived = this.locks.arrivedWriter(p.lock);
      const held =
        p.mode === 'read' && arrived !== undefined
          ? `behind a${arrived}, arrived to write`
          : `held by ${by.join(', ')}`;
      parts.push(`a${i} waits for ${p.lock} (${p.mode}) ${held}`);
    }
    return parts.join('; ');
  }

  private actor(i: number): ActorState {
    const a = this.actors[i];
    if (a === undefined) throw new Error(`no actor a${i}`);
    return a;
  }
}
