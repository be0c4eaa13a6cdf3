// A subject in another process, driven over the wire protocol (./protocol.ts): one child per
// factory, started by openWireSubject, reset for every new instance. Every message the child
// sends is validated; anything wrong is a SubjectError naming the message and the field.

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

/** The child and its hello. */
class WireConnection {
  private channel: SyncLineChannel;
  readonly name: string;
  readonly opKinds: readonly OpKind[];
  readonly observes: readonly StatePart[];
  readonly snapshots: boolean;
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

  /** Send a request and return its answer, validated by `schema`. */
  private ask<T>(
    request: { readonly type: Asked; readonly [field: string]: unknown },
    schema: ZodType<T>,
  ): T {
    const what = `the answer to ${request.type}`;
    return this.parse(this.read(JSON.stringify(request), what), what, schema);
  }

  /** Reset to `config`; the state it starts from when the subject reports one. A subject that
   * answers `restart` is started afresh and reset again, once. */
  reset(config: GrantConfig): WireState | undefined {
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
    return this.ask({ type: 'apply', op, state }, ResponseSchemas.result) as {
      result: OpResult;
      state?: WireState;
    };
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
