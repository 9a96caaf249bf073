import { describe, expect, test, vi } from "vitest";
import type { HistoryPage, HistoryQuery, Row } from "../ipc";
import { RowStore } from "./row-store";

function row(id: number): Row {
  return {
    id,
    eventId: `evt-${id}`,
    resource: "deals",
    recordType: "deal",
    recordId: id,
    eventType: "updated",
    eventTime: "2026-03-15T12:00:00Z",
    name: `Deal ${id}`,
    owner: null,
    stage: null,
    pipeline: null,
    value: null,
    currency: null,
    changes: [],
    snapshot: "{}",
    read: false,
  };
}

/** Builds a fake backend with rows whose ids run from `count` down to 1, newest first. */
function backend(count: number) {
  const rows = Array.from({ length: count }, (_, i) => row(count - i));
  const requests: HistoryQuery[] = [];
  const pending: { resolve: () => void }[] = [];
  let hold = false;

  const fetchPage = async (query: HistoryQuery): Promise<HistoryPage> => {
    requests.push(query);
    if (hold) {
      await new Promise<void>((resolve) => pending.push({ resolve }));
    }
    return {
      rows: rows.slice(query.offset, query.offset + query.limit),
      total: rows.length,
      unread: 0,
    };
  };
  return {
    rows,
    requests,
    fetchPage,
    hold: (value: boolean) => (hold = value),
    release: () => pending.splice(0).forEach((item) => item.resolve()),
  };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("RowStore", () => {
  test("reset loads the first page", async () => {
    const server = backend(250);
    const onChange = vi.fn();
    const store = new RowStore(server.fetchPage, onChange, vi.fn(), 100);

    await store.reset({ search: "acme" });

    expect(server.requests).toEqual([
      { search: "acme", offset: 0, limit: 100 },
    ]);
    expect(store.total).toBe(250);
    expect(store.at(0)?.id).toBe(250);
    expect(store.at(99)?.id).toBe(151);
    expect(store.at(100)).toBeUndefined();
    expect(onChange).toHaveBeenCalledTimes(1);
  });

  test("ensureRange requests only pages with gaps", async () => {
    const server = backend(250);
    const store = new RowStore(server.fetchPage, vi.fn(), vi.fn(), 100);
    await store.reset({});

    store.ensureRange(90, 210);
    await flush();

    const offsets = server.requests.map((request) => request.offset);
    expect(offsets).toEqual([0, 100, 200]);
    expect(store.at(249)?.id).toBe(1);
  });

  test("ensureRange skips pages in flight", async () => {
    const server = backend(250);
    const store = new RowStore(server.fetchPage, vi.fn(), vi.fn(), 100);
    await store.reset({});

    server.hold(true);
    store.ensureRange(100, 110);
    store.ensureRange(100, 110);
    server.release();
    await flush();

    expect(
      server.requests.filter((request) => request.offset === 100),
    ).toHaveLength(1);
  });

  test("prepend shifts rows and skips known ids", async () => {
    const server = backend(10);
    const store = new RowStore(server.fetchPage, vi.fn(), vi.fn(), 100);
    await store.reset({});

    const inserted = store.prepend([row(12), row(11), row(10)]);

    expect(inserted).toBe(2);
    expect(store.total).toBe(12);
    expect(store.at(0)?.id).toBe(12);
    expect(store.at(1)?.id).toBe(11);
    expect(store.at(2)?.id).toBe(10);
    expect(store.indexOfId(1)).toBe(11);
  });

  test("prepend drops the oldest rows beyond the limit", async () => {
    const server = backend(10);
    const store = new RowStore(server.fetchPage, vi.fn(), vi.fn(), 100, 12);
    await store.reset({});

    expect(store.prepend([row(13), row(12), row(11)])).toBe(3);
    expect(store.total).toBe(12);
    expect(store.at(0)?.id).toBe(13);
    expect(store.at(11)?.id).toBe(2);
    expect(store.at(12)).toBeUndefined();
    expect(store.indexOfId(1)).toBe(-1);

    for (let id = 14; id < 1_000; id++) {
      store.prepend([row(id)]);
    }
    expect(store.total).toBe(12);
    expect(store.at(0)?.id).toBe(999);
    expect(store.indexOfId(988)).toBe(11);
    expect(store.indexOfId(987)).toBe(-1);
  });

  test("page answered after a prepend is dropped", async () => {
    const server = backend(250);
    const onChange = vi.fn();
    const store = new RowStore(server.fetchPage, onChange, vi.fn(), 100);
    await store.reset({});

    server.hold(true);
    store.ensureRange(100, 110);
    server.rows.unshift(row(1000));
    store.prepend([row(1000)]);
    server.release();
    await flush();

    // The page was requested before row 1000 arrived, so its offsets are one off.
    expect(store.at(101)).toBeUndefined();
    expect(onChange).toHaveBeenCalledTimes(1);

    server.hold(false);
    store.ensureRange(100, 110);
    await flush();
    expect(store.at(101)?.id).toBe(150);
  });

  test("page answered after a reset is dropped", async () => {
    const server = backend(250);
    const store = new RowStore(server.fetchPage, vi.fn(), vi.fn(), 100);
    await store.reset({});

    server.hold(true);
    store.ensureRange(100, 110);
    const reset = store.reset({ search: "x" });
    server.release();
    await reset;
    await flush();

    expect(store.query).toEqual({ search: "x" });
    expect(store.at(100)).toBeUndefined();
  });

  test("failed page reports the error", async () => {
    const onError = vi.fn();
    const store = new RowStore(
      () => Promise.reject({ kind: "store", message: "database is locked" }),
      vi.fn(),
      onError,
      100,
    );

    await store.reset({});

    expect(onError).toHaveBeenCalledWith({
      kind: "store",
      message: "database is locked",
    });
    expect(store.error).toBe("database is locked");
    expect(store.loaded).toBe(false);
  });

  test("markRead updates only the given rows", async () => {
    const server = backend(3);
    const store = new RowStore(server.fetchPage, vi.fn(), vi.fn(), 100);
    await store.reset({});

    store.markRead([2]);

    expect(store.at(0)?.read).toBe(false);
    expect(store.at(1)?.read).toBe(true);
    expect(store.at(2)?.read).toBe(false);
  });

  test("markAllRead updates every loaded row", async () => {
    const server = backend(3);
    const store = new RowStore(server.fetchPage, vi.fn(), vi.fn(), 100);
    await store.reset({});

    store.markAllRead();

    expect([0, 1, 2].map((i) => store.at(i)?.read)).toEqual([true, true, true]);
  });
});
