/**
 * A hand-assembled WebAssembly module that shares tfjs-backend-wasm's memory,
 * so kernels can be fused where the stock backend runs one op per pass.
 * WebAssembly's f32 and f32x4 arithmetic is IEEE single precision, the same
 * as the stock kernels', so fused results are bit-identical to unfused ones.
 *
 * Exports `adam(w, g, m, v, outW, outM, outV, n, β₁, 1-β₁, β₂, 1-β₂, 1-β₁ᵗ, 1-β₂ᵗ, ε, -lr)`:
 * byte addresses of n float32s each; computes in the stock AdamOptimizer's order
 *   m' = m·β₁ + g·(1-β₁);  v' = v·β₂ + (g·g)·(1-β₂)
 *   w' = ((m'/(1-β₁ᵗ)) / (√(v'/(1-β₂ᵗ)) + ε))·(-lr) + w
 * four lanes at a time, then the remainder one at a time.
 */

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, "utf8")];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

// Instructions used below.
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const i32c = (n: number) => [0x41, ...sleb(n)];
const I32_ADD = [0x6a];
const I32_AND = [0x71];
const I32_SHL = [0x74];
const I32_GE_U = [0x4f];
const simd = (op: number) => [0xfd, ...uleb(op)];
const V_LOAD = [...simd(0x00), 2, 0]; // align 2^2: tfjs buffers are float-aligned
const V_STORE = [...simd(0x0b), 2, 0];
const F4_SPLAT = simd(0x13);
const F4_SQRT = simd(0xe3);
const F4_ADD = simd(0xe4);
const F4_MUL = simd(0xe6);
const F4_DIV = simd(0xe7);
const F_LOAD = [0x2a, 2, 0];
const F_STORE = [0x38, 2, 0];
const F_SQRT = [0x91];
const F_ADD = [0x92];
const F_MUL = [0x94];
const F_DIV = [0x95];

/** `block loop (exit when i >= end) body; i += step; br loop end end` */
function forLoop(i: number, end: number, step: number, body: number[]): number[] {
  return [0x02, 0x40, 0x03, 0x40, ...get(i), ...get(end), ...I32_GE_U, 0x0d, 1, ...body, ...get(i), ...i32c(step), ...I32_ADD, ...set(i), 0x0c, 0, 0x0b, 0x0b];
}

function adamBody(): { locals: number[][]; code: number[] } {
  // Params 0-6: w g m v outW outM outV (byte addresses); 7: n; 8-15: β₁ 1-β₁ β₂ 1-β₂ 1-β₁ᵗ 1-β₂ᵗ ε -lr.
  const [W, G, M, V, OW, OM, OV, N] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [I, TOTAL, VEND] = [16, 17, 18]; // i32 locals
  const SPLAT = 19; // 8 v128 locals: the scalars 8-15 splatted
  const [VG, VM, VV] = [27, 28, 29]; // v128 temporaries
  const [SG, SM, SV] = [30, 31, 32]; // f32 temporaries
  const at = (ptr: number) => [...get(ptr), ...get(I), ...I32_ADD];
  const step = (
    load: number[],
    store: number[],
    [add, mul, div, sqrt]: readonly [number[], number[], number[], number[]],
    k: (j: number) => number,
    [g, m, v]: readonly [number, number, number],
  ): number[] => [
    ...at(G), ...load, ...set(g),
    ...at(M), ...load, ...get(k(0)), ...mul, ...get(g), ...get(k(1)), ...mul, ...add, ...set(m),
    ...at(V), ...load, ...get(k(2)), ...mul, ...get(g), ...get(g), ...mul, ...get(k(3)), ...mul, ...add, ...set(v),
    ...at(OM), ...get(m), ...store,
    ...at(OV), ...get(v), ...store,
    ...at(OW),
    ...get(m), ...get(k(4)), ...div,
    ...get(v), ...get(k(5)), ...div, ...sqrt, ...get(k(6)), ...add,
    ...div, ...get(k(7)), ...mul, ...at(W), ...load, ...add,
    ...store,
  ];
  const code = [
    ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((j) => [...get(8 + j), ...F4_SPLAT, ...set(SPLAT + j)]),
    ...get(N), ...i32c(2), ...I32_SHL, ...set(TOTAL),
    ...get(TOTAL), ...i32c(-16), ...I32_AND, ...set(VEND),
    ...forLoop(I, VEND, 16, step(V_LOAD, V_STORE, [F4_ADD, F4_MUL, F4_DIV, F4_SQRT], (j) => SPLAT + j, [VG, VM, VV])),
    ...forLoop(I, TOTAL, 4, step(F_LOAD, F_STORE, [F_ADD, F_MUL, F_DIV, F_SQRT], (j) => 8 + j, [SG, SM, SV])),
    0x0b,
  ];
  return { locals: [[...uleb(3), I32], [...uleb(11), V128], [...uleb(3), F32]], code };
}

function buildModule(): Uint8Array {
  const adamType = [0x60, ...vec([...Array(8).fill([I32]), ...Array(8).fill([F32])]), ...vec([])];
  const { locals, code } = adamBody();
  const func = [...vec(locals), ...code];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([adamType])),
    ...section(2, vec([[...name("env"), ...name("memory"), 0x02, 0x00, 0x00]])), // memory, min 0 pages, no max
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name("adam"), 0x00, 0x00]])),
    ...section(10, vec([[...uleb(func.length), ...func]])),
  ]);
}

/** The slice of the WebAssembly JS API used here (tsconfig's lib has no DOM, which declares it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: { env: { memory: WasmMemory } }) => { exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export interface SimdKernels {
  adam(w: number, g: number, m: number, v: number, outW: number, outM: number, outV: number, n: number, ...scalars: number[]): void;
}

const instances = new WeakMap<WasmMemory, SimdKernels | null>();
let compiled: object | null | undefined;

/** The kernels bound to a wasm memory, or null where this engine lacks WebAssembly SIMD. */
export function simdKernels(memory: WasmMemory): SimdKernels | null {
  if (!instances.has(memory)) {
    if (compiled === undefined) {
      const bytes = buildModule();
      compiled = wasmApi.validate(bytes) ? new wasmApi.Module(bytes) : null;
    }
    instances.set(memory, compiled && (new wasmApi.Instance(compiled, { env: { memory } }).exports as unknown as SimdKernels));
  }
  return instances.get(memory) ?? null;
}
