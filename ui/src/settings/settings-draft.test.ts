import { describe, expect, test } from "vitest";
import type { Settings } from "../ipc";
import {
  draftFromSettings,
  parseFieldList,
  validateDraft,
  type SettingsDraft,
} from "./settings-draft";

const BASE: Settings = {
  streams: ["deals"],
  pollIntervalSecs: 30,
  notifications: {
    enabled: true,
    onlyMine: false,
    ignoreOwnChanges: true,
    pipelineIds: [1],
    stageIds: [11, 12],
    minValue: "5000.50",
    ignoredFields: ["last_activity_at", "updated_at"],
    quietHours: { enabled: false, start: "22:00", end: "07:00" },
    burstThreshold: 5,
  },
  webUrl: "https://app.futuresimple.com",
  startAtLogin: true,
  theme: "dark",
};

function draft(change: Partial<SettingsDraft> = {}): SettingsDraft {
  return { ...draftFromSettings(BASE), ...change };
}

/** Validates a changed draft and returns the settings, failing the test if it is invalid. */
function settingsOf(change: Partial<SettingsDraft>): Settings {
  const result = validateDraft(draft(change), BASE);
  if (!result.ok) {
    throw new Error(
      `expected a valid draft, got errors ${JSON.stringify(result.errors)}`,
    );
  }
  return result.settings;
}

function errorsOf(change: Partial<SettingsDraft>) {
  const result = validateDraft(draft(change), BASE);
  return result.ok ? {} : result.errors;
}

describe("validateDraft", () => {
  test("unchanged draft round-trips", () => {
    const result = validateDraft(draft(), BASE);
    expect(result).toEqual({ ok: true, settings: BASE });
  });

  test.each([
    ["2", 2],
    ["600", 600],
    [" 45 ", 45],
  ])("poll interval %s accepted", (text, seconds) => {
    expect(settingsOf({ pollInterval: text }).pollIntervalSecs).toBe(seconds);
  });

  test.each(["1", "601", "0", "", "2.5", "-5", "abc", "1e2"])(
    "poll interval %j rejected",
    (text) => {
      expect(errorsOf({ pollInterval: text }).pollInterval).toMatch(/2 to 600/);
    },
  );

  test("no streams rejected", () => {
    expect(errorsOf({ streams: [] }).streams).toMatch(/at least one/);
  });

  test("minimum value kept as the exact decimal string", () => {
    expect(settingsOf({ minValue: " 1000.10 " }).notifications.minValue).toBe(
      "1000.10",
    );
  });

  test("empty minimum value becomes null", () => {
    expect(settingsOf({ minValue: "" }).notifications.minValue).toBeNull();
  });

  test.each(["1,000", "12.", ".5", "-3", "1e5", "ten"])(
    "minimum value %j rejected",
    (text) => {
      expect(errorsOf({ minValue: text }).minValue).toBeDefined();
    },
  );

  test("quiet hours checked when on", () => {
    const errors = errorsOf({
      quietEnabled: true,
      quietStart: "25:00",
      quietEnd: "7:00",
    });
    expect(errors.quietStart).toBeDefined();
    expect(errors.quietEnd).toBeDefined();
  });

  test("quiet hours start and end must differ", () => {
    const errors = errorsOf({
      quietEnabled: true,
      quietStart: "22:00",
      quietEnd: "22:00",
    });
    expect(errors.quietEnd).toMatch(/differ/);
  });

  test("quiet hours off keep saved times when typed ones are invalid", () => {
    expect(
      settingsOf({ quietEnabled: false, quietStart: "", quietEnd: "" })
        .notifications.quietHours,
    ).toEqual({
      enabled: false,
      start: "22:00",
      end: "07:00",
    });
  });

  test("quiet hours overnight accepted", () => {
    expect(
      settingsOf({ quietEnabled: true, quietStart: "23:30", quietEnd: "06:15" })
        .notifications.quietHours,
    ).toEqual({
      enabled: true,
      start: "23:30",
      end: "06:15",
    });
  });

  test.each(["0", "1001", "", "3.5"])("burst threshold %j rejected", (text) => {
    expect(errorsOf({ burstThreshold: text }).burstThreshold).toBeDefined();
  });

  test.each([
    ["not a url", /full address/],
    ["ftp://sell.example", /https/],
    ["javascript:alert(1)", /https/],
    ["https://user:secret@app.futuresimple.com", /password/],
  ])("web address %j rejected", (text, message) => {
    expect(errorsOf({ webUrl: text }).webUrl).toMatch(message);
  });

  test("web address trimmed", () => {
    expect(settingsOf({ webUrl: "  http://127.0.0.1:8080  " }).webUrl).toBe(
      "http://127.0.0.1:8080",
    );
  });

  test("all errors reported at once", () => {
    const errors = errorsOf({ streams: [], pollInterval: "1", webUrl: "x" });
    expect(Object.keys(errors).sort()).toEqual([
      "pollInterval",
      "streams",
      "webUrl",
    ]);
  });
});

describe("parseFieldList", () => {
  test("splits on commas and lines, trims, drops blanks and repeats", () => {
    expect(parseFieldList(" a, b ,\nc,, a ,")).toEqual(["a", "b", "c"]);
  });

  test("empty text", () => {
    expect(parseFieldList("")).toEqual([]);
  });
});
