// A subject in another process, driven over the wire protocol (./protocol.ts): one child per
// factory, started by openWireSubject, reset for every new instance. Every message the child
// sends is validated; anything wrong is a SubjectError naming the message and the field. A child
// that said `pipelining` is sent the announced ops of a run ahead of their answers, so that it
// works while grantcheck checks (a subject under emulation, like real Xen, idles less).

import { z } from 'zod';
import type { ZodType } from 'zod';
import type { GrantConfig } from '../../config.ts';
import type { ModelState } from '../../model/state.ts';
import type { Op, OpKind } from '../../ops/op.ts';
import type { OpResult } from '../../ops/result.ts';
import { parseJsonText, quote, WIRE_MESSAGE_LIMITS } from '../../input/index.ts';
import { describeZodError } from '../../ops/schema.ts';
import { initialState, statesEqual } from '../../model/index.ts';
import { observedState } from '../observe.ts';
import type {
  StartState,
  StatePart,
  Subject,
  SubjectFactory,
  SubjectSnapshot,
} from '../subject.ts';
import { SubjectError } from '../subject.ts';
import { ChannelError, SyncLineChannel } from './channel.ts';
import type { Request } from './protocol.ts';
import { HelloSchema, ResponseSchemas, WIRE_PROTOCOL_VERSION } from './protocol.ts';
import type { WireState } from './state.ts';
import { stateFromWire, wireStateParts, wireStateProblem } from './state.ts';

export interface WireOptions {
  /** Milliseconds to wait for the hello (start-up), and for each answer after it. */
  readonly startTimeoutMs?: number;
  readonly timeoutMs?: number;
  /** The longest line accepted from the subject (default 16 MiB). */
  readonly maxLineBytes?: number;
}

type Asked = Exclude<Request['type'], 'bye'>;

/** The most apply requests a pipelining subject is sent ahead of their answers: enough to keep
 * it busy while grantcheck checks, few enough that a run ended by a failed check wastes little
 * (the requests it sent ahead are still carried out, and their answers dropped). */
export const PIPELINE_DEPTH = 16;

const ResetAnswerSchema = z.discriminatedUnion('type', [
  ResponseSchemas.ready,
  ResponseSchemas.restart,
]);

/** The result's shape must fit the op: same kind, one status per batch element. */
function resultProblem(op: Op, result: OpResult): string | null {
  if (result.kind !== op.kind) return `result.kind: '${result.kind}' answers a ${op.kind}`;
  if (!('batch' in op)) return null;
  const n =
    result.kind === 'map_grant_ref'
      ? result.results.length
      : 'statuses' in result
        ? result.statuses.length
        : op.batch.length;
  return n === op.batch.length ? null : `result: ${n} statuses for a batch of ${op.batch.length}`;
}

type AppliedAnswer = { result: OpResult; state?: WireState };

/** The child and its hello. */
class WireConnection {
  private channel: SyncLineChannel;
  readonly name: string;
  readonly opKinds: readonly OpKind[];
  readonly observes: readonly StatePart[];
  readonly snapshots: boolean;
  readonly pipelining: boolean;
  /** Ops announced for the current instance (Subject.announce), the next to send at `nextAhead`;
   * the ops of the requests sent ahead whose answers are not read yet, oldest first. */
  private announced: readonly Op[] = [];
  private nextAhead = 0;
  private aheadState = false; // do the requests sent ahead ask for the state?
  private readonly inFlight: Op[] = [];
  /** Which instance the child currently holds: older instances are stale. */
  generation = 0;
  config: GrantConfig | undefined;

  constructor(
    readonly command: string,
    private readonly options: WireOptions,
  ) {
    this.channel = this.start();
    const hello = this.hello();
    this.name = hello.name;
    this.opKinds = hello.opKinds as OpKind[];
    this.observes = hello.observes;
    this.snapshots = hello.snapshots;
    this.pipelining = hello.pipelining === true;
  }

  /** Why a reset asked for the child to be started afresh (`restart`), in order. */
  readonly restartReasons: string[] = [];

  private start(): SyncLineChannel {
    return new SyncLineChannel(['/bin/sh', '-c', `exec ${this.command}`], {
      timeoutMs: this.options.timeoutMs ?? 10_000,
      maxLineBytes: this.options.maxLineBytes ?? WIRE_MESSAGE_LIMITS.maxBytes,
    });
  }

  private hello(): z.infer<typeof HelloSchema> {
    const line = this.read(undefined, 'hello', this.options.startTimeoutMs ?? 60_000);
    const hello = this.parse(line, 'hello', HelloSchema);
    if (hello.protocol !== WIRE_PROTOCOL_VERSION) {
      this.fail(
        `hello.protocol: ${hello.protocol}, but this grantcheck speaks ${WIRE_PROTOCOL_VERSION}`,
      );
    }
    return hello;
  }

  /** Start the child afresh (a reset answered `restart`); it must say the same hello. */
  private restart(): void {
    this.channel.send(JSON.stringify({ type: 'bye' }));
    this.channel.close();
    this.channel = this.start();
    const hello = this.hello();
    const same =
      hello.name === this.name &&
      hello.snapshots === this.snapshots &&
      (hello.pipelining === true) === this.pipelining &&
      hello.opKinds.join() === this.opKinds.join() &&
      hello.observes.join() === this.observes.join();
    if (!same) this.fail('hello: after a restart the subject said another hello');
  }

  fail(message: string): never {
    this.close();
    throw new SubjectError(`subject ${quote(this.command)}: ${message}`);
  }

  private read(request: string | undefined, what: string, timeoutMs?: number): string {
    try {
      return this.channel.exchange(request, what, timeoutMs);
    } catch (e) {
      if (e instanceof ChannelError) this.fail(e.message);
      throw e;
    }
  }

  private parse<T>(line: string, what: string, schema: ZodType<T>): T {
    const parsed0 = parseJsonText(line, WIRE_MESSAGE_LIMITS);
    if (!parsed0.ok) this.fail(`${what}: ${parsed0.error}`);
    const value = parsed0.value;
    const refusal = ResponseSchemas.error.safeParse(value);
    if (refusal.success) this.fail(`${what} is an error: ${quote(refusal.data.message)}`);
    const parsed = schema.safeParse(value);
    if (!parsed.success) this.fail(`${what}: ${describeZodError(parsed.error)}`);
    return parsed.data;
  }

  /** Send a request and return its answer, validated by `schema`. Only applies may be asked
   * while requests sent ahead are unanswered: another answer would describe their state. */
  private ask<T>(
    request: { readonly type: Asked; readonly [field: string]: unknown },
    schema: ZodType<T>,
  ): T {
    if (this.inFlight.length > 0 && request.type !== 'apply') {
      throw new Error(`${request.type} asked while applies sent ahead are unanswered`);
    }
    const what = `the answer to ${request.type}`;
    return this.parse(this.read(JSON.stringify(request), what), what, schema);
  }

  /** The engine will apply `ops` next, in order (Subject.announce): a pipelining subject is
   * sent the first PIPELINE_DEPTH of them now, and one more as each answer is read. */
  announce(ops: readonly Op[], state: boolean): void {
    if (!this.pipelining) return;
    if (this.inFlight.length > 0) throw new Error('ops announced twice for one instance');
    this.announced = ops;
    this.nextAhead = 0;
    this.aheadState = state;
    this.sendAhead();
  }

  private sendAhead(): void {
    while (this.inFlight.length < PIPELINE_DEPTH && this.nextAhead < this.announced.length) {
      const op = this.announced[this.nextAhead++] as Op;
      this.channel.send(JSON.stringify({ type: 'apply', op, state: this.aheadState }));
      this.inFlight.push(op);
    }
  }

  /** Read and drop the answers to the requests sent ahead that the engine never applied (its run
   * ended at a failed check); the subject carried them out, and the next reset undoes them. */
  private dropAhead(): void {
    while (this.inFlight.length > 0) {
      this.inFlight.shift();
      this.read(undefined, 'the answer to apply (sent ahead, not needed)');
    }
    this.announced = [];
    this.nextAhead = 0;
  }

  /** Reset to `config`; the state it starts from when the subject reports one. A subject that
   * answers `restart` is started afresh and reset again, once. */
  reset(config: GrantConfig): WireState | undefined {
    this.dropAhead();
    const request = { type: 'reset', config } as const;
    const answer = this.ask(request, ResetAnswerSchema);
    if (answer.type === 'ready') return answer.state;
    this.restartReasons.push(answer.reason);
    this.restart();
    const again = this.ask(request, ResetAnswerSchema);
    if (again.type === 'restart') {
      this.fail(`reset: it asked for a restart again right after one (${quote(again.reason)})`);
    }
    return again.state;
  }

  apply(op: Op, state: boolean): { result: OpResult; state?: WireState | undefined } {
    const ahead = this.inFlight.shift();
    if (ahead === undefined) {
      return this.ask({ type: 'apply', op, state }, ResponseSchemas.result) as AppliedAnswer;
    }
    if (ahead !== op || state !== this.aheadState) {
      throw new Error('an op applied that is not the next one announced');
    }
    this.sendAhead();
    const what = 'the answer to apply';
    return this.parse(this.read(undefined, what), what, ResponseSchemas.result) as AppliedAnswer;
  }

  state(): WireState {
    return this.ask({ type: 'state' }, ResponseSchemas.state).state;
  }

  snapshot(): string {
    return this.ask({ type: 'snapshot' }, ResponseSchemas.snapshot).id;
  }

  restore(id: string): void {
    this.ask({ type: 'restore', id }, ResponseSchemas.restored);
  }

  stateOf(state: WireState, what: string): ModelState {
    const problem = this.config ? wireStateProblem(state, this.observes, this.config) : null;
    if (problem) this.fail(`${what}: ${problem}`);
    return stateFromWire(state);
  }

  close(): void {
    this.channel.send(JSON.stringify({ type: 'bye' }));
    this.channel.close();
  }
}

interface WireSnapshot extends SubjectSnapshot {
  readonly id: string;
  readonly generation: number;
}

/** One instance: the child, reset to a config. */
class WireSubject implements Subject {
  private lastState: ModelState | undefined;

  constructor(
    private readonly wire: WireConnection,
    private readonly generation: number,
    readonly start: StartState | undefined,
  ) {}

  private live(): WireConnection {
    if (this.generation !== this.wire.generation) {
      throw new Error('a stale wire subject instance was used after a newer one was created');
    }
    return this.wire;
  }

  announce(ops: readonly Op[]): void {
    const wire = this.live();
    wire.announce(ops, wire.observes.length > 0);
  }

  apply(op: Op): OpResult {
    const wire = this.live();
    const wantState = wire.observes.length > 0;
    const answer = wire.apply(op, wantState);
    const result = answer.result;
    const problem = resultProblem(op, result);
    if (problem) wire.fail(`the answer to apply ${op.kind}: ${problem}`);
    if (wantState && !answer.state) wire.fail('the answer to apply: state: missing (it was asked)');
    this.lastState = answer.state ? wire.stateOf(answer.state, 'the answer to apply') : undefined;
    return result;
  }

  state(): ModelState {
    const wire = this.live();
    if (this.lastState) return this.lastState;
    this.lastState = wire.stateOf(wire.state(), 'the answer to state');
    return this.lastState;
  }

  snapshot(): WireSnapshot {
    const wire = this.live();
    return {
      subject: wire.name,
      generation: this.generation,
      id: wire.snapshot(),
    };
  }

  restore(snapshot: SubjectSnapshot): void {
    const wire = this.live();
    const s = snapshot as WireSnapshot;
    if (s.generation !== this.generation)
      throw new Error('restore: a snapshot of another instance');
    wire.restore(s.id);
    this.lastState = undefined;
  }
}

/** The start state a `ready` reported (its declared parts, and any others it knows at the
 * start), if it differs from the config's initial state (undefined: the instance starts where
 * the model does). */
function startsElsewhere(
  wire: WireConnection,
  config: GrantConfig,
  start: WireState | undefined,
): StartState | undefined {
  if (start === undefined) return undefined;
  const problem = wireStateProblem(start, wire.observes, config, true);
  if (problem) wire.fail(`the answer to reset: ${problem}`);
  const parts = wireStateParts(start);
  const state = stateFromWire(start);
  const initial = initialState(config);
  return statesEqual(initial, observedState(initial, state, parts)) ? undefined : { state, parts };
}

/** A factory that can be closed: it owns a child process. */
export interface ClosableSubjectFactory extends SubjectFactory {
  close(): void;
  /** Why resets asked for the subject's process to be started afresh, in order. */
  restarts(): readonly string[];
}

/** Start `command` (a shell command line), read its hello, and return it as a subject factory.
 * Throws a SubjectError (one line) when the child does not start or speak the protocol. */
export function openWireSubject(
  command: string,
  options: WireOptions = {},
): ClosableSubjectFactory {
  const wire = new WireConnection(command, options);
  const create = (config: GrantConfig): Subject => {
    wire.generation++;
    wire.config = config;
    const start = wire.reset(config);
    const subject = new WireSubject(wire, wire.generation, startsElsewhere(wire, config, start));
    if (wire.snapshots) return subject;
    // Without snapshots the explorer replays ops from a fresh instance.
    return {
      announce: (ops) => subject.announce(ops),
      apply: (op) => subject.apply(op),
      state: () => subject.state(),
      ...(subject.start ? { start: subject.start } : {}),
    };
  };
  return {
    name: wire.name,
    opKinds: wire.opKinds,
    observes: wire.observes,
    hasInternals: false,
    create,
    close: () => wire.close(),
    restarts: () => wire.restartReasons,
  };
}
