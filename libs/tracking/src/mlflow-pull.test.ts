import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { epochRecordsArb } from "@ganscope/dsl/testing";
import { recordsFromHistories, type MetricHistory } from "./mlflow-pull.js";
import { metricsOf } from "./mlflow-sync.js";

/** What the server holds after a sync: each MLflow metric's points, as getMetricHistory returns them. */
function historiesOf(metrics: readonly { key: string; value: number; step: number }[]): MetricHistory[] {
  const byName = new Map<string, { step: number; value: number }[]>();
  for (const m of metrics) byName.set(m.key, [...(byName.get(m.key) ?? []), { step: m.step, value: m.value }]);
  return [...byName].map(([name, points]) => ({ name, points }));
}

describe("recordsFromHistories", () => {
  it("inverts metricsOf: the records come back as the store wrote them, class shares under their record keys, summary metrics left out", () => {
    fc.assert(
      fc.property(epochRecordsArb(), (records) => {
        const logged = records.flatMap((r) => metricsOf(r, 0));
        const last = records.at(-1)!;
        // Runs synced before the summary moved to tags hold final/… and best/… metrics beside the records; they are not records.
        const summary = [
          { key: "final/fid_lite", value: 3, step: last.epoch },
          { key: "final/class_share/2", value: 0.5, step: last.epoch },
          { key: "best/fid_lite", value: 2, step: 1 },
        ];
        const back = recordsFromHistories(historiesOf([...logged, ...summary]));
        // Both as the store writes them: JSON lines, where a non-finite number is null (and -0 is 0).
        const asStored = (rs: readonly object[]) => rs.map((r) => JSON.stringify(r));
        expect(asStored(back)).toEqual(asStored(records));
      }),
    );
  });

  it("keeps the first value of a step logged twice, and nothing past upToEpoch", () => {
    const back = recordsFromHistories(
      [
        { name: "d_loss", points: [{ step: 1, value: 1 }, { step: 1, value: 9 }, { step: 2, value: 2 }, { step: 3, value: 3 }] },
        { name: "class_share/4", points: [{ step: 2, value: "0.25" }] },
        { name: "final/d_loss", points: [{ step: 3, value: 3 }] },
      ],
      2,
    );
    expect(back).toEqual([{ epoch: 1, d_loss: 1 }, { epoch: 2, d_loss: 2, class_share_4: 0.25 }]);
  });
});
