import { experiment } from "@ganscope/dsl";

/**
 * Seed section "Combining methods based on previous experiments": one run
 * that takes each earlier finding's winner (even depths, ELU, some dropout,
 * lr 2e-4). The seed states no claim for it beyond its title, so the
 * description quotes the title and the configuration.
 */
export default experiment("seed-combined")
  .describe(
    "“Combining methods based on previous experiments”: gen_layers 4, dis_layers 4, activation elu, gen_dropout 0.3, dis_dropout 0.3, gen_lr 2e-4, dis_lr 2e-4, 100 epochs.",
  )
  .fix({ gen_layers: 4, dis_layers: 4, activation: "elu", gen_dropout: 0.3, dis_dropout: 0.3, gen_lr: 2e-4, dis_lr: 2e-4 })
  .epochs(100);
