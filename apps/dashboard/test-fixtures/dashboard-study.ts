import { arm, compare, finding, rank, rate, study } from "@ganscope/findings";
import fixture from "./dashboard-fixture.exp.js";

/**
 * A tiny study for the Findings page's browser test: the test runs
 * `runner study` on it at the smoke budget (2 seeds × 2 epochs, 4 tiny runs)
 * into a temporary store, so report.json is the findings lib's own. Its
 * claims are shaped like the seed study's (a comparison, a rate, a ranking);
 * what they conclude about 16-wide nets does not matter here.
 */
const plain = arm(fixture, { gen_dropout: 0, dis_dropout: 0 }, "no dropout");
const disDropout = arm(fixture, { gen_dropout: 0, dis_dropout: 0.5 }, "D dropout 0.5");

export default study("dashboard-study", "Two configs of the dashboard fixture over two seeds, for the Findings page's browser test.", [
  finding({
    id: "1",
    title: "Discriminator dropout lowers FID-lite",
    quote: "A made-up claim about a 16-wide net, quoted as the seed's are.",
    claims: [compare(disDropout, plain, "fid_lite", "lower")],
  }),
  finding({
    id: "2",
    title: "Most runs without generator dropout draw no digits yet",
    quote: "Four epochs of a 16-wide generator draw noise.",
    claims: [rate(arm(fixture, { gen_dropout: 0 }, "no G dropout"), ["no_digits"], { atLeast: 0.5 })],
  }),
  finding({
    id: "3",
    title: "D dropout ranks above none on D loss",
    quote: "A ranking over one axis.",
    claims: [rank(fixture, "dis_dropout", [[0.5], [0]], "d_loss", "higher")],
  }),
]);
