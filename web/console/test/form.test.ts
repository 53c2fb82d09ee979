import assert from "node:assert/strict";
import { test } from "node:test";
import { errorId, intervalsOf, intervalsText, listOf, numberOrText, placeProblems } from "../src/operator/form";

test("numbers are numbers, empty is null, anything else goes as typed for the API to refuse", () => {
  assert.equal(numberOrText(" 42 "), 42);
  assert.equal(numberOrText("0,5"), 0.5);
  assert.equal(numberOrText("-1"), -1);
  assert.equal(numberOrText(""), null);
  assert.equal(numberOrText("veel"), "veel");
  assert.equal(numberOrText("1e3"), "1e3");
});

test("opening hours are typed as ranges per day", () => {
  assert.deepEqual(intervalsOf("08:00-12:00, 13:00 – 21:00"), [["08:00", "12:00"], ["13:00", "21:00"]]);
  assert.deepEqual(intervalsOf("  "), []);
  assert.deepEqual(intervalsOf("9 tot 5"), [["9 tot 5"]]);
  assert.equal(intervalsText([["08:00", "12:00"], ["13:00", "21:00"]]), "08:00–12:00, 13:00–21:00");
  assert.deepEqual(intervalsOf(intervalsText([["09:00", "24:00"]])), [["09:00", "24:00"]]);
  assert.deepEqual(listOf("a, b,, c "), ["a", "b", "c"]);
});

test("a 422's problems go to the input of their field or its nearest parent", () => {
  const keys = ["timezone", "weekly.mon", "weekly.tue", "rules.0.triggers.min_cart_value", "rules.0.name", "rules"];
  const placed = placeProblems(
    [
      { field: "weekly.mon.0.1", error: "String should match pattern" },
      { field: "weekly", error: "Value error, tue: intervals overlap" },
      { field: "timezone", error: "Value error, unknown time zone 'Mars/Olympus'" },
      { field: "rules.0.triggers.min_cart_value", error: "Input should be greater than or equal to 0" },
      { field: "rules", error: "Value error, rule ids must be unique" },
      { field: "holdout_share", error: "Input should be less than or equal to 0.5" },
    ],
    keys,
  );
  assert.deepEqual(placed, {
    "weekly.mon": "String should match pattern",
    "weekly.tue": "intervals overlap",
    timezone: "unknown time zone 'Mars/Olympus'",
    "rules.0.triggers.min_cart_value": "Input should be greater than or equal to 0",
    rules: "rule ids must be unique",
    "": "holdout_share: Input should be less than or equal to 0.5",
  });
});

test("two problems of one input are both shown", () => {
  const placed = placeProblems(
    [
      { field: "weekly.mon.0.0", error: "bad start" },
      { field: "weekly.mon.0.1", error: "bad end" },
    ],
    ["weekly.mon"],
  );
  assert.deepEqual(placed, { "weekly.mon": "bad start; bad end" });
});

test("an error id is a valid id for any field path", () => {
  assert.equal(errorId("hours", "exceptions.2026-12-25"), "hours-exceptions_2026-12-25-error");
});
