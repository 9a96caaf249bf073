// The bar at the bottom of the window: connection state, the action that fixes
// it, and a notice when changes may be missing.

import { h, replaceChildren } from "../dom";
import { formatExactTime, formatRelativeTime } from "../format";
import { commands, toCommandError, type Status } from "../ipc";
import {
  describeGap,
  describeStatus,
  type StatusAction,
} from "./describe-status";

/** How often the times in the bar are recomputed. */
const TICK_MS = 1000;

export class StatusBar {
  readonly element: HTMLElement;
  private readonly dot: HTMLElement;
  private readonly label: HTMLElement;
  private readonly detail: HTMLElement;
  private readonly actions: HTMLElement;
  private readonly gap: HTMLElement;
  private readonly error: HTMLElement;
  private status: Status | null = null;
  private actionsKey = "";

  constructor(
    private readonly onNavigate: (
      action: "replace-token" | "set-token" | "settings",
    ) => void,
  ) {
    this.dot = h("span", { class: "status-dot", "aria-hidden": "true" });
    this.label = h("span", { class: "status-label", role: "status" });
    this.detail = h("span", { class: "status-detail" });
    this.actions = h("span", { class: "status-actions" });
    this.gap = h("div", { class: "gap-notice", hidden: true });
    this.error = h("div", { class: "status-error", role: "alert" });

    this.element = h(
      "footer",
      { class: "status-bar", "aria-label": "Connection status" },
      this.gap,
      h(
        "div",
        { class: "status-main" },
        this.dot,
        h("span", { class: "status-text" }, this.label, this.detail),
        this.actions,
      ),
      this.error,
    );
    window.setInterval(() => this.renderDetail(), TICK_MS);
  }

  update(status: Status): void {
    this.status = status;
    this.render();
  }

  private render(): void {
    const status = this.status;
    if (status === null) {
      return;
    }
    const description = describeStatus(status, new Date());
    this.element.dataset.tone = description.tone;
    this.dot.dataset.tone = description.tone;
    if (this.label.textContent !== description.label) {
      this.label.textContent = description.label;
    }
    this.detail.textContent = description.detail;
    this.detail.title = status.message;

    // Rebuild buttons only when they change, so keyboard focus stays put.
    const key = description.actions.map((item) => item.action).join(",");
    if (key !== this.actionsKey) {
      this.actionsKey = key;
      replaceChildren(
        this.actions,
        ...description.actions.map((item) =>
          h(
            "button",
            {
              type: "button",
              class: "small",
              onclick: () => void this.run(item.action),
            },
            item.label,
          ),
        ),
      );
    }

    this.renderGap(status);
  }

  private renderDetail(): void {
    if (this.status !== null) {
      this.detail.textContent = describeStatus(this.status, new Date()).detail;
    }
  }

  private renderGap(status: Status): void {
    const gap = describeGap(status);
    if (gap === null) {
      this.gap.hidden = true;
      this.gap.replaceChildren();
      return;
    }
    if (!this.gap.hidden && this.gap.dataset.detectedAt === gap.detectedAt) {
      return;
    }
    this.gap.dataset.detectedAt = gap.detectedAt;
    replaceChildren(
      this.gap,
      h(
        "p",
        { role: "status" },
        gap.text,
        " ",
        "Noticed ",
        h(
          "time",
          {
            datetime: gap.detectedAt,
            title: formatExactTime(gap.detectedAt),
            "data-relative": true,
          },
          formatRelativeTime(gap.detectedAt, new Date()),
        ),
        ".",
      ),
      h(
        "button",
        {
          type: "button",
          class: "small",
          onclick: () => void this.dismissGap(),
        },
        "Dismiss",
      ),
    );
    this.gap.hidden = false;
  }

  private async run(action: StatusAction): Promise<void> {
    this.error.textContent = "";
    try {
      switch (action) {
        case "check-now":
          await commands.checkNow();
          break;
        case "pause":
          await commands.setPaused(true);
          break;
        case "resume":
          await commands.setPaused(false);
          break;
        case "replace-token":
        case "set-token":
        case "settings":
          this.onNavigate(action);
          return;
      }
      this.update(await commands.status());
    } catch (error) {
      this.error.textContent = toCommandError(error).message;
    }
  }

  private async dismissGap(): Promise<void> {
    this.error.textContent = "";
    try {
      await commands.dismissGap();
      this.update(await commands.status());
    } catch (error) {
      this.error.textContent = toCommandError(error).message;
    }
  }
}
