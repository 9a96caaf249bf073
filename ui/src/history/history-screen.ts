// The main view: the change history with search, filters, live inserts and
// the detail panel.

import { h } from "../dom";
import { commands, toCommandError, type Row } from "../ipc";
import type { AppContext, Screen } from "../screen";
import { DetailPanel } from "./detail-panel";
import { FilterBar } from "./filter-bar";
import { isFiltered, toQueryFilter, type FilterState } from "./filter-state";
import { RowStore } from "./row-store";
import { ROW_HEIGHT, renderPlaceholderRow, renderRow } from "./row-view";
import { VirtualList } from "./virtual-list";

const numberFormat = new Intl.NumberFormat();

export class HistoryScreen implements Screen {
  readonly element: HTMLElement;
  readonly focusTarget: HTMLElement;

  private readonly store: RowStore;
  private readonly list: VirtualList;
  private readonly detail: DetailPanel;
  private readonly body: HTMLElement;
  private readonly countText: HTMLElement;
  private readonly markAllButton: HTMLButtonElement;
  private readonly message: HTMLElement;
  private readonly hiddenHint: HTMLElement;
  private readonly filterBar: FilterBar;
  private hiddenNewRows = 0;
  private rowsBeforeLoad: Row[] = [];
  private disposed = false;

  constructor(private readonly app: AppContext) {
    this.store = new RowStore(
      async (query) => {
        const page = await commands.history(query);
        this.app.setUnread(page.unread);
        return page;
      },
      () => this.redraw(),
      (error) => this.showError(toCommandError(error).message),
    );

    this.list = new VirtualList({
      rowHeight: ROW_HEIGHT,
      overscan: 6,
      label: "Changes, newest first",
      renderRow: (index) => this.renderRowAt(index),
      rowKey: (index) => this.rowKey(index),
      onRange: (start, end) => this.store.ensureRange(start, end),
    });

    this.detail = new DetailPanel(() => this.closeDetail());

    this.filterBar = new FilterBar(app.historyFilter, (state) =>
      this.applyFilter(state),
    );
    void app.filterOptions().then(
      (options) => this.filterBar.setOptions(options),
      () => undefined,
    );

    this.focusTarget = h(
      "h1",
      { class: "visually-hidden", tabindex: "-1" },
      "History",
    );
    this.countText = h("span", { class: "list-count" });
    this.markAllButton = h(
      "button",
      {
        type: "button",
        class: "quiet",
        onclick: () => void this.markAllRead(),
      },
      "Mark all read",
    );
    this.message = h("div", { class: "list-message", hidden: true });
    this.hiddenHint = h("div", {
      class: "hidden-hint",
      role: "status",
      hidden: true,
    });
    this.body = h(
      "div",
      { class: "history-body" },
      this.list.element,
      this.message,
      this.detail.element,
    );

    this.element = h(
      "section",
      { class: "screen history", "aria-label": "History" },
      this.focusTarget,
      this.filterBar.element,
      h("div", { class: "list-bar" }, this.countText, this.markAllButton),
      this.hiddenHint,
      this.body,
    );

    this.updateCounts();
    void this.store.reset(toQueryFilter(app.historyFilter));
  }

  dispose(): void {
    this.disposed = true;
  }

  /** Handles rows from the live event: inserts those matching the query at the top. */
  async onChanges(rows: Row[]): Promise<void> {
    if (rows.length === 0) {
      return;
    }
    if (!this.store.loaded) {
      // The first page may have been read before these rows were stored, so
      // keep them until it arrives. Later events are newer, so they go first.
      this.rowsBeforeLoad = [...rows, ...this.rowsBeforeLoad];
      return;
    }

    const filter = this.store.query;
    let matching = rows;
    if (isFiltered(filter)) {
      // The backend decides what matches, so ask it which new rows the query
      // returns. New rows are the newest, so they lead the first page.
      try {
        const page = await commands.history({
          ...filter,
          offset: 0,
          // The margin covers rows stored after these but before this request.
          limit: rows.length + 20,
        });
        const matchingIds = new Set(page.rows.map((row) => row.id));
        matching = rows.filter((row) => matchingIds.has(row.id));
      } catch {
        matching = [];
      }
      if (this.disposed || this.store.query !== filter) {
        return;
      }
      this.hiddenNewRows += rows.length - matching.length;
      this.renderHiddenHint();
    }

    const inserted = this.store.prepend(matching);
    if (inserted === 0) {
      return;
    }
    this.message.hidden = true;
    this.list.insertedAtTop(inserted);
    if (this.list.length > this.store.total) {
      // The store dropped its oldest rows to stay within its limit.
      this.list.setCount(this.store.total);
    }
    this.updateCounts();
    this.app.announce(
      inserted === 1 ? "1 new change" : `${inserted} new changes`,
    );
  }

  onUnread(count: number): void {
    if (count === 0) {
      this.store.markAllRead();
    }
    this.updateCounts();
  }

  private applyFilter(state: FilterState): void {
    this.app.historyFilter = state;
    this.hiddenNewRows = 0;
    this.renderHiddenHint();
    this.closeDetail(false);
    this.list.setCount(0);
    this.list.scrollToTop();
    void this.store.reset(toQueryFilter(state));
  }

  private redraw(): void {
    if (this.disposed) {
      return;
    }
    if (this.list.length !== this.store.total) {
      this.list.setCount(this.store.total);
    } else {
      this.list.refresh();
    }
    this.updateCounts();

    if (this.store.loaded && this.rowsBeforeLoad.length > 0) {
      const rows = this.rowsBeforeLoad;
      this.rowsBeforeLoad = [];
      void this.onChanges(rows);
    }

    if (this.store.loaded && this.store.total === 0) {
      const text = isFiltered(this.store.query)
        ? "No changes match the search or filters."
        : "No changes yet. New changes in Sell appear here within seconds.";
      this.showMessage(text);
    } else {
      this.message.hidden = true;
    }
  }

  private showError(text: string): void {
    this.showMessage(`Could not load the history: ${text}`, true);
  }

  private showMessage(text: string, retry = false): void {
    this.message.replaceChildren(h("p", {}, text));
    if (retry) {
      this.message.append(
        h(
          "button",
          {
            type: "button",
            onclick: () => void this.store.reset(this.store.query),
          },
          "Try again",
        ),
      );
    }
    this.message.hidden = false;
  }

  private updateCounts(): void {
    const total = this.store.loaded
      ? numberFormat.format(this.store.total)
      : "…";
    const noun = this.store.total === 1 ? "change" : "changes";
    const unread = this.app.unread;
    this.countText.textContent =
      unread > 0
        ? `${total} ${noun} · ${numberFormat.format(unread)} unread`
        : `${total} ${noun}`;
    this.markAllButton.disabled = unread === 0;
  }

  private renderHiddenHint(): void {
    if (this.hiddenNewRows === 0) {
      this.hiddenHint.hidden = true;
      this.hiddenHint.replaceChildren();
      return;
    }
    const count = this.hiddenNewRows;
    const text =
      count === 1
        ? "1 new change does not match the search or filters."
        : `${count} new changes do not match the search or filters.`;
    this.hiddenHint.replaceChildren(
      h("span", {}, text),
      " ",
      h(
        "button",
        {
          type: "button",
          class: "quiet",
          onclick: () => this.filterBar.clearAll(),
        },
        "Show all changes",
      ),
    );
    this.hiddenHint.hidden = false;
  }

  private rowKey(index: number): string {
    const row = this.store.at(index);
    if (row === undefined) {
      return "loading";
    }
    return `${row.id}:${row.read ? 1 : 0}:${row.id === this.detail.rowId ? 1 : 0}`;
  }

  private renderRowAt(index: number): HTMLElement {
    const row = this.store.at(index);
    if (row === undefined) {
      return renderPlaceholderRow();
    }
    return renderRow(
      row,
      row.id === this.detail.rowId,
      new Date(),
      (clicked) => void this.openDetail(clicked),
    );
  }

  private async openDetail(row: Row): Promise<void> {
    if (this.detail.rowId === row.id) {
      this.closeDetail();
      return;
    }
    this.detail.show(row, new Date());
    this.body.classList.add("detail-open");
    this.list.refresh();

    if (!row.read) {
      try {
        const unread = await commands.markRead([row.id]);
        this.store.markRead([row.id]);
        this.app.setUnread(unread);
      } catch (error) {
        this.app.announce(
          `Could not mark the change read: ${toCommandError(error).message}`,
        );
      }
    }
  }

  private closeDetail(restoreFocus = true): void {
    const rowId = this.detail.rowId;
    if (rowId === null) {
      return;
    }
    this.detail.hide();
    this.body.classList.remove("detail-open");
    this.list.refresh();

    const index = this.store.indexOfId(rowId);
    if (restoreFocus && index >= 0) {
      this.list.focusIndex(index);
    }
  }

  private async markAllRead(): Promise<void> {
    try {
      const unread = await commands.markAllRead();
      this.store.markAllRead();
      this.app.setUnread(unread);
      this.app.announce("All changes marked read");
    } catch (error) {
      this.app.announce(
        `Could not mark the changes read: ${toCommandError(error).message}`,
      );
    }
  }
}
