/**
 * The fused Adam kernel (ADAM_KERNEL, see fused-adam.ts) for the webgpu
 * backend: stock tfjs Adam is ~14 dispatches a variable there (mul, add,
 * square, div, sqrt, … each its own WGSL program and buffer); this is 3, one
 * per output (weights, first and second moment), because a tfjs WebGPU
 * program writes one output. Each computes the stock optimiser's float32
 * operations in the stock order. The program and its entry point follow the
 * package's own (unary_op_webgpu.js): tfjs prepends the uniforms, the
 * buffers and their getters, and calls `main(index)` per element.
 */
import * as tf from "@tensorflow/tfjs-core";
import { asWebgpuBackend } from "./tfjs-internals.js";

const WORKGROUP_X = 128;

/** Which of the three outputs a dispatch writes. */
const OUTPUTS = ["w", "m", "v"] as const;

class AdamProgram {
  readonly variableNames = ["W", "G", "M", "V", "AccBeta1", "AccBeta2"];
  readonly uniforms = "beta1 : f32, oneMinusBeta1 : f32, beta2 : f32, oneMinusBeta2 : f32, epsilon : f32, negLr : f32,";
  readonly size = true;
  readonly workgroupSize: [number, number, number] = [WORKGROUP_X, 1, 1];
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  readonly shaderKey: string;

  constructor(
    readonly outputShape: number[],
    private readonly output: (typeof OUTPUTS)[number],
  ) {
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = [Math.ceil(tf.util.sizeFromShape(outputShape) / WORKGROUP_X), 1, 1];
    this.shaderKey = `ganscopeAdam_${output}`;
  }

  getUserCode(): string {
    // The stock order (tfjs-core adam_optimizer.js): m' = m·β₁ + g·(1 − β₁); v' = v·β₂ + g²·(1 − β₂);
    // w' = (m'/(1 − β₁ᵗ)) / (√(v'/(1 − β₂ᵗ)) + ε) · (−lr) + w.
    const result = { m: "m", v: "v", w: "(mHat / (sqrt(vHat) + uniforms.epsilon)) * uniforms.negLr + w" }[this.output];
    // Every program reads every input: the pipeline's bind-group layout is derived from the
    // buffers the shader uses, and tfjs binds all six (a dropped one fails validation and the dispatch writes nothing).
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let w = getWByOutputIndex(index);
          _ = w;
          let g = getGByOutputIndex(index);
          let m = getMByOutputIndex(index) * uniforms.beta1 + g * uniforms.oneMinusBeta1;
          let v = getVByOutputIndex(index) * uniforms.beta2 + (g * g) * uniforms.oneMinusBeta2;
          let mHat = m / (1.0 - getAccBeta1());
          let vHat = v / (1.0 - getAccBeta2());
          setOutputAtIndex(index, ${result});
        }
      }
    `;
  }
}

/** The webgpu kernelFunc of ADAM_KERNEL: inputs value, grad, m, v, accBeta1, accBeta2; outputs new value, m, v. */
export function webgpuAdam(inputs: Record<"value" | "grad" | "m" | "v" | "accBeta1" | "accBeta2", tf.TensorInfo>, backend: tf.KernelBackend, attrs: { beta1: number; beta2: number; learningRate: number; epsilon: number }): tf.TensorInfo[] {
  const b = asWebgpuBackend(backend);
  const uniforms = [attrs.beta1, 1 - attrs.beta1, attrs.beta2, 1 - attrs.beta2, attrs.epsilon, -attrs.learningRate].map((x) => ({ type: "float32" as const, data: [x] }));
  const args = [inputs.value, inputs.grad, inputs.m, inputs.v, inputs.accBeta1, inputs.accBeta2];
  return OUTPUTS.map((o) => b.runWebGPUProgram(new AdamProgram(inputs.value.shape, o), args, "float32", uniforms));
}
