import * as tf from "@tensorflow/tfjs-core";
import type { Activation } from "@ganscope/dsl";
import { dropout } from "./dropout.js";

/** One fully connected layer's parameters. */
export interface Dense {
  /** [fanIn, fanOut] */
  readonly w: tf.Variable;
  /** [fanOut] */
  readonly b: tf.Variable;
}

export interface MlpArgs {
  /** Layer sizes from input to output; `sizes.length - 1` linear layers. */
  sizes: readonly number[];
  /** Activation after every hidden linear layer. */
  activation: Activation;
  /** Slope of leaky_relu for negative inputs. */
  leakySlope: number;
  /** Dropout probability after every hidden activation (training only). */
  dropout: number;
  /** Seeds the initial weights. */
  seed: number;
  /** Unique prefix for variable names (tfjs keeps one global variable registry). */
  name: string;
}

/** A multi-layer perceptron: (linear → activation → dropout) × hidden, then linear. */
export interface Mlp {
  readonly args: MlpArgs;
  readonly layers: readonly Dense[];
  /** All trainable variables in a fixed order (checkpoints rely on it). */
  readonly variables: readonly tf.Variable[];
  /** [batch, sizes[0]] → [batch, sizes.at(-1)], pre-output-activation. */
  apply(x: tf.Tensor2D, training: boolean, dropoutSeed?: number): tf.Tensor2D;
}

/** Elementwise, so any rank: a run's [batch, units] or a fused group's [K, batch, units]. */
export function activate<T extends tf.Tensor>(x: T, activation: Activation, leakySlope: number): T {
  switch (activation) {
    case "relu":
      return tf.relu(x);
    case "leaky_relu":
      return tf.leakyRelu(x, leakySlope);
    case "elu":
      return tf.elu(x);
    case "relu6":
      return tf.relu6(x);
    case "gelu":
      // Exact GELU, x·Φ(x), as PyTorch's nn.GELU(); tfjs-core has no GELU op.
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  }
}

/**
 * Builds an MLP with PyTorch's nn.Linear initialisation
 * (weights and biases ~ U(-1/√fanIn, 1/√fanIn)), since the seed report's
 * networks were PyTorch's and its results depend on that scale.
 */
export function buildMlp(args: MlpArgs): Mlp {
  const layers: Dense[] = [];
  for (let i = 0; i + 1 < args.sizes.length; i++) {
    const fanIn = args.sizes[i]!;
    const fanOut = args.sizes[i + 1]!;
    const bound = 1 / Math.sqrt(fanIn);
    const seed = args.seed * 1000 + i * 2;
    layers.push({
      w: tf.variable(tf.randomUniform([fanIn, fanOut], -bound, bound, "float32", seed), true, `${args.name}/dense${i}/w`),
      b: tf.variable(tf.randomUniform([fanOut], -bound, bound, "float32", seed + 1), true, `${args.name}/dense${i}/b`),
    });
  }
  const variables = layers.flatMap((l) => [l.w, l.b]);
  const last = layers.length - 1;
  return {
    args,
    layers,
    variables,
    apply(x, training, dropoutSeed) {
      let h = x;
      layers.forEach((layer, i) => {
        h = tf.add(tf.matMul(h, layer.w), layer.b);
        if (i === last) return;
        h = activate(h, args.activation, args.leakySlope);
        if (training && args.dropout > 0) {
          // Inverted dropout (scales kept units by 1/(1-p)), as PyTorch's nn.Dropout.
          h = dropout(h, args.dropout, dropoutSeed === undefined ? undefined : dropoutSeed + i);
        }
      });
      return h;
    },
  };
}
