/**
 * Inception-score-lite: exp(E_x KL(p(y|x) ‖ p(y))) with the digit classifier
 * in place of Inception. Between 1 (every sample gets the same class
 * distribution) and the number of classes (confident, evenly spread
 * predictions); real MNIST test digits score close to 10.
 */
import { assertFiniteRows } from "./finite.js";

/** Floor inside logarithms: a softmax can round a probability to exactly 0. */
const EPS = 1e-12;

/** IS-lite of `count × numClasses` class probabilities (row-major). */
export function inceptionScoreLite(probs: ArrayLike<number>, numClasses: number): number {
  const count = probs.length / numClasses;
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`inceptionScoreLite: expected count × ${numClasses} probabilities, got ${probs.length}`);
  }
  // A NaN would make the score NaN, and an infinite one meaningless: say which row.
  assertFiniteRows(probs, numClasses, "inceptionScoreLite");
  const marginal = new Float64Array(numClasses);
  for (let i = 0; i < count; i++) for (let k = 0; k < numClasses; k++) marginal[k]! += probs[i * numClasses + k]!;
  for (let k = 0; k < numClasses; k++) marginal[k]! /= count;
  let meanKl = 0;
  for (let i = 0; i < count; i++) {
    let kl = 0;
    for (let k = 0; k < numClasses; k++) {
      const p = probs[i * numClasses + k]!;
      if (p > 0) kl += p * (Math.log(Math.max(p, EPS)) - Math.log(Math.max(marginal[k]!, EPS)));
    }
    meanKl += kl;
  }
  return Math.exp(meanKl / count);
}
