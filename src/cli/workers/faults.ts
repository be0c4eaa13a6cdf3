// The faults of `grantcheck faults` judged on worker threads, all handed out at once in
// catalogue order; the command takes each result in catalogue order, so its report, traces and
// exit code are those of one thread (timings aside). One thread: judged here, one at a time.

import type { Fault } from '../../faults/fault.ts';
import type { Suite } from '../../harness/suite.ts';
import { fromWire, judgeFault } from './faultJob.ts';
import type { JudgeOptions, Judged, WireJudged } from './faultJob.ts';
import { dispatch } from './pool.ts';

export interface FaultJudges {
  /** The judgement of `fault`, one of those the judges were made for. `onTick`: called now and
   * then while it is judged in this thread (the progress bar, which answers Ctrl-C). */
  judged(fault: Fault, onTick?: () => void): Promise<Judged>;
  /** End the workers (when the command stops early). */
  close(): void;
}

export function judgeFaults(
  faults: readonly Fault[],
  suites: readonly Suite[],
  options: JudgeOptions & { readonly workers: number },
): FaultJudges {
  const { workers, ...judge } = options;
  if (workers <= 1 || faults.length <= 1) {
    return {
      judged: async (fault, onTick) =>
        judgeFault(fault, suites, onTick === undefined ? judge : { ...judge, onTick }),
      close: () => {},
    };
  }
  const waiting = new Map<
    string,
    { resolve: (w: WireJudged) => void; reject: (e: Error) => void }
  >();
  const results = new Map<string, Promise<WireJudged>>();
  for (const fault of faults) {
    const p = new Promise<WireJudged>((resolve, reject) =>
      waiting.set(fault.id, { resolve, reject }),
    );
    p.catch(() => {}); // a fault the command never asks for must not be an unhandled rejection
    results.set(fault.id, p);
  }
  const abort = new AbortController();
  let next = 0;
  dispatch(
    Math.min(workers, faults.length),
    { stop: new SharedArrayBuffer(4) },
    () => {
      const fault = faults[next++];
      if (!fault) return undefined;
      return {
        kind: 'fault',
        fault: fault.id,
        seed: judge.seed,
        exploreMs: judge.exploreMs,
        ...(judge.runs === undefined ? {} : { runs: judge.runs }),
      };
    },
    (reply) => {
      if (reply.kind !== 'fault-done') throw new Error(`worker: a ${reply.kind} reply to a fault`);
      waiting.get(reply.judged.fault)?.resolve(reply.judged);
    },
    abort.signal,
  ).catch((e: unknown) => {
    for (const w of waiting.values()) w.reject(e instanceof Error ? e : new Error(String(e)));
  });
  return {
    async judged(fault) {
      const wire = results.get(fault.id);
      if (!wire) throw new Error(`worker: fault ${fault.id} was not handed out`);
      return fromWire(await wire, fault, suites);
    },
    close: () => abort.abort(),
  };
}
