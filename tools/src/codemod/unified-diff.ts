/**
 * A unified diff of two texts (`diff -u` format, 3 lines of context), for the
 * codemod's dry run. Line-based LCS: experiment files are a few dozen lines,
 * so the quadratic table is cheap and the output is minimal.
 */
export function unifiedDiff(before: string, after: string, fileA: string, fileB: string = fileA, context = 3): string {
  if (before === after) return "";
  const a = splitLines(before);
  const b = splitLines(after);
  const ops = diffLines(a, b);

  // Group ops into hunks: runs of changes with up to 2×context equal lines between them.
  const hunks: string[] = [];
  let i = 0;
  while (i < ops.length) {
    while (i < ops.length && ops[i]!.kind === " ") i++;
    if (i >= ops.length) break;
    let start = i;
    let back = 0;
    while (start > 0 && back < context && ops[start - 1]!.kind === " ") {
      start--;
      back++;
    }
    let end = i;
    for (;;) {
      while (end < ops.length && ops[end]!.kind !== " ") end++;
      let equal = 0;
      while (end + equal < ops.length && ops[end + equal]!.kind === " ") equal++;
      if (end + equal >= ops.length || equal > 2 * context) {
        end += Math.min(equal, context);
        break;
      }
      end += equal;
    }
    const slice = ops.slice(start, end);
    // Min, not the first op: removals were moved ahead of additions, so the first op's other-side line may be later.
    const aStart = Math.min(...slice.map((o) => o.aLine));
    const bStart = Math.min(...slice.map((o) => o.bLine));
    const aCount = slice.filter((o) => o.kind !== "+").length;
    const bCount = slice.filter((o) => o.kind !== "-").length;
    const header = `@@ -${range(aStart, aCount)} +${range(bStart, bCount)} @@`;
    hunks.push([header, ...slice.map((o) => `${o.kind}${o.text}`)].join("\n"));
    i = end;
  }
  const noEol = (text: string, side: "a" | "b") => (text.length > 0 && !text.endsWith("\n") ? `\n\\ No newline at end of file (${side})` : "");
  return `--- ${fileA}\n+++ ${fileB}\n${hunks.join("\n")}${noEol(before, "a") || noEol(after, "b")}\n`;
}

interface Op {
  readonly kind: " " | "-" | "+";
  readonly text: string;
  /** 1-based line in `a` (for "+", the line it is inserted before). */
  readonly aLine: number;
  readonly bLine: number;
}

function range(start: number, count: number): string {
  // diff -u writes an empty range as "start-1,0".
  return count === 0 ? `${start - 1},0` : count === 1 ? `${start}` : `${start},${count}`;
}

function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  // lcs[i][j] = length of the LCS of a[i..] and b[j..].
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ kind: " ", text: a[i]!, aLine: i + 1, bLine: j + 1 });
      i++;
      j++;
    } else if (j < m && (i >= n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      ops.push({ kind: "+", text: b[j]!, aLine: i + 1, bLine: j + 1 });
      j++;
    } else {
      ops.push({ kind: "-", text: a[i]!, aLine: i + 1, bLine: j + 1 });
      i++;
    }
  }
  // Within a change, print removals before additions, as diff -u does.
  for (let s = 0; s < ops.length; ) {
    if (ops[s]!.kind === " ") {
      s++;
      continue;
    }
    let e = s;
    while (e < ops.length && ops[e]!.kind !== " ") e++;
    const block = ops.slice(s, e);
    const sorted = [...block.filter((o) => o.kind === "-"), ...block.filter((o) => o.kind === "+")];
    ops.splice(s, e - s, ...sorted);
    s = e;
  }
  return ops;
}
