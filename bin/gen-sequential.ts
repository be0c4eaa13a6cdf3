// The sequential twins: from every module of src/impl and src/faults that declares steps
// (src/impl/steps.ts: generator functions pausing with `if (pausing) yield …`), a module under
// src/sequential.gen/ with the same functions as plain ones, for the engines that run each op to
// its end: `function*` becomes `function`, each pause is removed, `yield* f(…)` becomes a call of
// f's twin, `Steps<T>` becomes T, `xen.parts` the system's sequential parts table. One source to
// read; the twin is derived, never edited. A yield of any form not listed here stops the build
// with one line naming it, so that an edit cannot silently produce a wrong twin.
//
// Run by `npm run build` (so `npm ci`), the pre-scripts of test, typecheck, lint, bench,
// grantcheck, faults:sweep and fuzz, and vitest's globalSetup (vitest.config.ts and
// vitest.mutation.config.ts). Writes only files whose text changed; removes stale ones.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..');
/** Where the steps are declared (paths relative to the repository root, '/'-separated). */
const SOURCE_DIRS = ['src/impl', 'src/faults'];
/** The twins' tree: src/sequential.gen/<path under src>. */
export const OUT_DIR = 'src/sequential.gen';
/** The steps machinery (eachElement's twin is eachElementNow), the parts table and its types,
 * and the twins' registry: no twins, and no steps but steps.ts's own. */
const NOT_TWINNED = new Set(['src/impl/steps.ts', 'src/impl/parts.ts', 'src/impl/sequential.ts']);
/** Names a twin spells differently (everywhere they occur in it, imports included). */
const RENAMES: ReadonlyMap<string, string> = new Map([
  ['ImplParts', 'SequentialParts'],
  ['eachElement', 'eachElementNow'],
]);

/** A source the generator cannot twin: one line, naming the file, line and construct. */
export class TwinError extends Error {}

/** One top-level statement of a source module. */
interface Decl {
  readonly node: ts.Statement;
  readonly names: readonly string[];
  /** 'fn': a function, or a const bound to a function or a call; 'type': type alias/interface;
   * 'data': any other declaration (object tables such as a fault or DEFAULT_PARTS). */
  readonly kind: 'fn' | 'type' | 'data' | 'import' | 'other';
  readonly exported: boolean;
  /** Declares steps itself: a generator, a yield, a Steps/Generator type, eachElement/noPauses. */
  readonly marked: boolean;
  /** The identifiers it uses (an over-approximation: property names aside). */
  readonly refs: ReadonlySet<string>;
}

interface ImportRef {
  /** The imported module, repository-relative, when it is one of ours; else the specifier. */
  readonly from: string;
  readonly ours: boolean;
  readonly name: string;
  readonly typeOnly: boolean;
}

interface Module {
  readonly path: string;
  readonly sf: ts.SourceFile;
  readonly decls: readonly Decl[];
  readonly imports: ReadonlyMap<string, ImportRef>;
  /** `export { a as b } from './x.ts'` and `export * from`: exported name -> where it comes from. */
  readonly reexports: ReadonlyMap<string, { from: string; name: string }>;
  readonly reexportAll: readonly string[];
}

function fail(sf: ts.SourceFile, node: ts.Node, what: string): never {
  const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
  const text = node.getText(sf).split('\n')[0]?.slice(0, 80) ?? '';
  throw new TwinError(`${sf.fileName}:${line + 1}: ${what}: ${text}`);
}

function hasExport(node: ts.Node): boolean {
  return (
    ts.canHaveModifiers(node) &&
    (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
  );
}

/** Is `e` a call of a function of StrykerJS's instrumentation (`npm run mutation`)? */
function isStrykerCall(e: ts.Expression, prefix: 'stryMutAct_' | 'stryCov_'): boolean {
  return (
    ts.isCallExpression(e) && ts.isIdentifier(e.expression) && e.expression.text.startsWith(prefix)
  );
}

/** The expression itself: parentheses and type assertions off, and StrykerJS's mutant switches
 * (`stryMutAct_…("1") ? mutant : (stryCov_…("1"), e)`) taken on the unmutated side. */
function unwrap(e: ts.Expression): ts.Expression {
  for (;;) {
    if (
      ts.isParenthesizedExpression(e) ||
      ts.isAsExpression(e) ||
      ts.isSatisfiesExpression(e) ||
      ts.isTypeAssertionExpression(e)
    ) {
      e = e.expression;
    } else if (ts.isConditionalExpression(e) && isStrykerCall(unwrap(e.condition), 'stryMutAct_')) {
      e = e.whenFalse;
    } else if (
      ts.isBinaryExpression(e) &&
      e.operatorToken.kind === ts.SyntaxKind.CommaToken &&
      isStrykerCall(unwrap(e.left), 'stryCov_')
    ) {
      e = e.right;
    } else {
      return e;
    }
  }
}

function isFunctionValued(e: ts.Expression | undefined): boolean {
  if (e === undefined) return false;
  const u = unwrap(e);
  return (
    ts.isArrowFunction(u) ||
    ts.isFunctionExpression(u) ||
    ts.isCallExpression(u) ||
    ts.isIdentifier(u)
  );
}

/** Is this identifier a use (not a property name or a declaration's member name)? */
function isUse(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if (ts.isQualifiedName(p) && p.right === id) return false;
  if ((ts.isPropertyAssignment(p) || ts.isPropertySignature(p)) && p.name === id) return false;
  if ((ts.isMethodDeclaration(p) || ts.isMethodSignature(p)) && p.name === id) return false;
  if (ts.isPropertyDeclaration(p) && p.name === id) return false;
  return true;
}

function collect(node: ts.Node): { marked: boolean; refs: Set<string> } {
  const refs = new Set<string>();
  let marked = false;
  const visit = (n: ts.Node): void => {
    if ((ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n)) && n.asteriskToken) {
      marked = true;
    }
    if (ts.isMethodDeclaration(n) && n.asteriskToken) marked = true;
    if (ts.isYieldExpression(n)) marked = true;
    if (ts.isTypeReferenceNode(n) && ts.isIdentifier(n.typeName)) {
      if (n.typeName.text === 'Steps' || n.typeName.text === 'Generator') marked = true;
    }
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression)) {
      if (n.expression.text === 'eachElement' || n.expression.text === 'noPauses') marked = true;
    }
    if (ts.isIdentifier(n) && isUse(n)) refs.add(n.text);
    ts.forEachChild(n, visit);
  };
  visit(node);
  return { marked, refs };
}

function declaresGenerator(node: ts.Node): boolean {
  if (ts.isYieldExpression(node)) return true;
  if ((ts.isFunctionLike(node) || ts.isMethodDeclaration(node)) && 'asteriskToken' in node) {
    if (node.asteriskToken !== undefined) return true;
  }
  return ts.forEachChild(node, declaresGenerator) ?? false;
}

function resolveSpecifier(fromPath: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  return posix.normalize(posix.join(posix.dirname(fromPath), spec));
}

function parseModule(path: string, text: string): Module {
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const decls: Decl[] = [];
  const imports = new Map<string, ImportRef>();
  const reexports = new Map<string, { from: string; name: string }>();
  const reexportAll: string[] = [];
  for (const st of sf.statements) {
    const { marked, refs } = collect(st);
    if (ts.isImportDeclaration(st)) {
      const spec = (st.moduleSpecifier as ts.StringLiteral).text;
      const resolved = resolveSpecifier(path, spec);
      const clause = st.importClause;
      if (clause?.name) {
        imports.set(clause.name.text, {
          from: resolved ?? spec,
          ours: resolved !== undefined,
          name: 'default',
          typeOnly: clause.isTypeOnly,
        });
      }
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) {
        imports.set(bindings.name.text, {
          from: resolved ?? spec,
          ours: resolved !== undefined,
          name: '*',
          typeOnly: clause.isTypeOnly,
        });
      } else if (bindings) {
        for (const el of bindings.elements) {
          imports.set(el.name.text, {
            from: resolved ?? spec,
            ours: resolved !== undefined,
            name: (el.propertyName ?? el.name).text,
            typeOnly: clause.isTypeOnly || el.isTypeOnly,
          });
        }
      }
      decls.push({ node: st, names: [], kind: 'import', exported: false, marked: false, refs });
      continue;
    }
    if (ts.isExportDeclaration(st) && st.moduleSpecifier) {
      const from = resolveSpecifier(path, (st.moduleSpecifier as ts.StringLiteral).text);
      if (from !== undefined) {
        if (st.exportClause && ts.isNamedExports(st.exportClause)) {
          for (const el of st.exportClause.elements) {
            reexports.set(el.name.text, { from, name: (el.propertyName ?? el.name).text });
          }
        } else if (!st.exportClause) reexportAll.push(from);
      }
      decls.push({ node: st, names: [], kind: 'other', exported: false, marked, refs });
      continue;
    }
    const exported = hasExport(st);
    if (ts.isFunctionDeclaration(st)) {
      const names = st.name ? [st.name.text] : [];
      decls.push({ node: st, names, kind: 'fn', exported, marked, refs });
    } else if (ts.isVariableStatement(st)) {
      const names: string[] = [];
      let fn = true;
      for (const d of st.declarationList.declarations) {
        if (!ts.isIdentifier(d.name)) fail(sf, d, 'a destructuring declaration at module level');
        names.push(d.name.text);
        if (!isFunctionValued(d.initializer)) fn = false;
      }
      const isConst = (st.declarationList.flags & ts.NodeFlags.Const) !== 0;
      if (fn && !isConst && marked) fail(sf, st, 'steps bound by let or var');
      decls.push({ node: st, names, kind: fn && isConst ? 'fn' : 'data', exported, marked, refs });
    } else if (ts.isTypeAliasDeclaration(st) || ts.isInterfaceDeclaration(st)) {
      decls.push({ node: st, names: [st.name.text], kind: 'type', exported, marked, refs });
    } else if (ts.isClassDeclaration(st) || ts.isEnumDeclaration(st)) {
      if (ts.isClassDeclaration(st)) {
        const bad = st.members.find((m) => ts.isMethodDeclaration(m) && m.asteriskToken);
        if (bad) fail(sf, bad, 'a generator method (write steps as functions, so they get twins)');
      }
      const names = st.name ? [st.name.text] : [];
      decls.push({ node: st, names, kind: 'data', exported, marked: false, refs });
    } else {
      if (marked && !ts.isExportAssignment(st)) fail(sf, st, 'steps outside a declaration');
      decls.push({ node: st, names: [], kind: 'other', exported, marked: false, refs });
    }
  }
  return { path, sf, decls, imports, reexports, reexportAll };
}

/** The step declarations of every module: the marked ones, and those that use one (a wrapper
 * such as `(t, v) => getMaptrackHandleWith(splitPop, t, v)`), to a fixed point. */
function findSteps(modules: ReadonlyMap<string, Module>): Map<string, Set<string>> {
  const steps = new Map<string, Set<string>>();
  for (const m of modules.values()) steps.set(m.path, new Set());
  const resolveName = (path: string, name: string, seen = 0): [string, string] | undefined => {
    const m = modules.get(path);
    if (m === undefined || seen > 20) return undefined;
    if (m.decls.some((d) => d.names.includes(name))) return [path, name];
    const re = m.reexports.get(name);
    if (re) return resolveName(re.from, re.name, seen + 1);
    for (const from of m.reexportAll) {
      const hit = resolveName(from, name, seen + 1);
      if (hit) return hit;
    }
    const imp = m.imports.get(name);
    if (imp?.ours && imp.name !== '*') return resolveName(imp.from, imp.name, seen + 1);
    return undefined;
  };
  const isStep = (path: string, name: string): boolean => {
    const hit = resolveName(path, name);
    return hit !== undefined && (steps.get(hit[0])?.has(hit[1]) ?? false);
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const m of modules.values()) {
      if (NOT_TWINNED.has(m.path)) continue;
      const own = steps.get(m.path) ?? new Set<string>();
      for (const d of m.decls) {
        if ((d.kind !== 'fn' && d.kind !== 'type') || d.names.every((n) => own.has(n))) continue;
        if (d.names.some((n) => RENAMES.has(n))) continue;
        const uses = (r: string): boolean =>
          own.has(r) || (!d.names.includes(r) && m.imports.has(r) && isStep(m.path, r));
        if (d.marked || [...d.refs].some(uses)) {
          for (const n of d.names) own.add(n);
          changed = true;
        }
      }
    }
  }
  return steps;
}

/** The repository-relative path of a module's twin. */
export function twinPath(path: string): string {
  return posix.join(OUT_DIR, posix.relative('src', path));
}

function specifier(fromFile: string, toFile: string): string {
  const rel = posix.relative(posix.dirname(fromFile), toFile);
  return rel.startsWith('.') ? rel : `./${rel}`;
}

function isPausingTest(e: ts.Expression): boolean {
  const u = unwrap(e);
  if (ts.isIdentifier(u)) return true;
  if (ts.isPropertyAccessExpression(u)) return isPausingTest(u.expression);
  if (ts.isPrefixUnaryExpression(u) && u.operator === ts.SyntaxKind.ExclamationToken) {
    return isPausingTest(u.operand);
  }
  if (ts.isBinaryExpression(u) && u.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken) {
    return isPausingTest(u.left) && isPausingTest(u.right);
  }
  return false;
}

/** Does this && chain (of side-effect-free tests) have `pausing` as one of its terms? */
function testsPausing(e: ts.Expression): boolean {
  const u = unwrap(e);
  if (ts.isIdentifier(u)) return u.text === 'pausing';
  if (ts.isBinaryExpression(u) && u.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken) {
    return testsPausing(u.left) || testsPausing(u.right);
  }
  return false;
}

/** `if (… pausing …) yield pause;` (no else): a pause point, gone in the twin. */
function isPausePoint(st: ts.IfStatement): boolean {
  if (st.elseStatement !== undefined) return false;
  if (!testsPausing(st.expression) || !isPausingTest(st.expression)) return false;
  let then: ts.Statement = st.thenStatement;
  if (ts.isBlock(then) && then.statements.length === 1 && then.statements[0]) {
    then = then.statements[0];
  }
  return (
    ts.isExpressionStatement(then) &&
    ts.isYieldExpression(then.expression) &&
    then.expression.asteriskToken === undefined
  );
}

/** The module and name that define `name` as exported by `path`, through re-exports. */
function definitionOf(
  path: string,
  name: string,
  modules: ReadonlyMap<string, Module>,
): [string, string] | undefined {
  for (let i = 0; i < 20; i++) {
    const mm = modules.get(path);
    if (mm === undefined || mm.decls.some((d) => d.names.includes(name))) return [path, name];
    const re = mm.reexports.get(name);
    if (re === undefined) return undefined;
    [path, name] = [re.from, re.name];
  }
  return undefined;
}

/** A parts table: `parts` or `<expr>.parts` (the twin reads the sequential table instead). */
function isPartsTable(e: ts.Expression): boolean {
  const u = unwrap(e);
  return (
    (ts.isIdentifier(u) && u.text === 'parts') ||
    (ts.isPropertyAccessExpression(u) && u.name.text === 'parts')
  );
}

/** Is `id` a parameter of a function it is used in, or of one enclosing that (steps, or a step
 * function, handed in by a caller)? */
function isParameterOfEnclosing(id: ts.Identifier): boolean {
  for (let n: ts.Node = id.parent; !ts.isSourceFile(n); n = n.parent) {
    if (
      ts.isFunctionLike(n) &&
      n.parameters.some((p) => ts.isIdentifier(p.name) && p.name.text === id.text)
    ) {
      return true;
    }
  }
  return false;
}

/** The twin text of a step declaration; `stepNames`: the steps it may `yield*` a call of. */
function twinText(sf: ts.SourceFile, decl: ts.Node, stepNames: ReadonlySet<string>): string {
  const text = sf.text;
  const emit = (node: ts.Node): string => {
    if (ts.isIfStatement(node) && isPausePoint(node)) {
      const p = node.parent;
      const inList = ts.isBlock(p) || ts.isSourceFile(p) || ts.isCaseOrDefaultClause(p);
      return inList ? '' : '{}';
    }
    if (ts.isConditionalExpression(node)) {
      const cond = unwrap(node.condition);
      const whenTrue = unwrap(node.whenTrue);
      const whenFalse = unwrap(node.whenFalse);
      if (ts.isIdentifier(cond) && cond.text === 'pausing') {
        if (
          ts.isYieldExpression(whenTrue) &&
          whenTrue.asteriskToken === undefined &&
          ts.isIdentifier(whenFalse) &&
          whenFalse.text === 'undefined'
        ) {
          // a wait resumed by runToEnd: undefined, and the op gives up
          return '(undefined as true | undefined)';
        }
        fail(sf, node, 'unknown pausing form (known: `pausing ? yield pause : undefined`)');
      }
    }
    if (ts.isYieldExpression(node)) {
      if (node.asteriskToken === undefined || node.expression === undefined) {
        fail(sf, node, 'unknown yield form (known: `if (pausing) yield …;`, `yield* call(…)`)');
      }
      const inner = unwrap(node.expression);
      if (!ts.isCallExpression(inner) && !ts.isIdentifier(inner)) {
        fail(sf, node, 'unknown yield* form (known: `yield* f(…)`, `yield* steps`)');
      }
      // Why so strict? A twin calls what follows `yield*` and uses its value: steps of anything
      // else (a helper that returns a part's steps, a step made earlier) would be dropped or run
      // at the wrong time, silently.
      const callee = ts.isCallExpression(inner) ? unwrap(inner.expression) : undefined;
      const known =
        callee === undefined
          ? ts.isIdentifier(inner) && isParameterOfEnclosing(inner)
          : (ts.isIdentifier(callee) &&
              (stepNames.has(callee.text) || isParameterOfEnclosing(callee))) ||
            (ts.isPropertyAccessExpression(callee) && isPartsTable(callee.expression));
      if (!known) {
        fail(
          sf,
          node,
          'yield* of something not known to be steps (known: a step of this module or one it ' +
            'imports, `parts.X(…)`, a parameter or a call of one)',
        );
      }
      return emit(node.expression);
    }
    if (ts.isIdentifier(node)) {
      if (node.text === 'pausing' && isUse(node)) {
        fail(sf, node, 'pausing read outside a pause point (`if (pausing) yield …;`)');
      }
      const renamed = RENAMES.get(node.text);
      return renamed !== undefined && isUse(node) ? renamed : node.text;
    }
    if (ts.isPropertyAccessExpression(node) && node.name.text === 'parts') {
      const base = emit(node.expression);
      const between = text.slice(node.expression.end, node.name.getStart(sf));
      return `${base}${between}sequentialParts`;
    }
    if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName)) {
      const args = node.typeArguments ?? [];
      const name = node.typeName.text;
      const value =
        name === 'Steps' ? args[0] : name === 'Generator' && args.length >= 2 ? args[1] : undefined;
      if (value !== undefined) {
        const inner = emit(value);
        return ts.isUnionTypeNode(value) || ts.isFunctionTypeNode(value) ? `(${inner})` : inner;
      }
      if (name === 'Steps' || name === 'Generator') fail(sf, node, `unknown ${name} type`);
    }
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
      const callee = node.expression.text;
      if (callee === 'noPauses') {
        const run = node.arguments[0];
        if (run === undefined || node.arguments.length !== 1) fail(sf, node, 'noPauses(run)');
        const u = unwrap(run);
        if (ts.isArrowFunction(u) && u.parameters.length === 0 && !ts.isBlock(u.body)) {
          return `(${emit(u.body)})`;
        }
        return `(${emit(run)})()`;
      }
      if (callee === 'runToEnd' || callee === 'withPauses') {
        fail(sf, node, `${callee} inside steps (the twin has no steps to run)`);
      }
    }
    if (ts.isMethodDeclaration(node) && node.asteriskToken) {
      fail(sf, node, 'a generator method (write steps as functions, so they get twins)');
    }
    const dropStar =
      (ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node)) && node.asteriskToken;
    let out = '';
    let pos = node.getStart(sf);
    for (const child of node.getChildren(sf)) {
      if (ts.isJSDoc(child)) continue;
      const start = child.getStart(sf);
      if (start < pos) continue;
      out += text.slice(pos, start);
      out += dropStar && child === node.asteriskToken ? '' : emit(child);
      pos = child.end;
    }
    return out + text.slice(pos, node.end);
  };
  return text.slice(decl.getStart(sf, true), decl.getStart(sf)) + emit(decl);
}

/** The identifiers a piece of TypeScript uses. */
function usesOf(code: string): Set<string> {
  const sf = ts.createSourceFile('x.ts', code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  return collect(sf).refs;
}

const HEADER = (path: string) =>
  `// Generated by bin/gen-sequential.ts from ${path}: its steps as plain functions (no pauses).\n` +
  '// Do not edit: edit the source and rerun (every build, test, typecheck and bench does).\n';

/** The twin module of `m`, given every module's step names. */
function twinModule(
  m: Module,
  modules: ReadonlyMap<string, Module>,
  steps: ReadonlyMap<string, ReadonlySet<string>>,
): string {
  const own = steps.get(m.path) ?? new Set<string>();
  const out = twinPath(m.path);
  const sf = m.sf;
  // Bodies: each step declaration's twin; then, to a fixed point, the module's private helpers
  // they use (copied as they are); its exported ones are imported from the source.
  const body = new Map<Decl, string>();
  // The names a step may `yield*` a call of: its module's steps and the steps it imports.
  const stepNames = new Set(own);
  for (const [local, imp] of m.imports) {
    const target = imp.ours ? definitionOf(imp.from, imp.name, modules) : undefined;
    if (target && steps.get(target[0])?.has(target[1])) stepNames.add(local);
  }
  for (const d of m.decls) {
    if (d.names.some((n) => own.has(n))) body.set(d, twinText(sf, d.node, stepNames));
  }
  const used = new Set<string>();
  const fromSource = new Map<string, boolean>(); // exported non-step name -> is a type
  const addUses = (code: string): void => {
    for (const u of usesOf(code)) {
      if (used.has(u)) continue;
      used.add(u);
      const d = m.decls.find((x) => x.names.includes(u));
      if (d === undefined || body.has(d)) continue;
      if (d.exported) {
        fromSource.set(u, d.kind === 'type');
      } else if (d.kind === 'fn' || d.kind === 'type' || ts.isFunctionDeclaration(d.node)) {
        const copy = d.node.getFullText(sf).replace(/^\s*\n/, '\n');
        body.set(d, copy);
        addUses(copy);
      } else if (
        ts.isVariableStatement(d.node) &&
        (d.node.declarationList.flags & ts.NodeFlags.Const) !== 0
      ) {
        const copy = d.node.getFullText(sf);
        body.set(d, copy);
        addUses(copy);
      } else {
        fail(sf, d.node, `steps use ${u}, which is module state: export it`);
      }
    }
  };
  for (const code of [...body.values()]) addUses(code);

  const lines: string[] = [HEADER(m.path)];
  const importLine = (names: string[], from: string, typeOnly: boolean): void => {
    if (names.length > 0) {
      lines.push(`import ${typeOnly ? 'type ' : ''}{ ${names.join(', ')} } from '${from}';`);
    }
  };
  // The source's imports that the twin uses: a step from its defining module's twin.
  const groups = new Map<string, string[]>();
  for (const [local, imp] of m.imports) {
    const twinLocal = RENAMES.get(local) ?? local;
    if (!used.has(twinLocal)) continue;
    let from = imp.from;
    let name = RENAMES.get(imp.name) ?? imp.name;
    if (imp.ours) {
      const target = definitionOf(imp.from, imp.name, modules);
      if (target && steps.get(target[0])?.has(target[1])) {
        from = specifier(out, twinPath(target[0]));
        name = target[1];
      } else {
        from = specifier(out, imp.from);
      }
    }
    if (name === '*') {
      lines.push(`import ${imp.typeOnly ? 'type ' : ''}* as ${twinLocal} from '${from}';`);
      continue;
    }
    const key = `${imp.typeOnly ? 'type' : 'value'} ${from}`;
    const list = groups.get(key) ?? [];
    list.push(name === twinLocal ? name : `${name} as ${twinLocal}`);
    groups.set(key, list);
  }
  for (const [key, names] of groups) {
    const [kind, from] = key.split(' ') as [string, string];
    importLine(names, from, kind === 'type');
  }
  const source = specifier(out, m.path);
  const types = [...fromSource].filter(([, t]) => t).map(([n]) => n);
  const values = [...fromSource].filter(([, t]) => !t).map(([n]) => n);
  importLine(types, source, true);
  importLine(values, source, false);

  // The exported step values, paired with their sources for the registry (src/impl/sequential.ts).
  const pairs = m.decls
    .filter((d) => d.kind === 'fn' && d.exported && d.names.some((n) => own.has(n)))
    .flatMap((d) => d.names);
  if (pairs.length > 0) lines.push(`import * as source$ from '${source}';`);
  for (const d of m.decls) {
    const code = body.get(d);
    if (code !== undefined) lines.push(code.startsWith('\n') ? code : `\n${code}`);
  }
  lines.push(
    '\n/** Each exported step function of the source, with its twin. */',
    'export function twins$(): readonly (readonly [unknown, unknown])[] {',
    `  return [${pairs.map((n) => `[source$.${n}, ${n}]`).join(', ')}];`,
    '}\n',
  );
  return lines.join('\n').replace(/^[ \t]+$/gm, '');
}

/** Declarations that the registry cannot reach: a step function used outside steps (as a part in
 * a table) must be exported, so that its twin is registered. */
function checkReachable(m: Module, own: ReadonlySet<string>): void {
  for (const d of m.decls) {
    if (d.kind === 'fn' || d.kind === 'type' || d.kind === 'import') continue;
    for (const r of d.refs) {
      const target = m.decls.find((x) => x.names.includes(r));
      if (target && own.has(r) && !target.exported && !d.names.includes(r)) {
        fail(
          m.sf,
          target.node,
          `step function ${r} is used by ${d.names.join(', ') || 'a statement'} but not exported (its twin could not be registered)`,
        );
      }
    }
  }
}

/** The twin modules (repository-relative path -> text) of the given sources (path -> text). */
export function generateTwins(sources: ReadonlyMap<string, string>): Map<string, string> {
  const modules = new Map<string, Module>();
  for (const [path, text] of sources) modules.set(path, parseModule(path, text));
  const steps = findSteps(modules);
  const twins = new Map<string, string>();
  for (const m of modules.values()) {
    if (NOT_TWINNED.has(m.path) && m.path !== 'src/impl/steps.ts') {
      const gen = m.decls.find((d) => declaresGenerator(d.node));
      if (gen) fail(m.sf, gen.node, 'a generator in a module that has no twin');
    }
    const own = steps.get(m.path);
    if (own === undefined || own.size === 0) continue;
    checkReachable(m, own);
    twins.set(twinPath(m.path), twinModule(m, modules, steps));
  }
  const index = [...twins.keys()].sort();
  const lines = [
    '// Generated by bin/gen-sequential.ts: every twin module, and its (step function, twin) pairs.',
    '// Do not edit.',
    ...index.map(
      (p, i) =>
        `import { twins$ as t${i} } from '${specifier(posix.join(OUT_DIR, 'index.ts'), p)}';`,
    ),
    '',
    'export function allTwins(): readonly (readonly [unknown, unknown])[] {',
    `  return [${index.map((_, i) => `...t${i}()`).join(', ')}];`,
    '}',
    '',
  ];
  twins.set(posix.join(OUT_DIR, 'index.ts'), lines.join('\n'));
  return twins;
}

function listSources(dir: string): string[] {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true, encoding: 'utf8' })
    .map((f) => posix.join(dir, f.split(sep).join('/')))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
}

/** Regenerate src/sequential.gen/ from the sources; the paths written (unchanged ones are not). */
export function generateSequential(): string[] {
  const sources = new Map<string, string>();
  for (const dir of SOURCE_DIRS) {
    for (const path of listSources(dir)) sources.set(path, readFileSync(join(ROOT, path), 'utf8'));
  }
  const twins = generateTwins(sources);
  const written: string[] = [];
  for (const [path, text] of twins) {
    const abs = join(ROOT, path);
    if (existsSync(abs) && readFileSync(abs, 'utf8') === text) continue;
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, text);
    written.push(path);
  }
  for (const path of listSources(OUT_DIR)) {
    if (!twins.has(path)) rmSync(join(ROOT, path));
  }
  return written;
}

/** vitest's globalSetup: the twins are never stale in a test run. */
export function setup(): void {
  generateSequential();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const written = generateSequential();
    if (written.length > 0) console.log(`gen-sequential: wrote ${written.length} twin module(s)`);
  } catch (e) {
    if (!(e instanceof TwinError)) throw e;
    console.error(`gen-sequential: ${e.message}`);
    process.exitCode = 1;
  }
}
