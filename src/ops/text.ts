// The canonical text form of ops and results, used in reports and traces and parsed back by the
// CLI. formatOp and parseOp are inverses (pinned by a round-trip property test).
//
//   grant_access(d1 ref=8 -> d2 gfn=3 ro)       end_access(d1 ref=8)
//   grant_transfer(d1 ref=9 <- d2 gfn=5)        end_transfer(d1 ref=9)
//   raw_write(d1 ref=8 flags=0x19 domid=2 frame=3)
//   map(d2: d1 ref=8 host|ro @0x5000; d1 ref=9 dev @0x0)   map(d2 v1: d1 ref=8 host @0x1000)
//   unmap(d2: h=0 host=0x5000 dev=0x0)          transfer(d2: gfn=3 -> d1 ref=9)
//   setup_table(d1: dom=self frames=2)          query_size(d0: dom=d1)
//   unmap_and_replace(d2: h=0 host=0x5000 new=0x6000)
//   swap(d1: ref=8 <-> ref=9; ref=8 <-> ref=8)
//   write_page(d1 gfn=3 off=0 len=16 byte=0xab) read_page(d1 gfn=3 off=0 len=16)
//   write_mapped(d2 @0x5000 off=0 len=1 byte=0x7) read_mapped(d2 @0x5000 off=0 len=4096)
//   copy(d2: d1 ref=8 off=0 -> self gmfn=3 off=16 len=100)
//   alloc_refs(d1 count=2) free_ref(d1 ref=8) end_access_deferred(d1 ref=8 gfn=3) tick(d1)
//   free_page(d1 gfn=3)
//   backend_map(d2 req=0 <- d1 refs=8,9 ro) backend_io(d2 req=0 write) backend_unmap(d2 req=0)

import {
  DOMID_SELF,
  GNTCOPY_dest_gref,
  GNTCOPY_source_gref,
  GNTMAP_application_map,
  GNTMAP_contains_pte,
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  errnoName,
  gntstName,
} from '../xen/abi.ts';
import type {
  CopyArgs,
  CopyPtr,
  MapGrantRefArgs,
  Op,
  SwapGrantRefArgs,
  TransferArgs,
  UnmapAndReplaceArgs,
  UnmapGrantRefArgs,
} from './op.ts';
import { unreachable } from './op.ts';
import type { MapElementResult, OpResult } from './result.ts';

const MAP_FLAG_NAMES: readonly (readonly [string, number])[] = [
  ['host', GNTMAP_host_map],
  ['dev', GNTMAP_device_map],
  ['ro', GNTMAP_readonly],
  ['app', GNTMAP_application_map],
  ['pte', GNTMAP_contains_pte],
];

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function dom(id: number): string {
  return id === DOMID_SELF ? 'self' : `d${id}`;
}

export function formatMapFlags(flags: number): string {
  const parts: string[] = [];
  let rest = flags;
  for (const [name, bit] of MAP_FLAG_NAMES) {
    if (flags & bit) {
      parts.push(name);
      rest &= ~bit;
    }
  }
  if (rest !== 0) parts.push(hex(rest >>> 0));
  return parts.length === 0 ? 'none' : parts.join('|');
}

function formatMap(a: MapGrantRefArgs): string {
  return `${dom(a.dom)} ref=${a.ref} ${formatMapFlags(a.flags)} @${hex(a.hostAddr)}`;
}
function formatUnmap(a: UnmapGrantRefArgs): string {
  return `h=${a.handle} host=${hex(a.hostAddr)} dev=${hex(a.devBusAddr)}`;
}
function formatUnmapAndReplace(a: UnmapAndReplaceArgs): string {
  return `h=${a.handle} host=${hex(a.hostAddr)} new=${hex(a.newAddr)}`;
}
function formatTransfer(a: TransferArgs): string {
  return `gfn=${a.gfn} -> ${dom(a.domid)} ref=${a.ref}`;
}
function formatSwap(a: SwapGrantRefArgs): string {
  return `ref=${a.refA} <-> ref=${a.refB}`;
}

function formatCopyPtr(p: CopyPtr, gref: boolean): string {
  return `${dom(p.domid)} ${gref ? 'ref' : 'gmfn'}=${p.u} off=${p.offset}`;
}
const COPY_FLAGS = GNTCOPY_source_gref | GNTCOPY_dest_gref;
function formatCopy(a: CopyArgs): string {
  const extra = a.flags & ~COPY_FLAGS;
  return (
    `${formatCopyPtr(a.source, (a.flags & GNTCOPY_source_gref) !== 0)} -> ` +
    `${formatCopyPtr(a.dest, (a.flags & GNTCOPY_dest_gref) !== 0)} len=${a.len}` +
    (extra !== 0 ? ` flags=${hex(a.flags)}` : '')
  );
}

export function formatOp(op: Op): string {
  switch (op.kind) {
    case 'grant_access':
      return `grant_access(${dom(op.dom)} ref=${op.ref} -> ${dom(op.grantee)} gfn=${op.gfn} ${op.readonly ? 'ro' : 'rw'})`;
    case 'end_access':
      return `end_access(${dom(op.dom)} ref=${op.ref})`;
    case 'grant_transfer':
      return `grant_transfer(${dom(op.dom)} ref=${op.ref} <- ${dom(op.grantee)} gfn=${op.gfn})`;
    case 'end_transfer':
      return `end_transfer(${dom(op.dom)} ref=${op.ref})`;
    case 'raw_write':
      return `raw_write(${dom(op.dom)} ref=${op.ref} flags=${hex(op.flags)} domid=${op.domid} frame=${op.frame})`;
    case 'write_page':
      return `write_page(${dom(op.dom)} gfn=${op.gfn} off=${op.off} len=${op.len} byte=${hex(op.byte)})`;
    case 'read_page':
      return `read_page(${dom(op.dom)} gfn=${op.gfn} off=${op.off} len=${op.len})`;
    case 'write_mapped':
      return `write_mapped(${dom(op.dom)} @${hex(op.hostAddr)} off=${op.off} len=${op.len} byte=${hex(op.byte)})`;
    case 'read_mapped':
      return `read_mapped(${dom(op.dom)} @${hex(op.hostAddr)} off=${op.off} len=${op.len})`;
    case 'map_grant_ref':
      return `map(${dom(op.caller)}${op.vcpu ? ` v${op.vcpu}` : ''}: ${op.batch.map(formatMap).join('; ')})`;
    case 'unmap_grant_ref':
      return `unmap(${dom(op.caller)}: ${op.batch.map(formatUnmap).join('; ')})`;
    case 'transfer':
      return `transfer(${dom(op.caller)}: ${op.batch.map(formatTransfer).join('; ')})`;
    case 'setup_table':
      return `setup_table(${dom(op.caller)}: dom=${dom(op.dom)} frames=${op.nrFrames})`;
    case 'query_size':
      return `query_size(${dom(op.caller)}: dom=${dom(op.dom)})`;
    case 'unmap_and_replace':
      return `unmap_and_replace(${dom(op.caller)}: ${op.batch.map(formatUnmapAndReplace).join('; ')})`;
    case 'swap_grant_ref':
      return `swap(${dom(op.caller)}: ${op.batch.map(formatSwap).join('; ')})`;
    case 'copy':
      return `copy(${dom(op.caller)}: ${op.batch.map(formatCopy).join('; ')})`;
    case 'destroy_domain':
      return `destroy_domain(${dom(op.caller)}: dom=${dom(op.dom)})`;
    case 'alloc_refs':
      return `alloc_refs(${dom(op.dom)} count=${op.count})`;
    case 'free_ref':
      return `free_ref(${dom(op.dom)} ref=${op.ref})`;
    case 'end_access_deferred':
      return `end_access_deferred(${dom(op.dom)} ref=${op.ref}${op.gfn === undefined ? '' : ` gfn=${op.gfn}`})`;
    case 'tick':
      return `tick(${dom(op.dom)})`;
    case 'free_page':
      return `free_page(${dom(op.dom)} gfn=${op.gfn})`;
    case 'backend_map':
      return `backend_map(${dom(op.dom)} req=${op.request} <- ${dom(op.frontend)} refs=${op.refs.join(',')}${op.readonly ? ' ro' : ''})`;
    case 'backend_io':
      return `backend_io(${dom(op.dom)} req=${op.request} ${op.write ? 'write' : 'read'})`;
    case 'backend_unmap':
      return `backend_unmap(${dom(op.dom)} req=${op.request})`;
    default:
      return unreachable(op);
  }
}

function formatMapResult(r: MapElementResult): string {
  return 'handle' in r ? `okay h=${r.handle} dev=${hex(r.devBusAddr)}` : gntstName(r.status);
}

export function formatResult(result: OpResult): string {
  switch (result.kind) {
    case 'grant_access':
    case 'end_access':
    case 'grant_transfer':
    case 'raw_write':
    case 'write_page':
    case 'write_mapped':
    case 'free_ref':
    case 'end_access_deferred':
    case 'free_page':
      return result.outcome;
    case 'alloc_refs':
      return 'refs' in result ? `ok [${result.refs.join(', ')}]` : result.outcome;
    case 'tick':
      return 'reclaimed' in result
        ? `ok reclaimed=${result.reclaimed} pending=${result.pending}`
        : result.outcome;
    case 'read_page':
    case 'read_mapped':
      return 'digest' in result ? `ok #${result.digest}` : result.outcome;
    case 'end_transfer':
      return 'frame' in result ? `completed frame=${hex(result.frame)}` : result.outcome;
    case 'map_grant_ref':
      return `[${result.results.map(formatMapResult).join(', ')}]`;
    case 'unmap_grant_ref':
    case 'transfer':
    case 'unmap_and_replace':
    case 'swap_grant_ref':
    case 'copy':
      return `[${result.statuses.map(gntstName).join(', ')}]`;
    case 'setup_table':
      return result.nrFrames === undefined
        ? gntstName(result.status)
        : `${gntstName(result.status)} frames=${result.nrFrames}`;
    case 'query_size':
      return result.nrFrames === undefined
        ? gntstName(result.status)
        : `${gntstName(result.status)} frames=${result.nrFrames}/${result.maxNrFrames ?? '?'}`;
    case 'destroy_domain':
      return errnoName(result.status);
    case 'not_running':
      return 'not running';
    case 'backend_map':
    case 'backend_unmap':
      return 'statuses' in result
        ? `${result.outcome} [${result.statuses.map(gntstName).join(', ')}]`
        : result.outcome;
    case 'backend_io':
      return 'digests' in result && result.digests !== undefined
        ? `ok [${result.digests.map((d) => `#${d}`).join(', ')}]`
        : result.outcome;
    default:
      return unreachable(result);
  }
}

// --- Parsing ---------------------------------------------------------------------------------

export type ParseResult = { readonly ok: true; readonly op: Op } | { ok: false; error: string };

class ParseError extends Error {}

/** A cursor over one op's text, splitting on spaces, ':' and ';' but keeping `a=b` together. */
class Words {
  private i = 0;
  constructor(private readonly words: readonly string[]) {}
  next(what: string): string {
    const w = this.words[this.i++];
    if (w === undefined) throw new ParseError(`expected ${what}, found end of input`);
    return w;
  }
  done(): boolean {
    return this.i >= this.words.length;
  }
  expectEnd(): void {
    if (!this.done()) throw new ParseError(`unexpected '${this.words[this.i] ?? ''}'`);
  }
}

function parseNumber(text: string, what: string): number {
  const n = /^0x[0-9a-f]+$/i.test(text)
    ? parseInt(text.slice(2), 16)
    : /^[0-9]+$/.test(text)
      ? parseInt(text, 10)
      : NaN;
  if (!Number.isSafeInteger(n)) throw new ParseError(`${what}: '${text}' is not a number`);
  return n;
}

function parseDom(text: string): number {
  if (text === 'self') return DOMID_SELF;
  if (!/^d[0-9]+$/.test(text))
    throw new ParseError(`expected a domain like d1 or self, got '${text}'`);
  return parseNumber(text.slice(1), 'domain');
}

function field(w: Words, name: string): number {
  const word = w.next(`${name}=`);
  const prefix = `${name}=`;
  if (!word.startsWith(prefix)) throw new ParseError(`expected ${prefix}…, got '${word}'`);
  return parseNumber(word.slice(prefix.length), name);
}

function domField(w: Words, name: string): number {
  const word = w.next(`${name}=`);
  const prefix = `${name}=`;
  if (!word.startsWith(prefix)) throw new ParseError(`expected ${prefix}…, got '${word}'`);
  return parseDom(word.slice(prefix.length));
}

function literal(w: Words, expected: string): void {
  const word = w.next(`'${expected}'`);
  if (word !== expected) throw new ParseError(`expected '${expected}', got '${word}'`);
}

export function parseMapFlags(text: string): number {
  if (text === 'none') return 0;
  let flags = 0;
  for (const part of text.split('|')) {
    const named = MAP_FLAG_NAMES.find(([name]) => name === part);
    flags |= named ? named[1] : parseNumber(part, 'map flag');
  }
  return flags >>> 0;
}

/** One side of a copy: `d1 ref=8 off=0` or `self gmfn=3 off=16`. */
function parseCopyPtr(w: Words): { ptr: CopyPtr; gref: boolean } {
  const domid = parseDom(w.next('domain'));
  const word = w.next('ref= or gmfn=');
  const gref = word.startsWith('ref=');
  if (!gref && !word.startsWith('gmfn=')) {
    throw new ParseError(`expected ref=… or gmfn=…, got '${word}'`);
  }
  const u = parseNumber(word.slice(gref ? 4 : 5), gref ? 'ref' : 'gmfn');
  return { ptr: { u, domid, offset: field(w, 'off') }, gref };
}

function splitWords(text: string): string[] {
  return text
    .trim()
    .split(/\s+/)
    .filter((w) => w.length > 0);
}

/** Parse a batch body: elements separated by ';'. */
function parseBatch<T>(body: string, element: (w: Words) => T): T[] {
  const parts = body.split(';').map((p) => p.trim());
  if (parts.length === 1 && parts[0] === '') return [];
  return parts.map((part) => {
    const w = new Words(splitWords(part));
    const value = element(w);
    w.expectEnd();
    return value;
  });
}

function parseBody(kind: string, body: string): Op {
  // Hypercalls: "caller: rest"; guest ops: plain words.
  const colon = body.indexOf(':');
  const hyper = (): { caller: number; rest: string } => {
    if (colon < 0) throw new ParseError(`${kind} needs 'dN:' before its arguments`);
    return { caller: parseDom(body.slice(0, colon).trim()), rest: body.slice(colon + 1) };
  };
  switch (kind) {
    case 'grant_access': {
      const w = new Words(splitWords(body));
      const d = parseDom(w.next('domain'));
      const ref = field(w, 'ref');
      literal(w, '->');
      const grantee = parseDom(w.next('grantee'));
      const gfn = field(w, 'gfn');
      const mode = w.next('ro or rw');
      if (mode !== 'ro' && mode !== 'rw') throw new ParseError(`expected ro or rw, got '${mode}'`);
      w.expectEnd();
      return { kind, dom: d, ref, grantee, gfn, readonly: mode === 'ro' };
    }
    case 'grant_transfer': {
      const w = new Words(splitWords(body));
      const d = parseDom(w.next('domain'));
      const ref = field(w, 'ref');
      literal(w, '<-');
      const grantee = parseDom(w.next('grantee'));
      const gfn = field(w, 'gfn');
      w.expectEnd();
      return { kind, dom: d, ref, grantee, gfn };
    }
    case 'end_access':
    case 'end_transfer': {
      const w = new Words(splitWords(body));
      const d = parseDom(w.next('domain'));
      const ref = field(w, 'ref');
      w.expectEnd();
      return { kind, dom: d, ref };
    }
    case 'raw_write': {
      const w = new Words(splitWords(body));
      const d = parseDom(w.next('domain'));
      const op: Op = {
        kind,
        dom: d,
        ref: field(w, 'ref'),
        flags: field(w, 'flags'),
        domid: field(w, 'domid'),
        frame: field(w, 'frame'),
      };
      w.expectEnd();
      return op;
    }
    case 'write_page':
    case 'read_page': {
      const w = new Words(splitWords(body));
      const d = parseDom(w.next('domain'));
      const gfn = field(w, 'gfn');
      const off = field(w, 'off');
      const len = field(w, 'len');
      const op: Op =
        kind === 'write_page'
          ? { kind, dom: d, gfn, off, len, byte: field(w, 'byte') }
          : { kind, dom: d, gfn, off, len };
      w.expectEnd();
      return op;
    }
    case 'write_mapped':
    case 'read_mapped': {
      const w = new Words(splitWords(body));
      const d = parseDom(w.next('domain'));
      const at = w.next('@address');
      if (!at.startsWith('@')) throw new ParseError(`expected @address, got '${at}'`);
      const hostAddr = parseNumber(at.slice(1), 'host address');
      const off = field(w, 'off');
      const len = field(w, 'len');
      const op: Op =
        kind === 'write_mapped'
          ? { kind, dom: d, hostAddr, off, len, byte: field(w, 'byte') }
          : { kind, dom: d, hostAddr, off, len };
      w.expectEnd();
      return op;
    }
    case 'map': {
      // "d2 v1:": the calling vCPU, written only when it is not 0
      const vcpuAt = /^(.*\S)\s+v(\d+)$/.exec(colon < 0 ? '' : body.slice(0, colon).trim());
      const { caller, rest } = vcpuAt
        ? { caller: parseDom(vcpuAt[1] ?? ''), rest: body.slice(colon + 1) }
        : hyper();
      const vcpu = vcpuAt ? parseNumber(vcpuAt[2] ?? '', 'vCPU') : 0;
      const batch = parseBatch(rest, (w) => {
        const d = parseDom(w.next('granting domain'));
        const ref = field(w, 'ref');
        const flags = parseMapFlags(w.next('map flags'));
        const at = w.next('@address');
        if (!at.startsWith('@')) throw new ParseError(`expected @address, got '${at}'`);
        return { dom: d, ref, flags, hostAddr: parseNumber(at.slice(1), 'host address') };
      });
      return vcpu === 0
        ? { kind: 'map_grant_ref', caller, batch }
        : { kind: 'map_grant_ref', caller, vcpu, batch };
    }
    case 'unmap': {
      const { caller, rest } = hyper();
      const batch = parseBatch(rest, (w) => ({
        handle: field(w, 'h'),
        hostAddr: field(w, 'host'),
        devBusAddr: field(w, 'dev'),
      }));
      return { kind: 'unmap_grant_ref', caller, batch };
    }
    case 'transfer': {
      const { caller, rest } = hyper();
      const batch = parseBatch(rest, (w) => {
        const gfn = field(w, 'gfn');
        literal(w, '->');
        const domid = parseDom(w.next('receiving domain'));
        return { gfn, domid, ref: field(w, 'ref') };
      });
      return { kind: 'transfer', caller, batch };
    }
    case 'copy': {
      const { caller, rest } = hyper();
      const batch = parseBatch(rest, (w) => {
        const source = parseCopyPtr(w);
        literal(w, '->');
        const dest = parseCopyPtr(w);
        const len = field(w, 'len');
        const named = (source.gref ? GNTCOPY_source_gref : 0) | (dest.gref ? GNTCOPY_dest_gref : 0);
        // flags= (only written when other bits are set) gives every bit, the named ones included
        const flags = w.done() ? named : field(w, 'flags');
        if ((flags & COPY_FLAGS) !== named) {
          throw new ParseError(`flags=${hex(flags)} disagrees with the ref=/gmfn= of the sides`);
        }
        return { source: source.ptr, dest: dest.ptr, len, flags };
      });
      return { kind: 'copy', caller, batch };
    }
    case 'setup_table': {
      const { caller, rest } = hyper();
      const w = new Words(splitWords(rest));
      const op: Op = { kind, caller, dom: domField(w, 'dom'), nrFrames: field(w, 'frames') };
      w.expectEnd();
      return op;
    }
    case 'query_size': {
      const { caller, rest } = hyper();
      const w = new Words(splitWords(rest));
      const op: Op = { kind, caller, dom: domField(w, 'dom') };
      w.expectEnd();
      return op;
    }
    case 'unmap_and_replace': {
      const { caller, rest } = hyper();
      const batch = parseBatch(rest, (w) => ({
        handle: field(w, 'h'),
        hostAddr: field(w, 'host'),
        newAddr: field(w, 'new'),
      }));
      return { kind: 'unmap_and_replace', caller, batch };
    }
    case 'destroy_domain': {
      const { caller, rest } = hyper();
      const w = new Words(splitWords(rest));
      const op: Op = { kind, caller, dom: domField(w, 'dom') };
      w.expectEnd();
      return op;
    }
    case 'swap': {
      const { caller, rest } = hyper();
      const batch = parseBatch(rest, (w) => {
        const refA = field(w, 'ref');
        literal(w, '<->');
        return { refA, refB: field(w, 'ref') };
      });
      return { kind: 'swap_grant_ref', caller, batch };
    }
    case 'alloc_refs':
    case 'free_ref':
    case 'end_access_deferred':
    case 'tick':
    case 'free_page': {
      const w = new Words(splitWords(body));
      const d = parseDom(w.next('domain'));
      let op: Op;
      if (kind === 'alloc_refs') op = { kind, dom: d, count: field(w, 'count') };
      else if (kind === 'free_ref') op = { kind, dom: d, ref: field(w, 'ref') };
      else if (kind === 'tick') op = { kind, dom: d };
      else if (kind === 'free_page') op = { kind, dom: d, gfn: field(w, 'gfn') };
      else {
        const ref = field(w, 'ref');
        op = w.done() ? { kind, dom: d, ref } : { kind, dom: d, ref, gfn: field(w, 'gfn') };
      }
      w.expectEnd();
      return op;
    }
    case 'backend_map':
    case 'backend_io':
    case 'backend_unmap': {
      const w = new Words(splitWords(body));
      const d = parseDom(w.next('domain'));
      const request = field(w, 'req');
      let op: Op;
      if (kind === 'backend_unmap') op = { kind, dom: d, request };
      else if (kind === 'backend_io') {
        const how = w.next('read or write');
        if (how !== 'read' && how !== 'write') {
          throw new ParseError(`expected read or write, got '${how}'`);
        }
        op = { kind, dom: d, request, write: how === 'write' };
      } else {
        literal(w, '<-');
        const frontend = parseDom(w.next('frontend domain'));
        const list = w.next('refs=');
        if (!list.startsWith('refs=')) throw new ParseError(`expected refs=, got '${list}'`);
        const refs = list
          .slice('refs='.length)
          .split(',')
          .map((r) => parseNumber(r, 'ref'));
        const ro = !w.done() && w.next('ro') === 'ro';
        op = { kind, dom: d, request, frontend, refs, readonly: ro };
      }
      w.expectEnd();
      return op;
    }
    default:
      throw new ParseError(`unknown op '${kind}'`);
  }
}

/** Parse one op from its canonical text form. Never throws. */
export function parseOp(text: string): ParseResult {
  const m = /^\s*([a-z_]+)\((.*)\)\s*$/s.exec(text);
  if (!m) return { ok: false, error: `'${text.trim()}' is not an op: expected name(arguments)` };
  try {
    return { ok: true, op: parseBody(m[1] ?? '', m[2] ?? '') };
  } catch (e) {
    if (e instanceof ParseError) return { ok: false, error: `${m[1] ?? ''}: ${e.message}` };
    throw e;
  }
}
