// The panel that shows one history row in full: every changed field without
// truncation, the record's other fields, the snapshot as indented JSON, and
// the button that opens the record in Sell.

import { h, replaceChildren, type Child } from "../dom";
import {
  displayValue,
  eventTypeLabel,
  formatExactTime,
  formatMoney,
  prettyJson,
  recordKindLabel,
  rowTitle,
} from "../format";
import { commands, toCommandError, type Row } from "../ipc";
import { DETAIL_PANEL_ID, changeElement, timeElement } from "./row-view";

export class DetailPanel {
  readonly element: HTMLElement;
  private current: Row | null = null;

  constructor(private readonly onClose: () => void) {
    this.element = h("section", {
      id: DETAIL_PANEL_ID,
      class: "detail",
      "aria-labelledby": "detail-title",
      hidden: true,
    });
    this.element.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.onClose();
      }
    });
  }

  /** History id of the row shown, or null when closed. */
  get rowId(): number | null {
    return this.current?.id ?? null;
  }

  show(row: Row, now: Date): void {
    this.current = row;
    this.element.hidden = false;
    replaceChildren(this.element, ...this.build(row, now));
    this.element.querySelector<HTMLElement>("#detail-title")?.focus();
  }

  hide(): void {
    this.current = null;
    this.element.hidden = true;
    this.element.replaceChildren();
  }

  private build(row: Row, now: Date): Child[] {
    const status = h("p", { class: "detail-error", role: "alert" });
    const openButton = h(
      "button",
      {
        type: "button",
        class: "primary",
        disabled: row.recordId === null,
        title: row.recordId === null ? "This change has no record id." : null,
        onclick: async () => {
          status.textContent = "";
          try {
            await commands.openRecord(row.id);
          } catch (error) {
            status.textContent = toCommandError(error).message;
          }
        },
      },
      "Open in Sell",
    );

    const facts: [string, Child][] = [
      [
        "Record",
        `${recordKindLabel(row)}${row.recordId === null ? "" : ` ${row.recordId}`}`,
      ],
      ["Event", eventTypeLabel(row.eventType)],
      ["Time", formatExactTime(row.eventTime)],
      ["Owner", displayValue(row.owner)],
      ["Pipeline", displayValue(row.pipeline)],
      ["Stage", displayValue(row.stage)],
      ["Value", formatMoney(row.value, row.currency)],
    ];

    const changes =
      row.changes.length === 0
        ? h(
            "p",
            { class: "muted" },
            "No field changes were recorded for this event.",
          )
        : h(
            "ul",
            { class: "detail-changes" },
            ...row.changes.map((change) => h("li", {}, changeElement(change))),
          );

    return [
      h(
        "div",
        { class: "detail-header" },
        h(
          "button",
          {
            type: "button",
            class: "quiet",
            "aria-label": "Close details",
            onclick: () => this.onClose(),
          },
          "Close",
        ),
        timeElement(row.eventTime, now, "detail-time"),
      ),
      h("h2", { id: "detail-title", tabindex: "-1" }, rowTitle(row)),
      h("div", { class: "detail-actions" }, openButton),
      status,
      h("h3", {}, "Changes"),
      changes,
      h("h3", {}, "Details"),
      h(
        "dl",
        { class: "detail-facts" },
        ...facts.flatMap(([term, value]) => [
          h("dt", {}, term),
          h("dd", {}, value),
        ]),
      ),
      h("h3", { id: "snapshot-title" }, "Snapshot"),
      h(
        "pre",
        {
          class: "snapshot",
          tabindex: "0",
          "aria-labelledby": "snapshot-title",
        },
        prettyJson(row.snapshot),
      ),
    ];
  }
}
