// The client-side copy of the history: a sparse array as long as the number of
// matching rows, filled page by page as the list scrolls. New rows from the
// live event are put in front of it without refetching.

import {
  toCommandError,
  type HistoryPage,
  type HistoryQuery,
  type Row,
} from "../ipc";

export type QueryFilter = Omit<HistoryQuery, "offset" | "limit">;

export type FetchPage = (query: HistoryQuery) => Promise<HistoryPage>;

/** Rows per `history` request. */
export const PAGE_SIZE = 100;

/**
 * The maximum number of rows the list holds. The backend keeps the newest
 * 10,000 events (`DEFAULT_EVENT_CAP` in the core's store) and drops older
 * ones, so rows beyond that are gone from it too.
 */
export const MAX_ROWS = 10_000;

export class RowStore {
  /** Rows by position, newest first; undefined where no page was loaded yet. */
  private rows: (Row | undefined)[] = [];
  private filter: QueryFilter = {};
  private loadedOnce = false;

  /**
   * Bumped by every reset and every insert at the front. A page response
   * requested under an older generation is dropped, because its offsets no
   * longer match the positions in `rows`; the list requests it again.
   */
  private generation = 0;
  private pagesInFlight = new Set<number>();

  total = 0;
  error: string | null = null;

  constructor(
    private readonly fetchPage: FetchPage,
    private readonly onChange: () => void,
    private readonly onError: (error: unknown) => void,
    private readonly pageSize = PAGE_SIZE,
    private readonly maxRows = MAX_ROWS,
  ) {}

  /** The filter of the current query, without offset and limit. */
  get query(): QueryFilter {
    return this.filter;
  }

  /** Whether the first page of the current query has arrived. */
  get loaded(): boolean {
    return this.loadedOnce;
  }

  /** Drops every row and loads the first page of `filter`. */
  reset(filter: QueryFilter): Promise<void> {
    this.filter = filter;
    this.rows = [];
    this.total = 0;
    this.loadedOnce = false;
    this.error = null;
    this.generation += 1;
    this.pagesInFlight.clear();
    return this.loadPage(0);
  }

  /** Returns the row at `index`, or undefined while its page is loading. */
  at(index: number): Row | undefined {
    return this.rows[index];
  }

  /** Returns the position of the row with history id `id`, or -1. */
  indexOfId(id: number): number {
    return this.rows.findIndex((row) => row !== undefined && row.id === id);
  }

  /** Requests every page that overlaps rows `start` to `end` (exclusive) and has gaps. */
  ensureRange(start: number, end: number): void {
    if (!this.loadedOnce || this.error !== null) {
      return;
    }
    const last = Math.min(end, this.total);
    const firstPage = Math.floor(Math.max(start, 0) / this.pageSize);
    const lastPage = Math.floor((last - 1) / this.pageSize);

    for (let page = firstPage; page <= lastPage; page++) {
      if (!this.pagesInFlight.has(page) && this.pageHasGap(page)) {
        void this.loadPage(page);
      }
    }
  }

  private pageHasGap(page: number): boolean {
    const from = page * this.pageSize;
    const to = Math.min(from + this.pageSize, this.total);
    for (let i = from; i < to; i++) {
      if (this.rows[i] === undefined) {
        return true;
      }
    }
    return false;
  }

  private async loadPage(page: number): Promise<void> {
    const generation = this.generation;
    const offset = page * this.pageSize;
    this.pagesInFlight.add(page);

    let result: HistoryPage;
    try {
      result = await this.fetchPage({
        ...this.filter,
        offset,
        limit: this.pageSize,
      });
    } catch (error) {
      if (generation === this.generation) {
        this.pagesInFlight.delete(page);
        this.error = toCommandError(error).message;
        this.onError(error);
      }
      return;
    }

    if (generation !== this.generation) {
      return;
    }
    this.pagesInFlight.delete(page);
    this.loadedOnce = true;
    this.total = result.total;
    this.rows.length = result.total;
    result.rows.forEach((row, i) => {
      if (offset + i < this.total) {
        this.rows[offset + i] = row;
      }
    });
    this.onChange();
  }

  /**
   * Puts `newRows` (newest first) in front of the list, skipping ids the store
   * already holds, and drops the oldest rows beyond `maxRows`, as the backend
   * does. Returns the number of rows inserted. Unlike the other changes it
   * does not call `onChange`, because the list has to shift its rows instead
   * of redrawing them.
   */
  prepend(newRows: Row[]): number {
    const known = new Set<number>();
    for (const row of this.rows) {
      if (row !== undefined) {
        known.add(row.id);
      }
    }
    const fresh = newRows.filter((row) => !known.has(row.id));
    if (fresh.length === 0) {
      return 0;
    }

    this.rows.unshift(...fresh);
    this.total = Math.min(this.total + fresh.length, this.maxRows);
    this.rows.length = Math.min(this.rows.length, this.maxRows);
    this.generation += 1;
    this.pagesInFlight.clear();
    return fresh.length;
  }

  /** Marks the given rows read in the local copy. */
  markRead(ids: number[]): void {
    const selected = new Set(ids);
    this.rows.forEach((row, i) => {
      if (row !== undefined && selected.has(row.id) && !row.read) {
        this.rows[i] = { ...row, read: true };
      }
    });
    this.onChange();
  }

  /** Marks every loaded row read in the local copy. */
  markAllRead(): void {
    this.rows.forEach((row, i) => {
      if (row !== undefined && !row.read) {
        this.rows[i] = { ...row, read: true };
      }
    });
    this.onChange();
  }
}
