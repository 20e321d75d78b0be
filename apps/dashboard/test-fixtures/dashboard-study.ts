import { arm, compare, finding, rank, rate, study } from "@ganscope/findings";
import runs from "./dashboard-study.exp.js";

/**
 * A tiny study for the Findings page's browser test: the test runs
 * `runner study` on it at the smoke budget (2 configs × 2 seeds × 2 epochs:
 * 4 runs of 16-wide nets) into a temporary store, so report.json is the
 * findings lib's own. Its claims are shaped like the seed study's (a
 * comparison, a rate, a ranking); what they conclude about such small nets
 * does not matter here. Like the seed study it declares a reference config
 * (whether 8 steps of it read as no digits depends on the classifier), and
 * finding 4 is a convergence claim that no run can meet in 8 steps, so the
 * page always shows "not decidable at this budget" with its reason.
 */
const plain = arm(runs, { dis_dropout: 0 }, "no dropout");
const disDropout = arm(runs, { dis_dropout: 0.5 }, "D dropout 0.5");

export default study(
  "dashboard-study",
  "Two configs of narrow nets over two seeds, for the Findings page's browser test.",
  [
    finding({
      id: "1",
      title: "Discriminator dropout lowers FID-lite",
      quote: "A made-up claim about a 16-wide net, quoted as the seed's are.",
      claims: [compare(disDropout, plain, "fid_lite", "lower")],
    }),
    finding({
      id: "2",
      title: "Most runs draw no digits yet",
      quote: "Two epochs of a 16-wide generator draw noise.",
      claims: [rate(arm(runs, {}, "every run"), ["no_digits"], { atLeast: 0.5 })],
    }),
    finding({
      id: "3",
      title: "D dropout ranks above none on D loss",
      quote: "A ranking over one axis.",
      claims: [rank(runs, "dis_dropout", [[0.5], [0]], "d_loss", "higher")],
    }),
    finding({
      id: "4",
      title: "D dropout converges more often",
      quote: "A convergence claim at a budget where nothing converges.",
      claims: [compare(disDropout, plain, "verdict:converged", "higher")],
    }),
  ],
  { reference: plain },
);
