import { Node, SyntaxKind, VariableDeclarationKind, type Expression, type SourceFile } from "ts-morph";

/** A value the reader could work out from source text alone. */
export type StaticValue = string | number | boolean | null | readonly StaticValue[] | { readonly [key: string]: StaticValue };

/**
 * A value only known when the file runs (a call, a `let`, a template with
 * substitutions…). Kept in place of the value so the rest of the experiment
 * still reads; `text` is the source that produced it.
 */
export class Unreadable {
  constructor(
    /** The expression's source text. */
    readonly text: string,
    /** Why it cannot be read statically. */
    readonly reason: string,
    /** 1-based line of the expression. */
    readonly line: number,
  ) {}

  toJSON(): { $unreadable: string; reason: string } {
    return { $unreadable: this.text, reason: this.reason };
  }
}

export type Evaluated = StaticValue | Unreadable | readonly Evaluated[] | { readonly [key: string]: Evaluated };

/** Whether `value` (or anything inside it) is {@link Unreadable}. */
export function containsUnreadable(value: unknown): boolean {
  if (value instanceof Unreadable) return true;
  if (Array.isArray(value)) return value.some(containsUnreadable);
  if (typeof value === "object" && value !== null) return Object.values(value).some(containsUnreadable);
  return false;
}

/** Every {@link Unreadable} inside `value`, depth first. */
export function unreadablesIn(value: unknown): Unreadable[] {
  if (value instanceof Unreadable) return [value];
  if (Array.isArray(value)) return value.flatMap(unreadablesIn);
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(unreadablesIn);
  return [];
}

function unreadable(node: Node, reason: string): Unreadable {
  const text = node.getText();
  return new Unreadable(text.length > 80 ? `${text.slice(0, 77)}...` : text, reason, node.getStartLineNumber());
}

/** Strips `( … )`, `as T`, `satisfies T`, `<T>x` and `x!`, which change types but not values. */
export function unwrap(node: Node): Node {
  let n = node;
  for (;;) {
    if (Node.isParenthesizedExpression(n) || Node.isAsExpression(n) || Node.isSatisfiesExpression(n) || Node.isTypeAssertion(n) || Node.isNonNullExpression(n)) {
      n = n.getExpression();
    } else {
      return n;
    }
  }
}

/**
 * The initializer of the `const` that `identifier` names, found syntactically
 * in its own file first (no type checker: fast, and enough for experiment
 * files), then through the type checker for imports. `undefined` when the
 * name is not a `const` with an initializer (a `let`, a parameter, a function).
 */
export function constInitializer(identifier: Node): Expression | undefined {
  const name = identifier.getText();
  const file: SourceFile = identifier.getSourceFile();
  const local = file.getVariableDeclaration(name);
  if (local) {
    const statement = local.getVariableStatement();
    return statement?.getDeclarationKind() === VariableDeclarationKind.Const ? local.getInitializer() : undefined;
  }
  const imported = file.getImportDeclarations().some((d) => d.getNamedImports().some((n) => (n.getAliasNode() ?? n.getNameNode()).getText() === name));
  if (!imported) return undefined;
  // Only imports need the checker; it loads the imported module's sources lazily.
  const symbol = identifier.getSymbol();
  const target = symbol?.isAlias() ? symbol.getAliasedSymbol() : symbol;
  for (const declaration of target?.getDeclarations() ?? []) {
    if (Node.isVariableDeclaration(declaration) && declaration.getVariableStatement()?.getDeclarationKind() === VariableDeclarationKind.Const) {
      return declaration.getInitializer();
    }
  }
  return undefined;
}

/**
 * Evaluates `node` as far as source text allows: literals, arrays, objects,
 * unary minus, `const` names (same file or imported), spreads of those, and
 * property access into them. Anything else becomes {@link Unreadable} at the
 * smallest enclosing expression, so `[1e-3, Math.pow(10, -4)]` is an array of
 * length 2 with one unreadable element.
 */
export function evaluate(node: Node, seen: Set<Node> = new Set()): Evaluated {
  const n = unwrap(node);
  // Not getLiteralValue(): it misreads exponents such as 5e-324 as 5.
  if (Node.isNumericLiteral(n)) return Number(n.getText().replace(/_/g, ""));
  if (Node.isStringLiteral(n) || Node.isNoSubstitutionTemplateLiteral(n)) return n.getLiteralValue();
  if (n.getKind() === SyntaxKind.TrueKeyword) return true;
  if (n.getKind() === SyntaxKind.FalseKeyword) return false;
  if (n.getKind() === SyntaxKind.NullKeyword) return null;
  if (Node.isPrefixUnaryExpression(n)) {
    const op = n.getOperatorToken();
    const operand = evaluate(n.getOperand(), seen);
    if (typeof operand === "number" && op === SyntaxKind.MinusToken) return -operand;
    if (typeof operand === "number" && op === SyntaxKind.PlusToken) return operand;
    return unreadable(n, "an operator applied to a value that is not a literal number");
  }
  if (Node.isArrayLiteralExpression(n)) {
    const out: Evaluated[] = [];
    for (const element of n.getElements()) {
      if (Node.isSpreadElement(element)) {
        const spread = evaluate(element.getExpression(), seen);
        if (Array.isArray(spread)) out.push(...(spread as Evaluated[]));
        // The array's length is unknown too, so the whole array is unreadable.
        else return unreadable(n, `spreads ${element.getExpression().getText()}, whose elements are only known at run time`);
      } else if (Node.isOmittedExpression(element)) {
        return unreadable(n, "an array with holes");
      } else {
        out.push(evaluate(element, seen));
      }
    }
    return out as StaticValue;
  }
  if (Node.isObjectLiteralExpression(n)) {
    const out: Record<string, Evaluated> = {};
    for (const property of n.getProperties()) {
      if (Node.isPropertyAssignment(property)) {
        const key = propertyKey(property.getNameNode());
        if (key === undefined) return unreadable(n, `a computed property name ${property.getNameNode().getText()}`);
        out[key] = evaluate(property.getInitializerOrThrow(), seen);
      } else if (Node.isShorthandPropertyAssignment(property)) {
        out[property.getName()] = evaluate(property.getNameNode(), seen);
      } else if (Node.isSpreadAssignment(property)) {
        const spread = evaluate(property.getExpression(), seen);
        if (typeof spread !== "object" || spread === null || Array.isArray(spread) || spread instanceof Unreadable) {
          // Which keys the spread sets is unknown, so no key of this object can be trusted.
          return unreadable(n, `spreads ${property.getExpression().getText()}, whose keys are only known at run time`);
        }
        Object.assign(out, spread);
      } else {
        return unreadable(n, "an object with methods or accessors");
      }
    }
    return out as StaticValue;
  }
  if (Node.isIdentifier(n)) {
    if (n.getText() === "undefined") return unreadable(n, "undefined is not a hyperparameter value");
    const initializer = constInitializer(n);
    if (!initializer || seen.has(initializer)) return unreadable(n, "a variable that is not a const with a readable initializer");
    return evaluate(initializer, new Set([...seen, initializer]));
  }
  if (Node.isPropertyAccessExpression(n)) {
    const object = evaluate(n.getExpression(), seen);
    if (typeof object === "object" && object !== null && !Array.isArray(object) && !(object instanceof Unreadable)) {
      const value = (object as Record<string, Evaluated>)[n.getName()];
      if (value !== undefined) return value;
    }
    return unreadable(n, "a property of a value that is only known at run time");
  }
  if (Node.isCallExpression(n)) return unreadable(n, "a function call, evaluated at run time");
  if (Node.isTemplateExpression(n)) return unreadable(n, "a template string with substitutions");
  if (Node.isBinaryExpression(n)) return unreadable(n, "arithmetic or logic, evaluated at run time");
  return unreadable(n, `a ${n.getKindName()}, evaluated at run time`);
}

/** The key an object property names, or `undefined` for computed names. */
export function propertyKey(name: Node): string | undefined {
  if (Node.isIdentifier(name) || Node.isPrivateIdentifier(name)) return name.getText();
  if (Node.isStringLiteral(name) || Node.isNoSubstitutionTemplateLiteral(name)) return name.getLiteralValue();
  if (Node.isNumericLiteral(name)) return String(Number(name.getText().replace(/_/g, "")));
  return undefined;
}
