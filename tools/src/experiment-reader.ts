import path from "node:path";
import { Node, Project, ts, type CallExpression, type Expression, type SourceFile } from "ts-morph";
import { isParamKey } from "@ganscope/dsl";
import { constInitializer, evaluate, propertyKey, unreadablesIn, unwrap, Unreadable, type Evaluated } from "./static-value.js";

/** Why part of an experiment could not be read without running it. */
export type StaticIssueCode =
  /** A value computed at run time (a call, a `let`, arithmetic…): the key is known, its value is not. */
  | "computed-value"
  /** A spread whose contents are only known at run time: which keys it sets is unknown. */
  | "spread"
  /** A `.where()` filter: the grid size is known, how many runs survive is not. */
  | "where-filter"
  /** A key that is not a hyperparameter; `compile()` rejects it, `definition` drops it. */
  | "unknown-key"
  /** A key varied twice; `compile()` rejects it, `definition` keeps the first axis. */
  | "duplicate-axis"
  /** The default export is not a readable `experiment("…")…` chain. */
  | "not-an-experiment"
  /** A builder method the reader does not know. */
  | "unknown-method";

export interface StaticIssue {
  readonly code: StaticIssueCode;
  /** 1-based line in the file. */
  readonly line: number;
  /** A sentence naming what could not be read and what that leaves unknown. */
  readonly message: string;
}

/** One varied hyperparameter as the source declares it. */
export interface StaticAxis {
  readonly key: string;
  /** The values; `null` when the list itself is unreadable (its length is unknown too). */
  readonly values: readonly Evaluated[] | null;
}

/** What an experiment file declares, read from its source without running it. */
export interface StaticExperiment {
  /** Path as given to the reader. */
  readonly file: string;
  /** `experiment("name")`'s argument; `null` when computed at run time. */
  readonly name: string | null;
  /** The last `.describe()` text; `""` when never called (as `definition`), `null` when unreadable. */
  readonly description: string | null;
  /** Fixed values (`fix`, `epochs`, `dataset`), a later fix of a key winning, as `definition.fixed`. */
  readonly fixed: Readonly<Record<string, Evaluated>>;
  /** Axes (`vary`, `seeds`) in declaration order, as `definition.axes`. */
  readonly axes: readonly StaticAxis[];
  /** Number of `.where()` filters. */
  readonly filters: number;
  /** Product of the axis lengths; `null` when an axis's length is unreadable. */
  readonly gridRuns: number | null;
  /** Runs `compile()` will produce: `gridRuns` when there are no filters, else `null` (only running the filters can tell). */
  readonly runs: number | null;
  /** Module specifiers the file imports (`@ganscope/dsl`, `./shared.js`), for dependency tracking. */
  readonly imports: readonly string[];
  /** Everything that could not be read; empty means the reading is exact. */
  readonly issues: readonly StaticIssue[];
}

/**
 * A ts-morph project tuned for reading experiment files: no files added from
 * a tsconfig (reading one file must not parse the workspace), but module
 * resolution configured so imported constants can be followed on demand.
 */
export function createReaderProject(): Project {
  return new Project({
    skipAddingFilesFromTsConfig: true,
    skipFileDependencyResolution: true,
    compilerOptions: {
      strict: true,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      target: ts.ScriptTarget.ES2022,
      noEmit: true,
    },
  });
}

/** Reads the experiment file at `file` (its current contents on disk). */
export function readExperimentFile(file: string, project: Project = createReaderProject()): StaticExperiment {
  const abs = path.resolve(file);
  const existing = project.getSourceFile(abs);
  const source = existing ? (existing.refreshFromFileSystemSync(), existing) : project.addSourceFileAtPath(abs);
  return readExperimentSource(source, file);
}

/** Reads experiment source text, e.g. a fixture; `fileName` decides where its relative imports resolve. */
export function readExperimentText(text: string, fileName = "inline.exp.ts", project: Project = createReaderProject()): StaticExperiment {
  return readExperimentSource(project.createSourceFile(path.resolve(fileName), text, { overwrite: true }), fileName);
}

interface Step {
  readonly method: string;
  readonly call: CallExpression;
}

/** Reads an already-parsed source file. */
export function readExperimentSource(source: SourceFile, file: string = source.getFilePath()): StaticExperiment {
  const issues: StaticIssue[] = [];
  const note = (code: StaticIssueCode, line: number, message: string) => issues.push({ code, line, message });
  const noteUnreadables = (value: unknown, what: string) => {
    for (const u of unreadablesIn(value)) note("computed-value", u.line, `${what}: \`${u.text}\` is ${u.reason}`);
  };
  const imports = source.getImportDeclarations().map((d) => d.getModuleSpecifierValue());

  const result = {
    file,
    name: null as string | null,
    description: "" as string | null,
    fixed: {} as Record<string, Evaluated>,
    axes: [] as StaticAxis[],
    filters: 0,
    imports,
  };
  const done = (): StaticExperiment => {
    const lengths = result.axes.map((a) => a.values?.length ?? null);
    const gridRuns = lengths.includes(null) ? null : (lengths as number[]).reduce((p, n) => p * n, 1);
    return Object.freeze({ ...result, gridRuns, runs: result.filters === 0 ? gridRuns : null, issues: Object.freeze(issues) });
  };

  const exported = defaultExportExpression(source);
  if (!exported) {
    note("not-an-experiment", 1, "no `export default …` expression");
    return done();
  }
  const chain = readChain(exported);
  if (typeof chain === "string") {
    note("not-an-experiment", exported.getStartLineNumber(), chain);
    return done();
  }

  const name = evaluate(chain.nameArg ?? chain.base);
  if (typeof name === "string") result.name = name;
  else note("computed-value", chain.base.getStartLineNumber(), `the experiment's name \`${chain.nameArg?.getText() ?? ""}\` is only known at run time`);

  const setFixed = (key: string, value: Evaluated, line: number, method: string) => {
    if (!isParamKey(key)) {
      note("unknown-key", line, `.${method}() sets "${key}", which is not a hyperparameter (compile() rejects it)`);
      return;
    }
    result.fixed[key] = value;
    noteUnreadables(value, `.${method}() ${key}`);
  };

  for (const { method, call } of chain.steps) {
    const args = call.getArguments();
    const line = call.getStartLineNumber();
    switch (method) {
      case "describe": {
        const text = args[0] ? evaluate(args[0]) : undefined;
        if (typeof text === "string") result.description = text;
        else {
          result.description = null;
          note("computed-value", line, `.describe() text \`${args[0]?.getText() ?? ""}\` is only known at run time`);
        }
        break;
      }
      case "fix":
        readFix(args[0], line);
        break;
      case "epochs":
      case "dataset":
        setFixed(method, args[0] ? evaluate(args[0]) : new Unreadable("", "missing", line), line, method);
        break;
      case "vary": {
        const key = args[0] ? evaluate(args[0]) : undefined;
        if (typeof key !== "string") {
          note("computed-value", line, `.vary() key \`${args[0]?.getText() ?? ""}\` is only known at run time; the plan's axes are unknown`);
          result.axes.push({ key: `<${args[0]?.getText() ?? "?"}>`, values: null });
          break;
        }
        addAxis(key, args[1] ? evaluate(args[1]) : undefined, line, "vary");
        break;
      }
      case "seeds": {
        if (args.some((a) => Node.isSpreadElement(a))) {
          note("spread", line, `.seeds() spreads an argument list; how many seeds it passes is only known at run time`);
          addAxis("seed", new Unreadable(call.getText(), "a spread argument list", line), line, "seeds");
        } else {
          addAxis("seed", args.map((a) => evaluate(a)), line, "seeds");
        }
        break;
      }
      case "stopWhen":
      case "halving":
        // When runs end early: neither changes the grid, the fixed values nor the run count.
        break;
      case "where":
        result.filters++;
        note("where-filter", line, `.where(${shorten(args[0]?.getText() ?? "")}) filters runs at compile time; the grid is known, how many runs it keeps is not`);
        break;
      default:
        note("unknown-method", line, `.${method}() is not a builder method the reader knows; its effect is ignored`);
    }
  }
  return done();

  function addAxis(key: string, values: Evaluated | undefined, line: number, method: string) {
    if (!isParamKey(key)) {
      note("unknown-key", line, `.${method}() varies "${key}", which is not a hyperparameter (compile() rejects it)`);
      return;
    }
    if (result.axes.some((a) => a.key === key)) {
      note("duplicate-axis", line, `.${method}() varies "${key}" a second time (compile() rejects it)`);
      return;
    }
    if (Array.isArray(values)) {
      noteUnreadables(values, `.${method}("${key}")`);
      result.axes.push({ key, values });
    } else {
      const u = values instanceof Unreadable ? values : undefined;
      note(u?.reason.startsWith("spreads") ? "spread" : "computed-value", line, `.${method}("${key}") values \`${u?.text ?? "?"}\` are ${u?.reason ?? "missing"}; the axis length and run count are unknown`);
      result.axes.push({ key, values: null });
    }
  }

  /** A `.fix({...})` read property by property, so one computed value leaves the other keys readable. */
  function readFix(arg: Node | undefined, line: number) {
    const object = arg ? unwrap(arg) : undefined;
    if (!object || !Node.isObjectLiteralExpression(object)) {
      const value = arg ? evaluate(arg) : undefined;
      if (typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Unreadable)) {
        for (const [key, v] of Object.entries(value)) setFixed(key, v as Evaluated, line, "fix");
      } else {
        note("spread", line, `.fix(${shorten(arg?.getText() ?? "")}) is only known at run time; which keys it fixes is unknown`);
      }
      return;
    }
    for (const property of object.getProperties()) {
      const pline = property.getStartLineNumber();
      if (Node.isPropertyAssignment(property)) {
        const key = propertyKey(property.getNameNode());
        if (key === undefined) note("computed-value", pline, `.fix() key \`${property.getNameNode().getText()}\` is computed at run time`);
        else setFixed(key, evaluate(property.getInitializerOrThrow()), pline, "fix");
      } else if (Node.isShorthandPropertyAssignment(property)) {
        setFixed(property.getName(), evaluate(property.getNameNode()), pline, "fix");
      } else if (Node.isSpreadAssignment(property)) {
        const spread = evaluate(property.getExpression());
        if (typeof spread === "object" && spread !== null && !Array.isArray(spread) && !(spread instanceof Unreadable)) {
          for (const [key, v] of Object.entries(spread)) setFixed(key, v as Evaluated, pline, "fix");
        } else {
          note("spread", pline, `.fix() spreads \`${property.getExpression().getText()}\`, whose keys are only known at run time`);
        }
      } else {
        note("computed-value", pline, `.fix() has a method or accessor \`${shorten(property.getText())}\``);
      }
    }
  }
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}

/** The expression of `export default …`, or of the const that `export { x as default }` names. */
function defaultExportExpression(source: SourceFile): Expression | undefined {
  const assignment = source.getExportAssignment((e) => !e.isExportEquals());
  if (assignment) return assignment.getExpression();
  for (const declaration of source.getDefaultExportSymbol()?.getDeclarations() ?? []) {
    if (Node.isExportSpecifier(declaration)) {
      const local = source.getVariableDeclaration(declaration.getNameNode().getText());
      const init = local?.getInitializer();
      if (init) return init;
    }
    if (Node.isVariableDeclaration(declaration)) return declaration.getInitializer();
  }
  return undefined;
}

interface Chain {
  /** The `experiment(…)` call. */
  readonly base: CallExpression;
  readonly nameArg: Node | undefined;
  /** Builder calls after `experiment(…)`, in call order. */
  readonly steps: Step[];
}

/**
 * Walks `experiment("x").a(…).b(…)` from the outside in, following `const`
 * names (`const base = experiment("x")…; export default base.vary(…)`).
 * Returns a reason string when the expression is not such a chain.
 */
function readChain(expression: Node, seen: Set<Node> = new Set()): Chain | string {
  const n = unwrap(expression);
  if (Node.isIdentifier(n)) {
    const init = constInitializer(n);
    if (!init || seen.has(init)) return `\`${n.getText()}\` is not a const holding an experiment chain`;
    return readChain(init, new Set([...seen, init]));
  }
  if (!Node.isCallExpression(n)) return `the default export \`${shorten(n.getText())}\` is not an experiment("…")… chain`;
  const callee = unwrap(n.getExpression());
  if (Node.isIdentifier(callee)) {
    if (!isExperimentFunction(callee)) return `\`${callee.getText()}(…)\` is not @ganscope/dsl's experiment()`;
    return { base: n, nameArg: n.getArguments()[0], steps: [] };
  }
  if (Node.isPropertyAccessExpression(callee)) {
    const inner = readChain(callee.getExpression(), seen);
    if (typeof inner === "string") return inner;
    return { ...inner, steps: [...inner.steps, { method: callee.getName(), call: n }] };
  }
  return `\`${shorten(n.getText())}\` is not an experiment("…")… chain`;
}

/** Whether `identifier` names `experiment` imported from @ganscope/dsl (possibly renamed). */
function isExperimentFunction(identifier: Node): boolean {
  const name = identifier.getText();
  return identifier
    .getSourceFile()
    .getImportDeclarations()
    .some((d) => d.getModuleSpecifierValue() === "@ganscope/dsl" && d.getNamedImports().some((i) => i.getName() === "experiment" && (i.getAliasNode() ?? i.getNameNode()).getText() === name));
}
