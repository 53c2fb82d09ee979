import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  blockedReasons,
  cellRows,
  channelShares,
  conversionSeries,
  defaultRange,
  gainUpliftSummary,
  mergeFeedback,
  newestAt,
  offerFunnel,
  points,
  rangeProblem,
  sampled,
  sortVisitors,
  stillNeeded,
  upliftSummary,
  weekGrid,
  type Breakdown,
  type DailyRow,
  type Feedback,
  type LiveVisitor,
  type Staffing,
  type Uplift,
} from "../src/operator/report-data";

const NO_UPLIFT: Uplift = {
  estimate: null, low: null, high: null, offered_sessions: 0, offered_conversions: 0,
  holdout_sessions: 0, holdout_conversions: 0, significant: false, sessions_still_needed_per_group: null,
};

function breakdown(fields: Partial<Breakdown> = {}): Breakdown {
  return {
    chats: 0, conversions: 0, csat: null, nps: null, csat_answers: 0, nps_answers: 0, ces: null, ces_answers: 0,
    first_contact_resolution: null, handled: 0, mean_wait_seconds: null, service_level: null, waits: 0, revenue: 0,
    ...fields,
  };
}

function row(fields: Partial<DailyRow> = {}): DailyRow {
  return {
    date: "2026-12-01", sessions: 0, cart_sessions: 0, checkout_sessions: 0, purchase_sessions: 0, purchases: 0,
    revenue: 0, conversion_rate: null, cart_abandonment_rate: null, offers: 0, offered_sessions: 0, offers_accepted: 0,
    chats: 0, chats_assigned: 0, chat_conversions: 0, holdout_sessions: 0, holdout_conversion_rate: null,
    offered_conversion_rate: null, uplift: null, uplift_interval: NO_UPLIFT, surveys: 0, csat: null, nps: null,
    ces: null, first_contact_resolution: null, median_wait_seconds: null, p90_wait_seconds: null,
    mean_wait_seconds: null, service_level: null, mean_handle_seconds: null, agents: {}, categories: {},
    decisions: 0, qualified: 0, offers_rejected: 0, offers_ignored: 0, offer_acceptance_rate: null,
    blocked_no_consent: 0, blocked_bot: 0, blocked_not_qualified: 0, blocked_outside_hours: 0, blocked_no_agent: 0,
    blocked_capped: 0, chat_revenue: 0, chat_conversion_rate: null, agent_categories: {},
    preferred_channel_answers: 0, preferred_channels: {}, preferred_channels_by_category: {},
    offer_policy: null, gain_ranked_offers: 0, gain_mean_estimated_uplift: null, gain_offered_sessions: 0,
    gain_holdout_sessions: 0, gain_uplift: null, gain_uplift_interval: NO_UPLIFT,
    ...fields,
  };
}

describe("the report's figures", () => {
  it("runs the offer funnel over its own steps, each a share of the decisions", () => {
    const steps = offerFunnel(row({ decisions: 40, qualified: 20, offers: 10, offers_accepted: 4, chats: 67 }));
    assert.deepEqual(steps.map((s) => [s.label, s.count, s.share]), [
      ["Decisions", 40, 1], ["Qualified", 20, 0.5], ["Offered", 10, 0.25], ["Accepted", 4, 0.1],
    ]);
    assert.equal(offerFunnel(row())[0]?.share, null);
  });

  it("lists the blocked reasons that happened, largest first", () => {
    const reasons = blockedReasons(row({ blocked_outside_hours: 6, blocked_no_agent: 9, blocked_bot: 0 }));
    assert.deepEqual(reasons, [{ label: "no agent free", count: 9 }, { label: "outside opening hours", count: 6 }]);
  });

  it("gives uPlot the conversion per day in percent, gaps as null", () => {
    const [x, all, offered, holdout] = conversionSeries([
      row({ date: "2026-12-01", conversion_rate: 0.031234, offered_conversion_rate: 0.1 }),
      row({ date: "2026-12-02" }),
    ]);
    assert.deepEqual(x, [Date.UTC(2026, 11, 1) / 1000, Date.UTC(2026, 11, 2) / 1000]);
    assert.deepEqual(all, [3.12, null]);
    assert.deepEqual(offered, [10, null]);
    assert.deepEqual(holdout, [null, null]);
  });

  it("says the uplift with its interval and the sessions still needed", () => {
    const uplift: Uplift = { ...NO_UPLIFT, estimate: 0.05, low: -0.012, high: 0.11, sessions_still_needed_per_group: 666 };
    assert.equal(upliftSummary(uplift), "+5.0 pp (95% interval \u22121.2 pp to +11.0 pp), not significant yet");
    assert.equal(stillNeeded(uplift), "666 more sessions per group to detect this difference (5% level, 80% power).");
    assert.match(upliftSummary(NO_UPLIFT), /No uplift yet/);
    assert.match(stillNeeded({ ...uplift, sessions_still_needed_per_group: 0 }), /Enough sessions/);
  });

  it("compares the gain policy's offers with the holdout it would have offered to", () => {
    assert.equal(gainUpliftSummary(row({ offer_policy: "rules" })), null);
    assert.match(gainUpliftSummary(row({ offer_policy: "gain", gain_ranked_offers: 4 })) ?? "", /no holdout session/);
    const like: Uplift = {
      ...NO_UPLIFT, estimate: 0.1, low: 0.045, high: 0.15, significant: true,
      offered_sessions: 400, offered_conversions: 80, holdout_sessions: 300, holdout_conversions: 30,
    };
    const text = gainUpliftSummary(
      row({ offer_policy: "gain", gain_ranked_offers: 400, gain_mean_estimated_uplift: 0.12, gain_uplift_interval: like }),
    );
    assert.equal(
      text,
      "Offers chosen by expected gain (400, estimated uplift +12.0 pp on average). Like with like: 80 of 400 " +
        "gain-offered sessions bought, 30 of 300 holdout sessions it would have offered to: " +
        "+10.0 pp (95% interval +4.5 pp to +15.0 pp), significant",
    );
    assert.equal(points(0), "0.0 pp");
  });

  it("flattens agent × category cells by category, then agent", () => {
    const cells = cellRows(row({
      agent_categories: {
        sven: { dameslaarzen: breakdown({ csat: 0, csat_answers: 3 }) },
        mirjam: { herenschoenen: breakdown(), dameslaarzen: breakdown({ csat: 100, csat_answers: 3 }) },
      },
    }));
    assert.deepEqual(cells.map((c) => `${c.category}/${c.agent}`), ["dameslaarzen/mirjam", "dameslaarzen/sven", "herenschoenen/mirjam"]);
    assert.equal(sampled("100%", 3), "100% (n=3)");
    assert.equal(sampled("\u2013%", 0), "\u2013");
  });

  it("orders the preferred channels by how often they were named", () => {
    assert.deepEqual(channelShares({ phone: 1, chat: 3, email: 0 }), [
      { channel: "chat", count: 3, share: 0.75 }, { channel: "phone", count: 1, share: 0.25 },
    ]);
  });

  it("checks a range before asking", () => {
    assert.equal(rangeProblem("2026-12-01", "2026-12-04"), null);
    assert.equal(rangeProblem("2026-12-05", "2026-12-04"), "From must not be after To.");
    assert.match(rangeProblem("2025-01-01", "2026-12-04") ?? "", /At most 366 days/);
    assert.equal(rangeProblem("", "2026-12-04"), "From: choose a day.");
    assert.deepEqual(defaultRange(new Date(2026, 11, 4)), { from: "2026-11-21", to: "2026-12-04" });
  });
});

describe("the live view", () => {
  const visitor = (id: string, fields: Partial<LiveVisitor>): LiveVisitor => ({
    visitor_id: id, session_id: "s", stage: "cart", cart_value: 0, last_at: "2026-12-04T10:00:00Z", idle_seconds: 0,
    offered: false, value: 0, ...fields,
  });

  it("sorts visitors by value, highest first, and the other way round", () => {
    const visitors = [visitor("a", { value: 10 }), visitor("b", { value: 160 }), visitor("c", { value: 50 })];
    assert.deepEqual(sortVisitors(visitors, "value").map((v) => v.visitor_id), ["b", "c", "a"]);
    assert.deepEqual(sortVisitors(visitors, "value", false).map((v) => v.visitor_id), ["a", "c", "b"]);
    const unscored = [visitor("x", { score: null }), visitor("y", { score: 0.2 })];
    assert.deepEqual(sortVisitors(unscored, "score").map((v) => v.visitor_id), ["y", "x"]);
  });

  it("merges polled feedback newest first, never twice, and polls on from the newest", () => {
    const survey = (chat: string, at: string): Feedback => ({ chat_id: chat, at });
    const held = [survey("c2", "2026-12-04T10:00:02+00:00"), survey("c1", "2026-12-04T10:00:01+00:00")];
    const merged = mergeFeedback(held, [survey("c3", "2026-12-04T10:00:03+00:00"), survey("c2", "2026-12-04T10:00:02+00:00")]);
    assert.deepEqual(merged.map((f) => f.chat_id), ["c3", "c2", "c1"]);
    assert.equal(newestAt(merged), "2026-12-04T10:00:03+00:00");
    assert.equal(newestAt([]), undefined);
  });
});

describe("the staffing heatmap", () => {
  it("lays the plan's hours out as seven rows of 24, Monday first", () => {
    const hour = (weekday: number, h: number) => ({
      weekday, hour: h, days: 1, sessions_per_hour: 0, arrivals_per_hour: 0, handle_seconds: null, agents_needed: 0,
      open_share: 1, open: true, expected_arrivals_if_open: 0, agents_needed_if_open: 0, missed: null,
    });
    const plan = { hours: [hour(0, 0), hour(6, 23)] } as unknown as Staffing;
    const grid = weekGrid(plan);
    assert.equal(grid.length, 7);
    assert.equal(grid[0]?.[0]?.weekday, 0);
    assert.equal(grid[6]?.[23]?.hour, 23);
    assert.equal(grid[3]?.[12], undefined);
  });
});
