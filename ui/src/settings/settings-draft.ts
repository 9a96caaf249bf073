// The settings form's values as typed, and their validation into `Settings`.
// Pure, so every rule has a unit test.

import type { Settings, Theme } from "../ipc";

export const POLL_MIN_SECS = 2;
export const POLL_MAX_SECS = 600;
export const BURST_MIN = 1;
export const BURST_MAX = 1000;

/** Streams offered when `filter_options` returns none. */
export const DEFAULT_STREAMS = ["deals", "leads", "contacts", "tasks"];

export type SettingsDraft = {
  streams: string[];
  pollInterval: string;
  notificationsEnabled: boolean;
  onlyMine: boolean;
  ignoreOwnChanges: boolean;
  pipelineIds: number[];
  stageIds: number[];
  minValue: string;
  ignoredFields: string;
  quietEnabled: boolean;
  quietStart: string;
  quietEnd: string;
  burstThreshold: string;
  webUrl: string;
  startAtLogin: boolean;
  theme: Theme;
};

export type DraftField =
  | "streams"
  | "pollInterval"
  | "minValue"
  | "quietStart"
  | "quietEnd"
  | "burstThreshold"
  | "webUrl";

export type DraftErrors = Partial<Record<DraftField, string>>;

export type ValidationResult =
  { ok: true; settings: Settings } | { ok: false; errors: DraftErrors };

export function draftFromSettings(settings: Settings): SettingsDraft {
  const rules = settings.notifications;
  return {
    streams: [...settings.streams],
    pollInterval: String(settings.pollIntervalSecs),
    notificationsEnabled: rules.enabled,
    onlyMine: rules.onlyMine,
    ignoreOwnChanges: rules.ignoreOwnChanges,
    pipelineIds: [...rules.pipelineIds],
    stageIds: [...rules.stageIds],
    minValue: rules.minValue ?? "",
    ignoredFields: rules.ignoredFields.join(", "),
    quietEnabled: rules.quietHours.enabled,
    quietStart: rules.quietHours.start,
    quietEnd: rules.quietHours.end,
    burstThreshold: String(rules.burstThreshold),
    webUrl: settings.webUrl,
    startAtLogin: settings.startAtLogin,
    theme: settings.theme,
  };
}

const DECIMAL = /^\d+(\.\d+)?$/;
const CLOCK_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const WHOLE_NUMBER = /^\d+$/;

/** Splits a comma- or line-separated list, dropping blanks and repeats. */
export function parseFieldList(text: string): string[] {
  const fields = text
    .split(/[,\n]/)
    .map((field) => field.trim())
    .filter((field) => field !== "");
  return [...new Set(fields)];
}

function parseWholeNumber(
  text: string,
  min: number,
  max: number,
): number | null {
  const trimmed = text.trim();
  if (!WHOLE_NUMBER.test(trimmed)) {
    return null;
  }
  const value = Number(trimmed);
  return value >= min && value <= max ? value : null;
}

function validateWebUrl(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return "Enter the full address, starting with https://.";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return "The address must start with https:// or http://.";
  }
  if (url.username !== "" || url.password !== "") {
    return "Leave the user name and password out of the address.";
  }
  return null;
}

/**
 * Checks a draft and builds the settings to save. Quiet hours that are turned
 * off are not checked, and keep `base`'s times when the typed ones are invalid.
 */
export function validateDraft(
  draft: SettingsDraft,
  base: Settings,
): ValidationResult {
  const errors: DraftErrors = {};

  if (draft.streams.length === 0) {
    errors.streams = "Choose at least one stream to follow.";
  }

  const pollIntervalSecs = parseWholeNumber(
    draft.pollInterval,
    POLL_MIN_SECS,
    POLL_MAX_SECS,
  );
  if (pollIntervalSecs === null) {
    errors.pollInterval = `Enter a whole number of seconds from ${POLL_MIN_SECS} to ${POLL_MAX_SECS} (10 minutes).`;
  }

  const minValue = draft.minValue.trim();
  if (minValue !== "" && !DECIMAL.test(minValue)) {
    errors.minValue =
      "Enter an amount such as 5000 or 5000.50, or leave it empty.";
  }

  let quietStart = draft.quietStart.trim();
  let quietEnd = draft.quietEnd.trim();
  if (draft.quietEnabled) {
    if (!CLOCK_TIME.test(quietStart)) {
      errors.quietStart = "Enter a start time such as 22:00.";
    }
    if (!CLOCK_TIME.test(quietEnd)) {
      errors.quietEnd = "Enter an end time such as 07:00.";
    } else if (quietStart === quietEnd) {
      errors.quietEnd = "The end time must differ from the start time.";
    }
  } else {
    if (!CLOCK_TIME.test(quietStart))
      quietStart = base.notifications.quietHours.start;
    if (!CLOCK_TIME.test(quietEnd))
      quietEnd = base.notifications.quietHours.end;
  }

  const burstThreshold = parseWholeNumber(
    draft.burstThreshold,
    BURST_MIN,
    BURST_MAX,
  );
  if (burstThreshold === null) {
    errors.burstThreshold = `Enter a whole number from ${BURST_MIN} to ${BURST_MAX}.`;
  }

  const webUrlError = validateWebUrl(draft.webUrl);
  if (webUrlError !== null) {
    errors.webUrl = webUrlError;
  }

  if (
    Object.keys(errors).length > 0 ||
    pollIntervalSecs === null ||
    burstThreshold === null
  ) {
    return { ok: false, errors };
  }

  return {
    ok: true,
    settings: {
      streams: [...draft.streams],
      pollIntervalSecs,
      notifications: {
        enabled: draft.notificationsEnabled,
        onlyMine: draft.onlyMine,
        ignoreOwnChanges: draft.ignoreOwnChanges,
        pipelineIds: [...draft.pipelineIds],
        stageIds: [...draft.stageIds],
        minValue: minValue === "" ? null : minValue,
        ignoredFields: parseFieldList(draft.ignoredFields),
        quietHours: {
          enabled: draft.quietEnabled,
          start: quietStart,
          end: quietEnd,
        },
        burstThreshold,
      },
      webUrl: draft.webUrl.trim(),
      startAtLogin: draft.startAtLogin,
      theme: draft.theme,
    },
  };
}
