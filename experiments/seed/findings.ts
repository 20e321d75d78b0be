/**
 * The seed report's ten findings, each quoted and stated as claims over the
 * seed's experiments (experiments/seed/*.exp.ts), decided over seeds by
 * `npx nx run runner:study --file=experiments/seed/findings.ts --budget=<name>`.
 *
 * "Quality" is FID-lite (lower is better; libs/metrics), "mode collapse" the
 * largest class share of generated digits and the `mode_collapse` verdict,
 * "converges"/"fails" the run's verdict. The seed judged by eye at 100 epochs
 * on 60k digits; every row of the report says the budget it was re-tested at.
 *
 * The study declares its reference (the seed's baseline (3, 2)) and its
 * positive control (the seed's combined (4, 4) ELU, dropout 0.3): where the
 * baseline mostly draws no digits at a budget, no claim on drawings is
 * decidable there, and a claim that something converges is decidable only
 * where the combined config converges in at least half its runs.
 */
import { arm, compare, finding, rank, rate, study, union } from "@ganscope/findings";
import activations from "./activations.exp.js";
import activationsLarge from "./activations-large.exp.js";
import baseline from "./baseline.exp.js";
import combined from "./combined.exp.js";
import dropout3x3 from "./dropout-3x3.exp.js";
import dropout5x2 from "./dropout-5x2.exp.js";
import evenSizes from "./even-sizes.exp.js";
import greaterDisLr from "./greater-dis-lr.exp.js";
import greaterGenLr from "./greater-gen-lr.exp.js";
import largerDiscriminator from "./larger-discriminator.exp.js";
import largerGenerator from "./larger-generator.exp.js";
import sameLr from "./same-lr.exp.js";

const WIDTHS =
  "The seed gives no hidden widths; ganscope's rule (libs/dsl: G widens from 256, D narrows to 256, capped at 1024) decides how strong each network is, and with it the balance the finding is about.";

const evenDiagonal = union("even (3,3) and (5,5)", arm(evenSizes, { gen_layers: 3, dis_layers: 3 }), arm(evenSizes, { gen_layers: 5, dis_layers: 5 }));
const unevenNeighbours = union("uneven (3,5) and (5,3)", arm(evenSizes, { gen_layers: 3, dis_layers: 5 }), arm(evenSizes, { gen_layers: 5, dis_layers: 3 }));

const sameLrDiagonal = union(
  "equal lrs (diagonal)",
  arm(sameLr, { gen_lr: 0.001, dis_lr: 0.001 }),
  arm(sameLr, { gen_lr: 0.0001, dis_lr: 0.0001 }),
  arm(sameLr, { gen_lr: 0.0002, dis_lr: 0.0002 }),
  arm(sameLr, { gen_lr: 0.00001, dis_lr: 0.00001 }),
);
const LRS = [0.001, 0.0001, 0.0002, 0.00001] as const;
const offDiagonal = LRS.flatMap((g) => LRS.filter((d) => d !== g).map((d) => arm(sameLr, { gen_lr: g, dis_lr: d })));
const sameLrOffDiagonal = union("unequal lrs (off-diagonal)", offDiagonal[0]!, ...offDiagonal.slice(1));

export const findings = [
  finding({
    id: "1",
    title: "ELU best, GELU and leaky ReLU good, ReLU worst (3, 2)",
    quote: "Based on our samples, ELU seems to have the best results, and GELU and Leaky ReLU also performed well. The worst performance was from ReLU.",
    claims: [rank(activations, "activation", [["elu"], ["gelu", "leaky_relu"], ["relu"]], "fid_lite", "lower")],
    assumptions: "“Best” read as the lowest final FID-lite; relu6 is in the experiment but the seed ranks it nowhere, so it is left out.",
  }),
  finding({
    id: "2",
    title: "(7, 5) networks fail for every activation: vanishing gradients",
    quote: "These runs failed as the discriminators' loss quickly approached zero, giving very small gradients to the generator and thus not letting the generator improve (vanishing gradient problem).",
    claims: [rate(arm(activationsLarge, {}), ["vanishing_gradients"], { atLeast: 0.5 })],
    assumptions: `Pooled over the five activations: “most (7, 5) runs are judged vanishing_gradients” (a per-activation rate needs more than 3 seeds for a Wilson bound above one half). ${WIDTHS}`,
  }),
  finding({
    id: "3",
    title: "Among even sizes only (3, 3) converges; (3, 3) beats the (3, 2) baseline",
    quote: "The smallest model (3, 3) was the only one able to converge. Qualitative analysis (below) shows that it performed better than the basic model with uneven depths (2, 3)",
    claims: [
      rate(arm(evenSizes, { gen_layers: 3, dis_layers: 3 }), ["converged"], { atLeast: 0.5 }),
      rate(union("even sizes other than (3, 3)", arm(evenSizes, { gen_layers: [5, 10, 20] }), arm(evenSizes, { gen_layers: 3, dis_layers: [5, 10, 20] })), ["converged"], { atMost: 0.5 }),
      compare(arm(evenSizes, { gen_layers: 3, dis_layers: 3 }), arm(baseline, {}, "baseline (3, 2)"), "fid_lite", "lower"),
    ],
    assumptions: `The seed writes the baseline as “(2, 3)” here; its configuration is gen_layers 3, dis_layers 2. ${WIDTHS}`,
  }),
  finding({
    id: "4",
    title: "Among uneven sizes, a larger discriminator beats a larger generator",
    quote: "Generally, among the uneven models, it seems that models with larger discriminator were able to get better performance overall comparing to the models with larger generator",
    claims: [
      compare(
        arm(largerDiscriminator, {}, "larger D (2, 3|5|10)"),
        arm(largerGenerator, { gen_layers: [4, 5, 10] }, "larger G (4|5|10, 2)"),
        "fid_lite",
        "lower",
      ),
    ],
    assumptions: `The baseline (3, 2) is left out of the larger-generator arm (it is the shared reference, not a larger generator). ${WIDTHS}`,
  }),
  finding({
    id: "5",
    title: "(5, 2) mostly generates one digit: mode collapse",
    quote: "A model with larger discriminator (5, 2) got high quality results, but was mostly able to generate a single digit (1), a problem named \"mode collapse\".",
    claims: [rate(arm(largerGenerator, { gen_layers: 5 }, "(5, 2)"), ["mode_collapse"], { atLeast: 0.5 })],
    assumptions: "The seed calls (5, 2) a larger discriminator; in its (gen, dis) order it is a larger generator, the run of the larger-generator section. Which digit it collapses to is not tested.",
  }),
  finding({
    id: "6",
    title: "Even sizes beat uneven ones of about the same size",
    quote: "We can now compare the even and uneven models with the approximately same sizes: … Our examples suggests that even sized models perform better",
    claims: [compare(evenDiagonal, unevenNeighbours, "fid_lite", "lower")],
    assumptions: "The seed does not say which pairs it compared; we compare (3, 3) and (5, 5) with (3, 5) and (5, 3), the uneven models between them, all from the even-sizes grid.",
  }),
  finding({
    id: "7",
    title: "Dropout helps convergence; higher dropout helps avoid mode collapse",
    quote: "Generally, dropout help architectures to converge, and may even reach lower loss. specifically, it seems that higher dropout probability helps to avoid \"mode collapse\".",
    claims: [
      compare(
        union("(5, 2) with dropout", arm(dropout5x2, { gen_dropout: [0.3, 0.6] }), arm(dropout5x2, { gen_dropout: 0, dis_dropout: [0.3, 0.6] })),
        arm(dropout5x2, { gen_dropout: 0, dis_dropout: 0 }, "(5, 2) without dropout"),
        "verdict:converged",
        "higher",
      ),
      compare(
        arm(dropout5x2, { gen_dropout: 0.6, dis_dropout: 0.6 }, "(5, 2) dropout 0.6/0.6"),
        arm(dropout5x2, { gen_dropout: 0, dis_dropout: 0 }, "(5, 2) without dropout"),
        "max_class_share",
        "lower",
      ),
    ],
    assumptions: "Tested on (5, 2), the model the seed saw collapse; “avoid mode collapse” read as a lower largest class share of generated digits.",
  }),
  finding({
    id: "8",
    title: "Higher dropout lowers sample quality",
    quote: "Regarding the quality of the generated data, higher dropout seems to produce lower quality results.",
    claims: [
      compare(
        arm(dropout3x3, { gen_dropout: 0.6, dis_dropout: 0.6 }, "(3, 3) dropout 0.6/0.6"),
        arm(dropout3x3, { gen_dropout: 0, dis_dropout: 0 }, "(3, 3) without dropout"),
        "fid_lite",
        "higher",
      ),
    ],
    assumptions: "Tested on (3, 3), the grid where the no-dropout model converges; FID-lite higher = lower quality.",
  }),
  finding({
    id: "9",
    title: "Learning rates of magnitude 1e-4 work best",
    quote: "From our experiments, it seems that magnitude of 10^{-4} works the best.",
    claims: [
      compare(
        union("equal lrs 1e-4 and 2e-4", arm(sameLr, { gen_lr: 0.0001, dis_lr: 0.0001 }), arm(sameLr, { gen_lr: 0.0002, dis_lr: 0.0002 })),
        union("equal lrs 1e-3 and 1e-5", arm(sameLr, { gen_lr: 0.001, dis_lr: 0.001 }), arm(sameLr, { gen_lr: 0.00001, dis_lr: 0.00001 })),
        "fid_lite",
        "lower",
      ),
    ],
    assumptions: "Compared on the same-lr grid's diagonal (equal rates), so the magnitude is not confounded with the imbalance finding 10 is about.",
  }),
  finding({
    id: "10",
    title: "Equal learning rates beat unequal ones; a larger generator lr beats a larger discriminator lr",
    quote:
      "Generally, different learning rates for the discriminator and the generator performed worse than the same learning rate for both networks (unlike common practice, see TTUR). Among the different learning rates for both networks, having a larger learning rate in the generator worked better than the opposite setting",
    claims: [
      compare(sameLrDiagonal, sameLrOffDiagonal, "fid_lite", "lower"),
      compare(arm(greaterGenLr, {}, "greater gen lr (dis_lr 2e-5)"), arm(greaterDisLr, {}, "greater dis lr (gen_lr 2e-5)"), "fid_lite", "lower"),
    ],
  }),
] as const;

export default study(
  "seed-study",
  "The ten findings of the seed report (“GAN training methods”, Ariel Keslassy), each re-tested over seeds on ganscope's runs of the seed's experiments.",
  findings,
  {
    reference: arm(baseline, {}, "baseline (3, 2)"),
    positiveControl: arm(combined, {}, "combined (4, 4) ELU, dropout 0.3"),
  },
);
