/**
 * Renames or removes a hyperparameter key across experiment files, the edit a
 * schema change needs (`gen_lr` → `g_lr`, dropping `leaky_slope`). Edits are
 * computed as text ranges on the parsed source, so everything the codemod
 * does not touch (comments, formatting) stays byte for byte; the result is
 * re-parsed and refused if it does not parse. What it cannot change safely is
 * reported as a problem with its line, never guessed at.
 */
import { Node, ts, type ArrowFunction, type CallExpression, type FunctionExpression, type ObjectLiteralExpression, type Project, type SourceFile } from "ts-morph";
import { constInitializer, propertyKey, unwrap } from "../static-value.js";

export type ParamEdit = { readonly kind: "rename"; readonly from: string; readonly to: string } | { readonly kind: "remove"; readonly key: string };

export interface CodemodNote {
  readonly line: number;
  readonly message: string;
}

export interface FileChange {
  readonly file: string;
  readonly before: string;
  /** The rewritten text; equal to `before` when nothing changed. */
  readonly after: string;
  /** What was changed, one note per edit. */
  readonly edits: readonly CodemodNote[];
  /** What needs a person: places that use the key but cannot be rewritten safely. */
  readonly problems: readonly CodemodNote[];
}

interface TextEdit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** Builder methods that set a key by their own name rather than through an object or a string. */
const SHORTHAND_METHODS: Readonly<Record<string, string>> = { epochs: "epochs", dataset: "dataset", seed: "seeds" };

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Computes the change to one parsed file; writes nothing. */
export function planParamEdit(source: SourceFile, edit: ParamEdit): FileChange {
  const key = edit.kind === "rename" ? edit.from : edit.key;
  const edits: TextEdit[] = [];
  const notes: CodemodNote[] = [];
  const problems: CodemodNote[] = [];
  /** A node's line; for a builder call, the line of its `.method` name (a chain's calls all start on its first line). */
  const line = (n: Node) => {
    const callee = Node.isCallExpression(n) ? n.getExpression() : undefined;
    return (callee && Node.isPropertyAccessExpression(callee) ? callee.getNameNode() : n).getStartLineNumber();
  };
  const editedObjects = new Set<ObjectLiteralExpression>();

  if (edit.kind === "rename" && !IDENTIFIER.test(edit.to)) {
    problems.push({ line: 1, message: `"${edit.to}" is not a valid hyperparameter name` });
  }

  for (const call of source.getDescendantsOfKind(ts.SyntaxKind.CallExpression)) {
    const callee = call.getExpression();
    if (!Node.isPropertyAccessExpression(callee) || !isExperimentChain(callee.getExpression())) continue;
    const method = callee.getName();
    const args = call.getArguments();
    switch (method) {
      case "fix":
        onFix(call, args[0]);
        break;
      case "vary": {
        const keyArg = args[0] ? unwrap(args[0]) : undefined;
        if (keyArg && (Node.isStringLiteral(keyArg) || Node.isNoSubstitutionTemplateLiteral(keyArg))) {
          if (keyArg.getLiteralValue() !== key) break;
          if (edit.kind === "rename") {
            edits.push(replaceLiteral(keyArg, edit.to));
            notes.push({ line: line(call), message: `.vary("${key}") → .vary("${edit.to}")` });
          } else {
            edits.push(removeCall(call));
            notes.push({ line: line(call), message: `removed .vary("${key}", …): the plan loses this axis and has fewer runs` });
          }
        } else {
          problems.push({ line: line(call), message: `.vary(${args[0]?.getText() ?? ""}, …) has a computed key that may be "${key}"` });
        }
        break;
      }
      case "where":
        onWhere(args[0]);
        break;
      default:
        if (SHORTHAND_METHODS[key] === method) {
          if (edit.kind === "remove") {
            edits.push(removeCall(call));
            notes.push({ line: line(call), message: `removed .${method}(…), which sets ${key}` });
          } else {
            problems.push({ line: line(call), message: `.${method}(…) sets "${key}" by its method name; rename the builder method by hand (or write .fix({ ${edit.to}: … }))` });
          }
        }
    }
  }

  // Apply from the end so earlier offsets stay valid; overlapping edits would mean a bug above.
  const before = source.getFullText();
  let after = before;
  const sorted = [...edits].sort((a, b) => b.start - a.start);
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i]!;
    if (i > 0 && e.end > sorted[i - 1]!.start) throw new Error(`codemod: overlapping edits in ${source.getFilePath()}`);
    after = after.slice(0, e.start) + e.text + after.slice(e.end);
  }
  if (after !== before) {
    const reparsed = ts.createSourceFile(source.getFilePath(), after, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS) as ts.SourceFile & { parseDiagnostics?: ts.Diagnostic[] };
    if ((reparsed.parseDiagnostics ?? []).length > 0) {
      problems.push({ line: 1, message: `the rewritten file would not parse (${ts.flattenDiagnosticMessageText(reparsed.parseDiagnostics![0]!.messageText, " ")}); left unchanged` });
      after = before;
    }
  }
  return { file: source.getFilePath(), before, after, edits: notes, problems };

  function onFix(call: CallExpression, arg: Node | undefined) {
    const object = arg ? unwrap(arg) : undefined;
    if (object && Node.isObjectLiteralExpression(object)) {
      const emptied = editObject(object, call);
      if (emptied) {
        edits.push(removeCall(call));
        notes.push({ line: line(call), message: `removed .fix(…), which only set ${key}` });
      }
      return;
    }
    // `.fix(base)` with `const base = { … }` in this file: the object is the fix, edit it there.
    const init = object && Node.isIdentifier(object) ? constInitializer(object) : undefined;
    const target = init ? unwrap(init) : undefined;
    if (target && Node.isObjectLiteralExpression(target) && target.getSourceFile() === source) {
      if (!editedObjects.has(target)) editObject(target, undefined);
      return;
    }
    problems.push({ line: line(call), message: `.fix(${arg?.getText() ?? ""}) is not an object literal; check whether it sets "${key}"` });
  }

  /** Edits `key` in an object literal used by fix(); returns true when removal would leave a `.fix({})`. */
  function editObject(object: ObjectLiteralExpression, call: CallExpression | undefined): boolean {
    editedObjects.add(object);
    const props = object.getProperties();
    let index = -1;
    props.forEach((p, i) => {
      if (Node.isSpreadAssignment(p)) {
        const spread = unwrap(p.getExpression());
        const init = Node.isIdentifier(spread) ? constInitializer(spread) : undefined;
        const inner = init ? unwrap(init) : undefined;
        if (inner && Node.isObjectLiteralExpression(inner) && inner.getSourceFile() === source) {
          if (!editedObjects.has(inner)) editObject(inner, undefined);
        } else {
          problems.push({ line: line(p), message: `.fix() spreads ${p.getExpression().getText()}, which may set "${key}"` });
        }
        return;
      }
      const name = Node.isPropertyAssignment(p) ? propertyKey(p.getNameNode()) : Node.isShorthandPropertyAssignment(p) ? p.getName() : undefined;
      if (Node.isPropertyAssignment(p) && name === undefined) problems.push({ line: line(p), message: `.fix() has a computed key ${p.getNameNode().getText()} that may be "${key}"` });
      if (name === key) index = i;
      if (edit.kind === "rename" && name === edit.to) problems.push({ line: line(p), message: `this object already sets "${edit.to}"; renaming "${key}" would set it twice` });
    });
    if (index < 0) return false;
    const prop = props[index]!;
    if (edit.kind === "rename") {
      if (Node.isShorthandPropertyAssignment(prop)) {
        // `{ gen_lr }` keeps reading the variable gen_lr: `{ g_lr: gen_lr }`.
        edits.push({ start: prop.getStart(), end: prop.getEnd(), text: `${edit.to}: ${prop.getName()}` });
      } else if (Node.isPropertyAssignment(prop)) {
        edits.push(replaceName(prop.getNameNode(), edit.to));
      }
      notes.push({ line: line(prop), message: `${key}: → ${edit.to}: in a fix() object` });
      return false;
    }
    const nonSpread = props.length;
    if (call && nonSpread === 1) return true;
    edits.push(removeListItem(props, index));
    notes.push({ line: line(prop), message: `removed ${key} from a fix() object` });
    return false;
  }

  function onWhere(arg: Node | undefined) {
    const fn = arg ? unwrap(arg) : undefined;
    if (!fn || !(Node.isArrowFunction(fn) || Node.isFunctionExpression(fn))) {
      if (arg && arg.getText().includes(key)) problems.push({ line: line(arg), message: `.where(${arg.getText()}) is defined elsewhere; check its use of "${key}" by hand` });
      else if (arg) problems.push({ line: line(arg), message: `.where(${arg.getText()}) is not an inline function; check whether it reads "${key}"` });
      return;
    }
    const uses = whereUses(fn);
    if (uses.length === 0) return;
    if (edit.kind === "remove") {
      for (const u of uses) problems.push({ line: line(u), message: `the filter reads "${key}"; after removing the key it would read undefined, so edit the filter by hand` });
      return;
    }
    for (const u of uses) {
      if (Node.isPropertyAccessExpression(u)) edits.push(replaceName(u.getNameNode(), edit.to));
      else if (Node.isElementAccessExpression(u)) edits.push(replaceLiteral(u.getArgumentExpressionOrThrow(), edit.to));
      else if (Node.isBindingElement(u)) {
        const prop = u.getPropertyNameNode();
        if (prop) edits.push(replaceName(prop, edit.to));
        else edits.push({ start: u.getNameNode().getStart(), end: u.getNameNode().getStart(), text: `${edit.to}: ` }); // `{ gen_lr }` → `{ g_lr: gen_lr }`
      }
      notes.push({ line: line(u), message: `filter reads ${key} → ${edit.to}` });
    }
  }

  /** Places in a filter that read `key` from its config parameter: `c.key`, `c["key"]`, `({ key }) =>`. */
  function whereUses(fn: ArrowFunction | FunctionExpression): Node[] {
    const param = fn.getParameters()[0];
    if (!param) return [];
    const name = param.getNameNode();
    if (Node.isObjectBindingPattern(name)) {
      const found: Node[] = [];
      for (const element of name.getElements()) {
        const prop = element.getPropertyNameNode();
        const k = prop ? propertyKey(prop) : element.getName();
        if (element.getDotDotDotToken()) problems.push({ line: line(element), message: `the filter collects the rest of the config into ...${element.getName()}, which may read "${key}"` });
        else if (k === key) found.push(element);
      }
      return found;
    }
    if (!Node.isIdentifier(name)) return [];
    const symbol = name.getSymbol();
    const found: Node[] = [];
    for (const id of fn.getBody().getDescendantsOfKind(ts.SyntaxKind.Identifier)) {
      if (id.getText() !== name.getText() || id.getSymbol() !== symbol) continue;
      const parent = id.getParent();
      if (Node.isPropertyAccessExpression(parent) && parent.getExpression() === id) {
        if (parent.getName() === key) found.push(parent);
      } else if (Node.isElementAccessExpression(parent) && parent.getExpression() === id) {
        const arg = parent.getArgumentExpression();
        const literal = arg ? unwrap(arg) : undefined;
        if (literal && (Node.isStringLiteral(literal) || Node.isNoSubstitutionTemplateLiteral(literal))) {
          if (literal.getLiteralValue() === key) found.push(parent);
        } else {
          problems.push({ line: line(parent), message: `the filter reads ${parent.getText()}, a computed key that may be "${key}"` });
        }
      } else {
        // Passed on (`check(c)`), spread or destructured later: we cannot follow it.
        problems.push({ line: line(id), message: `the filter passes its config on (${parent?.getText().slice(0, 40)}); check its use of "${key}" by hand` });
      }
    }
    return found;
  }
}

/**
 * Whether `expression` is an `experiment(…)` chain (or a const holding one),
 * so that an unrelated `.fix()` or `.where()` in the same file is left alone.
 */
function isExperimentChain(expression: Node, depth = 0): boolean {
  const n = unwrap(expression);
  if (depth > 50) return false;
  if (Node.isCallExpression(n)) {
    const callee = unwrap(n.getExpression());
    if (Node.isIdentifier(callee)) return callee.getText() === "experiment" || importedExperimentAlias(callee);
    if (Node.isPropertyAccessExpression(callee)) return isExperimentChain(callee.getExpression(), depth + 1);
    return false;
  }
  if (Node.isIdentifier(n)) {
    const init = constInitializer(n);
    return init !== undefined && isExperimentChain(init, depth + 1);
  }
  return false;
}

function importedExperimentAlias(id: Node): boolean {
  return id
    .getSourceFile()
    .getImportDeclarations()
    .some((d) => d.getModuleSpecifierValue() === "@ganscope/dsl" && d.getNamedImports().some((i) => i.getName() === "experiment" && i.getAliasNode()?.getText() === id.getText()));
}

/** Replaces a string literal's value, keeping its quote style. */
function replaceLiteral(literal: Node, value: string): TextEdit {
  const text = literal.getText();
  const quote = text[0] === "'" || text[0] === "`" ? text[0] : '"';
  return { start: literal.getStart(), end: literal.getEnd(), text: `${quote}${value}${quote}` };
}

/** Replaces a property name: an identifier stays one; a quoted name stays quoted. */
function replaceName(name: Node, value: string): TextEdit {
  if (Node.isIdentifier(name) && IDENTIFIER.test(value)) return { start: name.getStart(), end: name.getEnd(), text: value };
  return replaceLiteral(name, value);
}

/** Removes `.method(…)` from a chain: the text between the receiver's end and the call's end, comments on that line included. */
function removeCall(call: CallExpression): TextEdit {
  const callee = call.getExpression();
  if (!Node.isPropertyAccessExpression(callee)) throw new Error(`codemod: ${call.getText()} is not a method call`);
  const receiver = callee.getExpression();
  return { start: receiver.getEnd(), end: call.getEnd(), text: "" };
}

/** Removes the `index`th of comma-separated items with one separating comma. */
function removeListItem(items: readonly Node[], index: number): TextEdit {
  const item = items[index]!;
  if (index < items.length - 1) return { start: item.getStart(), end: items[index + 1]!.getStart(), text: "" };
  if (index > 0) return { start: items[index - 1]!.getEnd(), end: item.getEnd(), text: "" };
  return { start: item.getStart(), end: item.getEnd(), text: "" };
}

/** Plans the edit over `files` (already added to `project`), in file order. */
export function planParamEditAll(project: Project, files: readonly string[], edit: ParamEdit): FileChange[] {
  return files.map((f) => planParamEdit(project.getSourceFileOrThrow(f), edit));
}
