import { describe, expect, test } from "vitest";
import type { Status } from "../ipc";
import { describeGap, describeStatus } from "./describe-status";

const NOW = new Date("2026-03-15T12:00:00Z");

function status(change: Partial<Status>): Status {
  return {
    state: "ok",
    message: "",
    lastPollAt: null,
    retryAt: null,
    gap: null,
    paused: false,
    unread: 0,
    ...change,
  };
}

function actionsOf(change: Partial<Status>): string[] {
  return describeStatus(status(change), NOW).actions.map((item) => item.action);
}

describe("describeStatus", () => {
  test("connected shows last poll time", () => {
    const text = describeStatus(
      status({ lastPollAt: "2026-03-15T11:59:48Z" }),
      NOW,
    );
    expect(text.label).toBe("Connected");
    expect(text.detail).toBe("Checked 12 s ago");
    expect(text.tone).toBe("ok");
  });

  test("backing off shows retry time", () => {
    const text = describeStatus(
      status({ state: "backing_off", retryAt: "2026-03-15T12:00:40Z" }),
      NOW,
    );
    expect(text.detail).toMatch(/^Retrying in 40 s \(/);
  });

  test("rate limited shows retry time", () => {
    const text = describeStatus(
      status({ state: "rate_limited", retryAt: "2026-03-15T12:02:00Z" }),
      NOW,
    );
    expect(text.label).toBe("Rate limited by Sell");
    expect(text.detail).toMatch(/^Retrying in 2 min/);
  });

  test.each([
    ["ok", ["check-now", "pause"]],
    ["backing_off", ["check-now"]],
    ["rate_limited", ["settings"]],
    ["offline", ["check-now"]],
    ["token_rejected", ["replace-token"]],
    ["forbidden", ["replace-token"]],
    ["no_token", ["set-token"]],
    ["stopped", ["check-now"]],
    ["starting", []],
  ] as const)("%s offers its fix", (state, actions) => {
    expect(actionsOf({ state })).toEqual(actions);
  });

  test("paused wins over the state", () => {
    const text = describeStatus(
      status({ state: "offline", paused: true }),
      NOW,
    );
    expect(text.label).toBe("Paused");
    expect(text.actions.map((item) => item.action)).toEqual(["resume"]);
  });

  test("unknown state falls back to its name and message", () => {
    const text = describeStatus(
      status({
        state: "migrating" as Status["state"],
        message: "Upgrading the store",
      }),
      NOW,
    );
    expect(text.label).toBe("migrating");
    expect(text.detail).toBe("Upgrading the store");
  });
});

describe("describeGap", () => {
  test("no gap", () => {
    expect(describeGap(status({}))).toBeNull();
  });

  test("gap with a start time", () => {
    const gap = describeGap(
      status({
        gap: {
          since: "2026-03-15T09:00:00Z",
          detectedAt: "2026-03-15T11:00:00Z",
        },
      }),
    );
    expect(gap?.text).toMatch(/^Changes since .* may be missing/);
    expect(gap?.detectedAt).toBe("2026-03-15T11:00:00Z");
  });

  test("gap without a start time", () => {
    const gap = describeGap(
      status({ gap: { since: null, detectedAt: "2026-03-15T11:00:00Z" } }),
    );
    expect(gap?.text).toMatch(/^Some changes may be missing/);
  });
});
