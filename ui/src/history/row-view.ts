// The collapsed history row: record kind and name, event type, time, owner and
// the changed fields, in a fixed height. The full record is in the detail panel.

import { h, type Child } from "../dom";
import {
  ROW_VALUE_MAX_CHARS,
  eventTypeLabel,
  formatChange,
  formatExactTime,
  formatRelativeTime,
  recordKindLabel,
  rowTitle,
} from "../format";
import type { Change, Row } from "../ipc";

/** Height of a collapsed row in pixels; the stylesheet reads it from `--row-height`. */
export const ROW_HEIGHT = 76;

export const DETAIL_PANEL_ID = "detail-panel";

/** Creates a `<time>` element showing `iso` relative to `now`, with the exact local time on hover. */
export function timeElement(
  iso: string,
  now: Date,
  className: string,
): HTMLTimeElement {
  return h(
    "time",
    {
      class: className,
      datetime: iso,
      title: formatExactTime(iso),
      "data-relative": true,
    },
    formatRelativeTime(iso, now),
  );
}

/** Renders one change as label, struck-through old value, arrow and new value. */
export function changeElement(change: Change, maxChars?: number): HTMLElement {
  const text = formatChange(change, maxChars);
  return h(
    "span",
    { class: "change" },
    h("span", { class: "change-label" }, text.label),
    " ",
    h("del", { class: "change-old" }, text.old),
    h("span", { class: "change-arrow", "aria-hidden": "true" }, " → "),
    h("span", { class: "visually-hidden" }, " changed to "),
    h("ins", { class: "change-new" }, text.new),
  );
}

export function renderRow(
  row: Row,
  expanded: boolean,
  now: Date,
  onOpen: (row: Row) => void,
): HTMLElement {
  const owner: Child = row.owner
    ? h("span", { class: "row-owner" }, row.owner)
    : null;
  const changes = row.changes.map((change) =>
    changeElement(change, ROW_VALUE_MAX_CHARS),
  );

  const button = h(
    "button",
    {
      type: "button",
      class: "row-button",
      "aria-expanded": String(expanded),
      "aria-controls": DETAIL_PANEL_ID,
      onclick: () => onOpen(row),
    },
    h(
      "span",
      { class: "row-line row-head" },
      h("span", { class: "unread-dot", "aria-hidden": "true" }),
      row.read ? null : h("span", { class: "visually-hidden" }, "Unread: "),
      h("span", { class: "row-kind" }, recordKindLabel(row)),
      h("span", { class: "row-name" }, rowTitle(row)),
      timeElement(row.eventTime, now, "row-time"),
    ),
    h(
      "span",
      { class: "row-line row-meta" },
      h(
        "span",
        { class: `row-event event-${cssToken(row.eventType)}` },
        eventTypeLabel(row.eventType),
      ),
      owner,
    ),
    h(
      "span",
      { class: "row-line row-changes" },
      ...(changes.length > 0
        ? changes
        : [h("span", { class: "row-no-changes" }, "No field changes")]),
    ),
  );

  const classes = ["row"];
  if (!row.read) classes.push("unread");
  if (expanded) classes.push("expanded");
  return h(
    "div",
    { role: "listitem", class: classes.join(" "), "data-row-id": row.id },
    button,
  );
}

/** Renders a row whose page has not arrived yet. */
export function renderPlaceholderRow(): HTMLElement {
  return h(
    "div",
    { role: "listitem", class: "row placeholder" },
    h(
      "span",
      { class: "row-button", tabindex: "-1" },
      h("span", { class: "row-line row-head" }, "Loading…"),
    ),
  );
}

/** Turns an event type into a safe class-name suffix. */
function cssToken(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9-]/g, "-");
}
