// `--subject 'CMD ARGS…'`: the system under test is a child process speaking the subject wire
// protocol (docs/subject-protocol.md), instead of the built-in impl or one of its faults.
// `--subject xen`, exactly that word, is the real Xen hypervisor booted under QEMU
// (docs/real-xen.md).

import type { Fault } from '../faults/index.ts';
import { subjectOf } from '../faults/index.ts';
import type { Op } from '../ops/op.ts';
import type { SubjectFactory } from '../subject/subject.ts';
import { lackedKindProblem } from '../subject/subject.ts';
import { openWireSubject } from '../subject/wire/wireSubject.ts';
import { XEN_SUBJECT } from '../subject/xen/config.ts';
import { knownXenOpKinds } from '../subject/xen/initramfs.ts';
import { openXenSubject } from '../subject/xen/xenSubject.ts';
import { UsageError } from './options.ts';

/** Run `body` against the subject the flags name, and always stop an external one after: after
 * the promise settles when `body` is async. */
export function withSubject<T>(
  command: string | undefined,
  fault: Fault | undefined,
  body: (subject: SubjectFactory) => T,
): T {
  if (command === undefined) return body(subjectOf(fault));
  if (fault)
    throw new UsageError(
      '--fault and --subject exclude each other: a fault is a variant of the built-in impl',
    );
  if (command.trim() === '') throw new UsageError('--subject: the command is empty');
  const subject = command === XEN_SUBJECT ? openXenSubject() : openWireSubject(command);
  let result: T;
  try {
    result = body(subject);
  } catch (e) {
    subject.close();
    throw e;
  }
  if (!(result instanceof Promise)) {
    subject.close();
    return result;
  }
  // T is this promise's type: the caller gets the same promise, settled after the close.
  return result.finally(() => subject.close()) as T;
}

/** The first of `ops` that the subject `command` cannot run, when that is known before it
 * starts: real Xen with this package's agent, whose kinds are fixed (a boot takes seconds to
 * say what a constant says now). null otherwise; the subject's hello tells the rest. */
export function lackedKindBeforeStart(
  command: string | undefined,
  ops: readonly Op[],
  noun: 'op' | 'step',
): string | null {
  const opKinds = command === XEN_SUBJECT ? knownXenOpKinds() : undefined;
  return opKinds === undefined
    ? null
    : lackedKindProblem({ name: XEN_SUBJECT, opKinds }, ops, noun);
}
