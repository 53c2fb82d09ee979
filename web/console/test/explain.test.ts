import assert from "node:assert/strict";
import { test } from "node:test";
import { humanKey, otherFields, percent, shownValue, whyWon } from "../src/operator/explain";

test("fields the decision log does not know are shown by name, whatever they hold", () => {
  const decision = {
    decision_id: "d-1",
    reason: "qualified",
    policy: "uplift",
    model_version: "2026-12-04",
    estimated_uplift: 0.0421,
    arms: { chat: 0.3, none: 0.1 },
    shadow: false,
  };
  assert.deepEqual(otherFields(decision, ["decision_id", "reason"]), [
    ["policy", "uplift"],
    ["model_version", "2026-12-04"],
    ["estimated_uplift", "0,0421"],
    ["arms", '{"chat":0.3,"none":0.1}'],
    ["shadow", "no"],
  ]);
  assert.equal(humanKey("estimated_uplift"), "Estimated uplift");
  assert.equal(shownValue(null), "—");
  assert.equal(percent(0.4567), "45,7%");
  assert.equal(percent(null), "—");
});

test("a routing record says why the chosen agent won, against the next best", () => {
  const why = whyWon({
    at: "2026-12-04T09:00:00Z",
    outcome: "assigned",
    strategy: "predictive",
    reason: "highest sampled outcome",
    agent_id: "mirjam",
    candidates: [
      { agent_id: "mirjam", score: 0.71, expected_satisfaction: 0.83, expected_conversion: 0.2, evidence: 12 },
      { agent_id: "sven", score: 0.43, expected_satisfaction: 0.4, expected_conversion: 0.18, evidence: 9 },
    ],
  });
  assert.equal(
    why,
    "mirjam won (predictive routing: highest sampled outcome). mirjam vs sven: score 0,71 vs 0,43; " +
      "expected satisfaction 0,83 vs 0,4; expected conversion 0,2 vs 0,18; evidence 12 vs 9.",
  );
});

test("a lone candidate, and a queued chat, are explained too", () => {
  const base = { at: "2026-12-04T09:00:00Z", strategy: "predictive" };
  assert.equal(
    whyWon({ ...base, outcome: "assigned", reason: "only candidate", candidates: [{ agent_id: "sven", score: 0.5 }] }),
    "sven was the only candidate (only candidate).",
  );
  assert.equal(
    whyWon({ ...base, outcome: "queued", reason: "no agent free", queue_position: 2, expected_wait_seconds: 90, candidates: [] }),
    "Queued at place 2: no agent free, expected wait 90 s.",
  );
});
