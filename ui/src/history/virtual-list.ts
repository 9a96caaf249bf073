// A list that keeps only the rows near the viewport in the DOM. Every row has
// the same height, so a row's position is its index times that height and a
// spacer element gives the scroll area its full size.
//
// Keyboard: one row button at a time is in the tab order (a roving tabindex).
// Arrow keys, Page Up/Down, Home and End move between rows and scroll them in.

import { h } from "../dom";

export type VirtualListOptions = {
  rowHeight: number;
  /** Rows rendered above and below the viewport. */
  overscan: number;
  label: string;
  /** Builds the element for row `index`; it must contain one focusable `.row-button`. */
  renderRow: (index: number) => HTMLElement;
  /** Identifies what row `index` shows; a row is rebuilt only when its key changes. */
  rowKey: (index: number) => string;
  /** Called after each render with the rendered index range, end exclusive. */
  onRange: (start: number, end: number) => void;
};

// NOTE: browsers cap element height, at 33,554,428 px in Chromium 156 (read
// from scrollHeight), so with 76 px rows the list reaches about 441,000 rows.
// WebKitGTK and WebView2 were not measured.

export class VirtualList {
  readonly element: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private readonly rendered = new Map<number, HTMLElement>();
  private readonly renderedKeys = new Map<number, string>();
  private count = 0;
  private activeIndex = 0;
  private frame = 0;

  constructor(private readonly options: VirtualListOptions) {
    this.spacer = h("div", {
      class: "list-spacer",
      role: "list",
      "aria-label": options.label,
    });
    this.element = h("div", { class: "list-scroll" }, this.spacer);
    this.element.style.setProperty("--row-height", `${options.rowHeight}px`);

    this.element.addEventListener("scroll", () => this.scheduleRender());
    this.element.addEventListener("keydown", (event) => this.onKeyDown(event));
    this.element.addEventListener("focusin", (event) => this.onFocusIn(event));
    new ResizeObserver(() => this.scheduleRender()).observe(this.element);
  }

  get length(): number {
    return this.count;
  }

  /** Sets the number of rows and rebuilds the visible rows whose key changed. */
  setCount(count: number): void {
    this.count = count;
    this.spacer.style.height = `${count * this.options.rowHeight}px`;
    this.activeIndex = Math.min(this.activeIndex, Math.max(count - 1, 0));
    this.render(true);
  }

  /**
   * Records that `inserted` rows were put in front. Unless the list is at the
   * very top, the scroll position moves down by as much, so the rows on
   * screen stay where they were.
   */
  insertedAtTop(inserted: number): void {
    const atTop = this.element.scrollTop <= 0;

    // Move the rendered rows to their new indices, so unchanged rows keep
    // their elements and focus stays where it was.
    const shiftedRows = [...this.rendered].map(
      ([index, element]) => [index + inserted, element] as const,
    );
    const shiftedKeys = [...this.renderedKeys].map(
      ([index, key]) => [index + inserted, key] as const,
    );
    this.rendered.clear();
    this.renderedKeys.clear();
    shiftedRows.forEach(([index, element]) =>
      this.rendered.set(index, element),
    );
    shiftedKeys.forEach(([index, key]) => this.renderedKeys.set(index, key));

    this.count += inserted;
    this.spacer.style.height = `${this.count * this.options.rowHeight}px`;
    this.activeIndex += inserted;
    if (!atTop) {
      this.element.scrollTop += inserted * this.options.rowHeight;
    }
    this.render(true);
  }

  /** Rebuilds the visible rows whose key changed. */
  refresh(): void {
    this.render(true);
  }

  /** Scrolls row `index` into view, renders it and focuses its button. */
  focusIndex(index: number): void {
    if (this.count === 0) {
      return;
    }
    const target = Math.min(Math.max(index, 0), this.count - 1);
    this.activeIndex = target;
    this.scrollIntoView(target);
    this.render(false);
    this.rendered
      .get(target)
      ?.querySelector<HTMLElement>(".row-button")
      ?.focus();
  }

  scrollToTop(): void {
    this.element.scrollTop = 0;
    this.render(false);
  }

  /** Index of the row whose button has focus, or null. */
  focusedIndex(): number | null {
    const active = document.activeElement;
    for (const [index, element] of this.rendered) {
      if (element.contains(active)) {
        return index;
      }
    }
    return null;
  }

  /** Returns the rendered element of row `index`, if it is in the DOM. */
  elementAt(index: number): HTMLElement | undefined {
    return this.rendered.get(index);
  }

  private scrollIntoView(index: number): void {
    const top = index * this.options.rowHeight;
    const bottom = top + this.options.rowHeight;
    const view = this.element;
    if (top < view.scrollTop) {
      view.scrollTop = top;
    } else if (bottom > view.scrollTop + view.clientHeight) {
      view.scrollTop = bottom - view.clientHeight;
    }
  }

  private scheduleRender(): void {
    if (this.frame !== 0) {
      return;
    }
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render(false);
    });
  }

  /**
   * Renders the rows in and near the viewport. With `recheck`, rows already in
   * the DOM are rebuilt when their key changed.
   */
  private render(recheck: boolean): void {
    const { rowHeight, overscan } = this.options;
    const viewTop = this.element.scrollTop;
    const viewHeight = this.element.clientHeight || rowHeight * 10;

    const firstVisible = Math.floor(viewTop / rowHeight);
    const lastVisible = Math.ceil((viewTop + viewHeight) / rowHeight);
    const start = Math.max(0, firstVisible - overscan);
    const end = Math.min(this.count, lastVisible + overscan);

    const focusInList = this.element.contains(document.activeElement);
    if (!focusInList && this.count > 0) {
      // Keep a row in the tab order even after scrolling the active one away.
      const lastOnScreen = Math.min(lastVisible, this.count) - 1;
      this.activeIndex = Math.min(
        Math.max(this.activeIndex, firstVisible),
        lastOnScreen,
      );
    }

    const focusedIndex = this.focusedIndex();
    for (const [index, element] of this.rendered) {
      // A focused row stays in the DOM while scrolled away, so focus is kept.
      const outside = (index < start || index >= end) && index !== focusedIndex;
      if (
        outside ||
        (recheck && this.renderedKeys.get(index) !== this.options.rowKey(index))
      ) {
        element.remove();
        this.rendered.delete(index);
        this.renderedKeys.delete(index);
      }
    }

    for (let index = start; index < end; index++) {
      let element = this.rendered.get(index);
      if (element === undefined) {
        element = this.options.renderRow(index);
        this.renderedKeys.set(index, this.options.rowKey(index));
        this.spacer.insertBefore(element, this.firstRenderedAfter(index));
        this.rendered.set(index, element);
      }
      element.style.transform = `translateY(${index * rowHeight}px)`;
      element.setAttribute("aria-setsize", String(this.count));
      element.setAttribute("aria-posinset", String(index + 1));
      const button = element.querySelector<HTMLElement>(".row-button");
      button?.setAttribute("tabindex", index === this.activeIndex ? "0" : "-1");
    }

    // A rebuilt row loses focus with its old element, so give it to the new one.
    if (
      focusedIndex !== null &&
      !this.element.contains(document.activeElement)
    ) {
      this.rendered
        .get(focusedIndex)
        ?.querySelector<HTMLElement>(".row-button")
        ?.focus();
    }

    this.options.onRange(start, end);
  }

  /** Finds the rendered row with the smallest index above `index`, so DOM order follows the list. */
  private firstRenderedAfter(index: number): HTMLElement | null {
    let best: number | null = null;
    for (const candidate of this.rendered.keys()) {
      if (candidate > index && (best === null || candidate < best)) {
        best = candidate;
      }
    }
    return best === null ? null : (this.rendered.get(best) ?? null);
  }

  private onFocusIn(event: FocusEvent): void {
    for (const [index, element] of this.rendered) {
      if (element.contains(event.target as Node)) {
        this.activeIndex = index;
        return;
      }
    }
  }

  private onKeyDown(event: KeyboardEvent): void {
    const current = this.focusedIndex();
    if (current === null) {
      return;
    }
    const page = Math.max(
      1,
      Math.floor(this.element.clientHeight / this.options.rowHeight) - 1,
    );
    const moves: Record<string, number> = {
      ArrowDown: current + 1,
      ArrowUp: current - 1,
      PageDown: current + page,
      PageUp: current - page,
      Home: 0,
      End: this.count - 1,
    };
    const target = moves[event.key];
    if (target === undefined) {
      return;
    }
    event.preventDefault();
    this.focusIndex(target);
  }
}
