// The built-in impl served over the subject wire protocol (docs/subject-protocol.md): proof that
// the protocol carries everything the in-process subject has (results, the whole state,
// snapshots). Run: grantcheck run --subject 'node --import tsx examples/impl-subject-server.ts'
// With --fault ID it serves that fault instead, so that a caught bug can be seen over the wire.
// It reads its requests as a stream, so it says `pipelining`; --one-at-a-time says it does not.

import { createInterface } from 'node:readline';
import { findFault } from '../src/faults/index.ts';
import { abstract, GrantSystem } from '../src/impl/index.ts';
import type { ImplSnapshot } from '../src/impl/index.ts';
import { OP_KINDS } from '../src/ops/op.ts';
import { STATE_PARTS } from '../src/subject/subject.ts';
import { RequestSchema, WIRE_PROTOCOL_VERSION } from '../src/subject/wire/protocol.ts';
import { wireStateOf } from '../src/subject/wire/state.ts';

const faultFlag = process.argv.indexOf('--fault');
const faultId = faultFlag >= 0 ? process.argv[faultFlag + 1] : undefined;
const fault = faultId === undefined ? undefined : findFault(faultId);
if (faultId !== undefined && !fault) {
  process.stderr.write(`impl-subject-server: no fault '${faultId}'\n`);
  process.exit(2);
}

const pipelining = !process.argv.includes('--one-at-a-time');

const send = (message: object): void => void process.stdout.write(`${JSON.stringify(message)}\n`);

send({
  type: 'hello',
  protocol: WIRE_PROTOCOL_VERSION,
  name: fault ? `impl+${fault.id} over the wire` : 'impl over the wire',
  opKinds: OP_KINDS,
  observes: STATE_PARTS,
  snapshots: true,
  pipelining,
});

let system: GrantSystem | undefined;
const snapshots = new Map<string, ImplSnapshot>();

for await (const line of createInterface({ input: process.stdin })) {
  const parsed = RequestSchema.safeParse(JSON.parse(line));
  if (!parsed.success) {
    send({ type: 'error', message: `bad request: ${parsed.error.issues[0]?.message ?? ''}` });
    continue;
  }
  const request = parsed.data;
  if (request.type === 'bye') break;
  if (request.type === 'reset') {
    system = new GrantSystem(request.config, fault?.parts);
    snapshots.clear();
    send({ type: 'ready' });
    continue;
  }
  if (!system) {
    send({ type: 'error', message: `${request.type} before reset` });
    continue;
  }
  switch (request.type) {
    case 'apply': {
      const result = system.apply(request.op);
      const state = request.state ? { state: wireStateOf(abstract(system), STATE_PARTS) } : {};
      send({ type: 'result', result, ...state });
      break;
    }
    case 'state':
      send({ type: 'state', state: wireStateOf(abstract(system), STATE_PARTS) });
      break;
    case 'snapshot': {
      const id = String(snapshots.size);
      snapshots.set(id, system.snapshot());
      send({ type: 'snapshot', id });
      break;
    }
    case 'restore': {
      const saved = snapshots.get(request.id);
      if (saved) system.restore(saved);
      send(saved ? { type: 'restored' } : { type: 'error', message: `no snapshot ${request.id}` });
      break;
    }
  }
}
