// Turns the backend's connection status into the words and the fixing action
// that the status bar shows. Pure, so each state is unit-tested.

import { formatClockTime, formatDateTime, formatRelativeTime } from "../format";
import type { Status } from "../ipc";

export type StatusTone = "ok" | "busy" | "warning" | "error" | "paused";

export type StatusAction =
  "check-now" | "replace-token" | "set-token" | "resume" | "pause" | "settings";

export type StatusDescription = {
  tone: StatusTone;
  /** Short state name; it changes only when the state does. */
  label: string;
  /** Times and hints that change as the clock moves. */
  detail: string;
  actions: { action: StatusAction; label: string }[];
};

export type GapDescription = { text: string; detectedAt: string };

const CHECK_NOW = { action: "check-now", label: "Check now" } as const;
const PAUSE = { action: "pause", label: "Pause" } as const;
const REPLACE_TOKEN = {
  action: "replace-token",
  label: "Replace token",
} as const;

function retryText(status: Status, now: Date): string {
  if (status.retryAt === null) {
    return "";
  }
  return `Retrying ${formatRelativeTime(status.retryAt, now)} (${formatClockTime(status.retryAt)})`;
}

export function describeStatus(status: Status, now: Date): StatusDescription {
  if (status.paused) {
    return {
      tone: "paused",
      label: "Paused",
      detail:
        "No pop-ups until you resume; changes are still checked and listed.",
      actions: [{ action: "resume", label: "Resume" }],
    };
  }

  switch (status.state) {
    case "starting":
      return {
        tone: "busy",
        label: "Starting…",
        detail: status.message,
        actions: [],
      };
    case "ok":
      return {
        tone: "ok",
        label: "Connected",
        detail:
          status.lastPollAt === null
            ? ""
            : `Checked ${formatRelativeTime(status.lastPollAt, now)}`,
        actions: [CHECK_NOW, PAUSE],
      };
    case "backing_off":
      return {
        tone: "warning",
        label: "Sell is not answering",
        detail: retryText(status, now) || status.message,
        actions: [CHECK_NOW],
      };
    case "rate_limited":
      return {
        tone: "warning",
        label: "Rate limited by Sell",
        detail: retryText(status, now) || "Waiting before the next check.",
        actions: [{ action: "settings", label: "Poll less often" }],
      };
    case "offline":
      return {
        tone: "warning",
        label: "Offline",
        detail: retryText(status, now) || "Sell could not be reached.",
        actions: [CHECK_NOW],
      };
    case "token_rejected":
      return {
        tone: "error",
        label: "Token rejected",
        detail: "Sell rejected the access token. Paste a new one in Settings.",
        actions: [REPLACE_TOKEN],
      };
    case "forbidden":
      return {
        tone: "error",
        label: "No Firehose access",
        detail:
          "The token lacks access to the Firehose API, which needs the Growth plan or above.",
        actions: [REPLACE_TOKEN],
      };
    case "no_token":
      return {
        tone: "error",
        label: "No token",
        detail: "Add a Sell access token to start watching.",
        actions: [{ action: "set-token", label: "Add token" }],
      };
    case "stopped":
      return {
        tone: "error",
        label: "Stopped",
        detail: status.message,
        actions: [CHECK_NOW],
      };
    default:
      // A state added to the backend after this UI was built.
      return {
        tone: "warning",
        label: String(status.state),
        detail: status.message,
        actions: [CHECK_NOW],
      };
  }
}

/** Describes a gap in the history after an expired stream position, or returns null. */
export function describeGap(status: Status): GapDescription | null {
  if (status.gap === null) {
    return null;
  }
  const { since, detectedAt } = status.gap;
  const text =
    since === null
      ? "Some changes may be missing because the saved stream position expired."
      : `Changes since ${formatDateTime(since)} may be missing because the saved stream position expired.`;
  return { text, detectedAt };
}
