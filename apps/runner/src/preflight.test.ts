import { describe, expect, test } from "vitest";
import { experiment } from "@ganscope/dsl";
import { CliError, checkPrecision } from "./preflight.js";

describe("checkPrecision: bf16 runs are refused before any worker starts where they cannot train", () => {
  const mixed = experiment("p").vary("precision", ["fp32", "bf16"]).compile();
  const fp32 = experiment("p").compile();
  const zen4 = () => new Set(["avx2", "avx512f", "avx512_bf16"]);
  const avx2 = () => new Set(["avx2", "fma"]);

  test("a CPU without avx512_bf16 or amx_bf16: one line naming the file and the count", () => {
    expect(() => checkPrecision([mixed], "p.exp.ts", undefined, avx2)).toThrow(CliError);
    expect(() => checkPrecision([mixed], "p.exp.ts", undefined, avx2)).toThrow(/^p\.exp\.ts: 1 run asks for bf16, but precision "bf16" needs a CPU with avx512_bf16 or amx_bf16/);
  });

  test("a backend other than tensorflow", () => {
    expect(() => checkPrecision([mixed], "p.exp.ts", "wasm", zen4)).toThrow(/this run's backend is wasm/);
  });

  test("passes where bf16 can train, and for plans without bf16 anywhere", () => {
    expect(() => checkPrecision([mixed], "p.exp.ts", undefined, zen4)).not.toThrow();
    expect(() => checkPrecision([mixed], "p.exp.ts", "tensorflow", zen4)).not.toThrow();
    expect(() => checkPrecision([fp32], "p.exp.ts", "cpu", avx2)).not.toThrow();
  });
});
