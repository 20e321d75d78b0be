/**
 * The verdict vocabularies as data, beside the record schema and loading as
 * little: a run's verdict (decided by @ganscope/metrics' health rules from
 * its records) and a finding's (decided by @ganscope/findings over seeds).
 * The deciding code, the reports and the dashboard's badges read these
 * tables instead of listing the words again.
 */

/** A run's verdict, with what it means; health.ts holds the rules and thresholds. */
export const RUN_VERDICT_SCHEMA = {
  converged: "the last evaluation's FID-lite is at or below the converged threshold: it draws digits",
  no_digits: "the last evaluation's drawings are no closer to real digits than uniform noise",
  mode_collapse: "the last evaluation's realistic drawings cover few classes, one dominating, or repeat one drawing",
  vanishing_gradients: "the discriminator saturated: D(G(z)) and d_loss near zero over each of the last epochs",
  diverged: "a NaN or ±Inf in a record",
  not_converged: "none of the above: rough digits, still improving (or stuck)",
} as const;
export type RunVerdict = keyof typeof RUN_VERDICT_SCHEMA;
export const RUN_VERDICTS: readonly RunVerdict[] = Object.freeze(Object.keys(RUN_VERDICT_SCHEMA) as RunVerdict[]);

/**
 * A finding's verdict as report.json writes it, with the words a reader is
 * shown (report.md's badges, the dashboard's Findings page) and what it means.
 */
export const FINDING_VERDICT_SCHEMA = {
  confirmed: { shown: "confirmed", doc: "the claim was shown at the finding's error rate" },
  refuted: { shown: "refuted", doc: "the reverse of the claim was shown at the same error rate (never merely \"no effect\")" },
  inconclusive: { shown: "inconclusive", doc: "neither was shown at this budget and these seeds" },
  untested: { shown: "not tested", doc: "an arm's every config is one the budget does not train (too large for it)" },
  undecidable: { shown: "not decidable at this budget", doc: "the runs' verdicts say the budget learned nothing the claim is about" },
} as const;
export type FindingVerdict = keyof typeof FINDING_VERDICT_SCHEMA;
export const FINDING_VERDICTS: readonly FindingVerdict[] = Object.freeze(Object.keys(FINDING_VERDICT_SCHEMA) as FindingVerdict[]);
/** The words shown for a finding's verdict. */
export type FindingVerdictShown = (typeof FINDING_VERDICT_SCHEMA)[FindingVerdict]["shown"];
