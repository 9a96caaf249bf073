// Text formatting for changes, times and record snapshots. Everything here is
// pure so the unit tests can pin the exact output.

import type { Change, Row } from "./ipc";

/** Placeholder for a missing or empty value. */
export const EMPTY_VALUE = "—";

/** Maximum length, in characters, of a value shown in a collapsed history row. */
export const ROW_VALUE_MAX_CHARS = 40;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const MONTHS = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
];

/**
 * Formats `iso` relative to `now`, such as "just now", "2 min ago", "in 40 s"
 * or "yesterday". Times more than a week away show the local date instead.
 * Returns `iso` unchanged when it is not a valid date.
 */
export function formatRelativeTime(iso: string, now: Date): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) {
    return iso;
  }

  const delta = time - now.getTime();
  const distance = Math.abs(delta);
  const future = delta > 0;

  if (distance < 10 * SECOND) {
    return future ? "in a few seconds" : "just now";
  }
  if (distance < MINUTE) {
    return relative(Math.floor(distance / SECOND), "s", future);
  }
  if (distance < HOUR) {
    return relative(Math.floor(distance / MINUTE), "min", future);
  }
  if (distance < DAY) {
    return relative(Math.floor(distance / HOUR), "h", future);
  }

  const days = calendarDaysBetween(new Date(time), now);
  if (days === 1) {
    return future ? "tomorrow" : "yesterday";
  }
  if (days <= 7) {
    return future ? `in ${days} days` : `${days} days ago`;
  }
  return formatShortDate(new Date(time), now);
}

function relative(amount: number, unit: string, future: boolean): string {
  return future ? `in ${amount} ${unit}` : `${amount} ${unit} ago`;
}

/** Counts local calendar days between two dates, ignoring their order. */
function calendarDaysBetween(a: Date, b: Date): number {
  const dayA = Date.UTC(a.getFullYear(), a.getMonth(), a.getDate());
  const dayB = Date.UTC(b.getFullYear(), b.getMonth(), b.getDate());
  return Math.round(Math.abs(dayA - dayB) / DAY);
}

/** Formats a local date as "12 Mar", adding the year when it differs from `now`. */
function formatShortDate(date: Date, now: Date): string {
  const dayMonth = `${date.getDate()} ${MONTHS[date.getMonth()]}`;
  if (date.getFullYear() === now.getFullYear()) {
    return dayMonth;
  }
  return `${dayMonth} ${date.getFullYear()}`;
}

/**
 * Formats `iso` as an exact local date and time with seconds, for tooltips.
 * `locale` and `timeZone` default to the user's and exist for tests.
 */
export function formatExactTime(
  iso: string,
  locale?: string,
  timeZone?: string,
): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) {
    return iso;
  }
  const format = new Intl.DateTimeFormat(locale, {
    dateStyle: "medium",
    timeStyle: "medium",
    timeZone,
  });
  return format.format(new Date(time));
}

/** Formats `iso` as a local date and time without seconds, such as "Mar 15, 2026, 9:00 AM". */
export function formatDateTime(
  iso: string,
  locale?: string,
  timeZone?: string,
): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) {
    return iso;
  }
  const format = new Intl.DateTimeFormat(locale, {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone,
  });
  return format.format(new Date(time));
}

/** Formats the local time of day of `iso`, such as "14:32". */
export function formatClockTime(
  iso: string,
  locale?: string,
  timeZone?: string,
): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) {
    return iso;
  }
  const format = new Intl.DateTimeFormat(locale, {
    timeStyle: "short",
    timeZone,
  });
  return format.format(new Date(time));
}

/** Returns `value` as shown to the user: null, empty and blank become "—". */
export function displayValue(value: string | null | undefined): string {
  if (value === null || value === undefined || value.trim() === "") {
    return EMPTY_VALUE;
  }
  return value;
}

/**
 * Shortens `text` to at most `maxChars` characters, ending it with "…" when
 * cut. Counts code points, so a surrogate pair is never split.
 */
export function truncate(text: string, maxChars: number): string {
  const characters = Array.from(text);
  if (characters.length <= maxChars) {
    return text;
  }
  if (maxChars <= 1) {
    return "…";
  }
  return characters.slice(0, maxChars - 1).join("") + "…";
}

/** The text of one change: its label and the old and new values. */
export type ChangeText = { label: string; old: string; new: string };

/**
 * Formats a change for display. Values are kept exactly as the backend sent
 * them, so decimal strings keep every digit; `maxChars` limits their length.
 */
export function formatChange(change: Change, maxChars?: number): ChangeText {
  const label = change.label.trim() === "" ? change.field : change.label;
  const oldText = displayValue(change.old);
  const newText = displayValue(change.new);
  if (maxChars === undefined) {
    return { label, old: oldText, new: newText };
  }
  return {
    label,
    old: truncate(oldText, maxChars),
    new: truncate(newText, maxChars),
  };
}

/** Formats a change as one line of plain text, such as "Stage: Qualified → Won". */
export function changeToText(change: Change, maxChars?: number): string {
  const text = formatChange(change, maxChars);
  return `${text.label}: ${text.old} → ${text.new}`;
}

/** Formats a value and currency, such as "1200.50 EUR"; the decimal is kept as given. */
export function formatMoney(
  value: string | null,
  currency: string | null,
): string {
  const amount = displayValue(value);
  if (amount === EMPTY_VALUE || currency === null || currency.trim() === "") {
    return amount;
  }
  return `${amount} ${currency}`;
}

/** Turns an identifier such as "stage_changed" into "Stage changed". */
export function humanize(identifier: string): string {
  const words = identifier.replace(/[_-]+/g, " ").trim();
  if (words === "") {
    return identifier;
  }
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Label of an event type, such as "Created" for `created`. */
export function eventTypeLabel(eventType: string): string {
  return humanize(eventType);
}

/** Label of a row's record kind, such as "Deal". */
export function recordKindLabel(
  row: Pick<Row, "recordType" | "resource">,
): string {
  const kind = row.recordType.trim() !== "" ? row.recordType : row.resource;
  return humanize(kind);
}

/** Returns the name shown for a row, falling back to the record kind and id. */
export function rowTitle(
  row: Pick<Row, "name" | "recordType" | "resource" | "recordId">,
): string {
  if (row.name !== null && row.name.trim() !== "") {
    return row.name;
  }
  const kind = recordKindLabel(row);
  return row.recordId === null
    ? `Unnamed ${kind.toLowerCase()}`
    : `${kind} ${row.recordId}`;
}

/**
 * Re-indents JSON text for reading. Works on the text itself instead of
 * parsing it into numbers, so large ids and decimals such as 1200.50 keep
 * every digit. Returns `text` unchanged when it is not valid JSON.
 */
export function prettyJson(text: string, indent = 2): string {
  try {
    JSON.parse(text);
  } catch {
    return text;
  }

  const pad = (depth: number) => "\n" + " ".repeat(depth * indent);
  let out = "";
  let depth = 0;
  let inString = false;
  let escaped = false;

  for (let i = 0; i < text.length; i++) {
    const ch = text[i];

    if (inString) {
      out += ch;
      if (escaped) {
        escaped = false;
      } else if (ch === "\\") {
        escaped = true;
      } else if (ch === '"') {
        inString = false;
      }
      continue;
    }

    switch (ch) {
      case '"':
        inString = true;
        out += ch;
        break;
      case "{":
      case "[": {
        const next = skipWhitespace(text, i + 1);
        const close = ch === "{" ? "}" : "]";
        if (text[next] === close) {
          out += ch + close;
          i = next;
        } else {
          depth++;
          out += ch + pad(depth);
        }
        break;
      }
      case "}":
      case "]":
        depth--;
        out += pad(depth) + ch;
        break;
      case ",":
        out += "," + pad(depth);
        break;
      case ":":
        out += ": ";
        break;
      case " ":
      case "\t":
      case "\n":
      case "\r":
        break;
      default:
        out += ch;
    }
  }
  return out;
}

function skipWhitespace(text: string, from: number): number {
  let i = from;
  while (i < text.length && " \t\n\r".includes(text[i])) {
    i++;
  }
  return i;
}
