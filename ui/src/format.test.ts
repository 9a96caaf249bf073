import { describe, expect, test } from "vitest";
import {
  EMPTY_VALUE,
  changeToText,
  displayValue,
  eventTypeLabel,
  formatChange,
  formatClockTime,
  formatDateTime,
  formatExactTime,
  formatMoney,
  formatRelativeTime,
  humanize,
  prettyJson,
  recordKindLabel,
  rowTitle,
  truncate,
} from "./format";

// The unit project runs with TZ=UTC, so local dates equal UTC dates here.
const NOW = new Date("2026-03-15T12:00:00Z");

function ago(milliseconds: number): string {
  return new Date(NOW.getTime() - milliseconds).toISOString();
}

describe("formatRelativeTime", () => {
  test.each([
    ["same instant", ago(0), "just now"],
    ["9 seconds ago", ago(9_000), "just now"],
    ["10 seconds ago", ago(10_000), "10 s ago"],
    ["59 seconds ago", ago(59_000), "59 s ago"],
    ["1 minute ago", ago(60_000), "1 min ago"],
    ["2 minutes 59 seconds ago", ago(179_000), "2 min ago"],
    ["59 minutes ago", ago(59 * 60_000), "59 min ago"],
    ["1 hour ago", ago(3_600_000), "1 h ago"],
    ["23 hours ago", ago(23 * 3_600_000), "23 h ago"],
    ["previous calendar day", "2026-03-14T08:00:00Z", "yesterday"],
    ["3 days ago", "2026-03-12T12:00:00Z", "3 days ago"],
    ["7 days ago", "2026-03-08T12:00:00Z", "7 days ago"],
    ["8 days ago, same year", "2026-03-07T12:00:00Z", "7 Mar"],
    ["last year", "2025-12-24T12:00:00Z", "24 Dec 2025"],
  ])("%s", (_name, iso, expected) => {
    expect(formatRelativeTime(iso, NOW)).toBe(expected);
  });

  test.each([
    ["in 5 seconds", "2026-03-15T12:00:05Z", "in a few seconds"],
    ["in 40 seconds", "2026-03-15T12:00:40Z", "in 40 s"],
    ["in 3 minutes", "2026-03-15T12:03:00Z", "in 3 min"],
    ["in 2 hours", "2026-03-15T14:00:00Z", "in 2 h"],
    ["next calendar day", "2026-03-16T13:00:00Z", "tomorrow"],
  ])("future: %s", (_name, iso, expected) => {
    expect(formatRelativeTime(iso, NOW)).toBe(expected);
  });

  test("invalid date returned unchanged", () => {
    expect(formatRelativeTime("not a date", NOW)).toBe("not a date");
  });
});

describe("formatExactTime", () => {
  test("includes date and seconds", () => {
    const text = formatExactTime("2026-03-15T09:05:07Z", "en-GB", "UTC");
    expect(text).toContain("2026");
    expect(text).toContain("09:05:07");
  });

  test("uses the given time zone", () => {
    const text = formatExactTime(
      "2026-03-15T09:05:07Z",
      "en-GB",
      "Europe/Berlin",
    );
    expect(text).toContain("10:05:07");
  });

  test("invalid date returned unchanged", () => {
    expect(formatExactTime("garbage")).toBe("garbage");
  });
});

describe("formatClockTime", () => {
  test("hours and minutes", () => {
    expect(formatClockTime("2026-03-15T14:32:10Z", "en-GB", "UTC")).toBe(
      "14:32",
    );
  });
});

describe("displayValue", () => {
  test.each([
    ["null", null, EMPTY_VALUE],
    ["undefined", undefined, EMPTY_VALUE],
    ["empty string", "", EMPTY_VALUE],
    ["blank string", "   ", EMPTY_VALUE],
    ["text", "Qualified", "Qualified"],
    ["zero", "0", "0"],
    ["zero decimal", "0.00", "0.00"],
  ])("%s", (_name, value, expected) => {
    expect(displayValue(value)).toBe(expected);
  });
});

describe("formatChange", () => {
  test("old and new values", () => {
    const text = formatChange({
      field: "stage_id",
      label: "Stage",
      old: "Qualified",
      new: "Won",
    });
    expect(text).toEqual({ label: "Stage", old: "Qualified", new: "Won" });
  });

  test("null old value becomes dash", () => {
    const text = formatChange({
      field: "value",
      label: "Value",
      old: null,
      new: "100",
    });
    expect(text.old).toBe("—");
    expect(text.new).toBe("100");
  });

  test("empty new value becomes dash", () => {
    const text = formatChange({
      field: "value",
      label: "Value",
      old: "100",
      new: "",
    });
    expect(text.new).toBe("—");
  });

  test.each([
    "1200.50",
    "0.10",
    "1000000.000",
    "12345678901234567890.123456789",
    "-0.5",
    "1e3",
  ])("decimal %s kept exactly", (decimal) => {
    const text = formatChange({
      field: "value",
      label: "Value",
      old: decimal,
      new: decimal,
    });
    expect(text.old).toBe(decimal);
    expect(text.new).toBe(decimal);
  });

  test("blank label falls back to field name", () => {
    const text = formatChange({
      field: "custom_region",
      label: " ",
      old: "a",
      new: "b",
    });
    expect(text.label).toBe("custom_region");
  });

  test("long values truncated when limited", () => {
    const long = "x".repeat(100);
    const text = formatChange(
      { field: "notes", label: "Notes", old: long, new: "short" },
      10,
    );
    expect(text.old).toBe("xxxxxxxxx…");
    expect(text.new).toBe("short");
  });

  test("dash never truncated", () => {
    const text = formatChange(
      { field: "notes", label: "Notes", old: null, new: "a" },
      1,
    );
    expect(text.old).toBe("—");
  });

  test("one-line text", () => {
    const change = {
      field: "value",
      label: "Value",
      old: null,
      new: "1200.50",
    };
    expect(changeToText(change)).toBe("Value: — → 1200.50");
  });
});

describe("truncate", () => {
  test("short text unchanged", () => {
    expect(truncate("abc", 3)).toBe("abc");
  });

  test("long text ends with ellipsis", () => {
    expect(truncate("abcdef", 4)).toBe("abc…");
  });

  test("surrogate pairs kept whole", () => {
    expect(truncate("😀😀😀😀", 3)).toBe("😀😀…");
  });

  test("limit of one", () => {
    expect(truncate("abc", 1)).toBe("…");
  });
});

describe("formatMoney", () => {
  test("value and currency", () => {
    expect(formatMoney("1200.50", "EUR")).toBe("1200.50 EUR");
  });

  test("missing currency", () => {
    expect(formatMoney("1200.50", null)).toBe("1200.50");
  });

  test("missing value", () => {
    expect(formatMoney(null, "EUR")).toBe("—");
  });
});

describe("labels", () => {
  test("event types", () => {
    expect(eventTypeLabel("created")).toBe("Created");
    expect(eventTypeLabel("stage_changed")).toBe("Stage changed");
  });

  test("humanize keeps unknown empty identifiers", () => {
    expect(humanize("__")).toBe("__");
  });

  test("record kind prefers record type", () => {
    expect(recordKindLabel({ recordType: "deal", resource: "deals" })).toBe(
      "Deal",
    );
    expect(recordKindLabel({ recordType: "", resource: "leads" })).toBe(
      "Leads",
    );
  });

  test("row title falls back to kind and id", () => {
    const base = { recordType: "deal", resource: "deals" };
    expect(rowTitle({ ...base, name: "Acme", recordId: 1 })).toBe("Acme");
    expect(rowTitle({ ...base, name: null, recordId: 42 })).toBe("Deal 42");
    expect(rowTitle({ ...base, name: "  ", recordId: null })).toBe(
      "Unnamed deal",
    );
  });
});

describe("prettyJson", () => {
  test("indents objects and arrays", () => {
    expect(prettyJson('{"a":1,"b":[true,null]}')).toBe(
      '{\n  "a": 1,\n  "b": [\n    true,\n    null\n  ]\n}',
    );
  });

  test("keeps number literals exactly", () => {
    const text = prettyJson('{"value":1200.50,"id":12345678901234567890}');
    expect(text).toContain("1200.50");
    expect(text).toContain("12345678901234567890");
  });

  test("leaves strings with structural characters alone", () => {
    const text = prettyJson('{"name":"a, b: {c} [d] \\"e\\""}');
    expect(text).toBe('{\n  "name": "a, b: {c} [d] \\"e\\""\n}');
  });

  test("empty containers stay on one line", () => {
    expect(prettyJson('{"a":{},"b":[ ]}')).toBe('{\n  "a": {},\n  "b": []\n}');
  });

  test("reformats already indented JSON", () => {
    expect(prettyJson('{\n    "a" :  1\n}')).toBe('{\n  "a": 1\n}');
  });

  test("invalid JSON returned unchanged", () => {
    expect(prettyJson("{not json")).toBe("{not json");
  });

  test("same content after parsing", () => {
    const source = '{"a":[1,2,{"b":"x\\ny"}],"c":-0.25e2,"d":"\\u00e9"}';
    expect(JSON.parse(prettyJson(source))).toEqual(JSON.parse(source));
  });
});

describe("formatDateTime", () => {
  test("date and minutes without seconds", () => {
    const text = formatDateTime("2026-03-15T09:05:07Z", "en-GB", "UTC");
    expect(text).toContain("2026");
    expect(text).toContain("09:05");
    expect(text).not.toContain("09:05:07");
  });
});
