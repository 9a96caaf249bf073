// An in-page stand-in for the Rust backend, for browser tests and
// `npm run dev:mock`. It implements every command of the contract in `src/ipc.ts`
// from memory, records each call, and lets a test emit events. Nothing in
// `src/` imports it, so it never reaches the production build.

import { emit } from "@tauri-apps/api/event";
import { mockIPC } from "@tauri-apps/api/mocks";
import type {
  CommandError,
  HistoryQuery,
  Row,
  Settings,
  Status,
  TokenStatus,
} from "../../src/ipc";
import {
  DEFAULT_SETTINGS,
  FILTER_OPTIONS,
  SELF_NAME,
  TOKEN_SET,
  hostileRow,
  makeRows,
  okStatus,
} from "./fixtures";

export type MockConfig = {
  /** Number of generated history rows. */
  rows?: number;
  /** Puts a row with markup in every field at the top. */
  hostile?: boolean;
  tokenStatus?: TokenStatus;
  settings?: Settings;
  status?: Partial<Status>;
  /** Errors that commands reject with, by command name. */
  failures?: Record<string, CommandError>;
  /**
   * Delays in milliseconds before a command's result is returned, by command
   * name. The result is computed at once, as a backend that read its data
   * before a slow reply would.
   */
  delays?: Record<string, number>;
  demo?: boolean;
};

export type MockCall = { cmd: string; args: unknown };

export type MockHandle = {
  calls: MockCall[];
  rows: Row[];
  settings: Settings;
  tokenStatus: TokenStatus;
  status: Status;
  failures: Record<string, CommandError>;
  /** Emits a backend event to the page. */
  emit(event: string, payload: unknown): Promise<void>;
  /** Stores rows at the top, then emits them as `dealwatch:changes`. */
  addRows(rows: Row[]): Promise<void>;
  callsOf(cmd: string): unknown[];
};

declare global {
  interface Window {
    __DEALWATCH_MOCK_CONFIG__?: MockConfig;
    __dealwatchMock?: MockHandle;
  }
}

function matchesSearch(row: Row, search: string): boolean {
  const needle = search.toLowerCase();
  const haystack = [
    row.name,
    row.owner,
    row.stage,
    row.pipeline,
    row.value,
    ...row.changes.flatMap((change) => [
      change.field,
      change.label,
      change.old,
      change.new,
    ]),
  ];
  return haystack.some(
    (text) => text !== null && text.toLowerCase().includes(needle),
  );
}

function matchesQuery(row: Row, query: HistoryQuery): boolean {
  if (query.search && !matchesSearch(row, query.search)) return false;
  if (query.eventTypes && !query.eventTypes.includes(row.eventType))
    return false;
  if (query.streams && !query.streams.includes(row.resource)) return false;
  if (query.mine && row.owner !== SELF_NAME) return false;
  if (query.pipelineId !== undefined) {
    const pipeline = FILTER_OPTIONS.pipelines.find(
      (item) => item.id === query.pipelineId,
    );
    if (pipeline === undefined || row.pipeline !== pipeline.name) return false;
    if (query.stageId !== undefined) {
      const stage = pipeline.stages.find((item) => item.id === query.stageId);
      if (stage === undefined || row.stage !== stage.name) return false;
    }
  }
  return true;
}

export function installMockBackend(config: MockConfig = {}): MockHandle {
  const now = new Date();
  const rows = makeRows(config.rows ?? 200, now);
  if (config.hostile) {
    rows.unshift(
      hostileRow(
        rows.length + 1,
        new Date(now.getTime() - 5_000).toISOString(),
      ),
    );
  }
  const unreadCount = () => handle.rows.filter((row) => !row.read).length;

  const handle: MockHandle = {
    calls: [],
    rows,
    settings: structuredClone(config.settings ?? DEFAULT_SETTINGS),
    tokenStatus: structuredClone(config.tokenStatus ?? TOKEN_SET),
    status: { ...okStatus(now, 0), ...config.status },
    failures: { ...config.failures },
    emit: (event, payload) => emit(event, payload),
    addRows: async (newRows) => {
      handle.rows.unshift(...newRows);
      await handle.emit("dealwatch:changes", newRows);
    },
    callsOf: (cmd) =>
      handle.calls.filter((call) => call.cmd === cmd).map((call) => call.args),
  };
  let demo = config.demo ?? false;

  const commands: Record<string, (args: Record<string, unknown>) => unknown> = {
    app_info: () => ({ version: "0.1.0", demo }),
    token_status: () => handle.tokenStatus,
    token_set: (args) => {
      handle.tokenStatus = {
        ...handle.tokenStatus,
        set: true,
        store: args.memoryOnly ? "memory" : "keyring",
      };
      return null;
    },
    token_clear: () => {
      handle.tokenStatus = { ...handle.tokenStatus, set: false, store: null };
      return null;
    },
    start_demo: () => {
      demo = true;
      handle.tokenStatus = {
        ...handle.tokenStatus,
        set: true,
        store: "memory",
      };
      return null;
    },
    history: (args) => {
      const query = args.query as HistoryQuery;
      const matching = handle.rows.filter((row) => matchesQuery(row, query));
      return {
        rows: structuredClone(
          matching.slice(query.offset, query.offset + query.limit),
        ),
        total: matching.length,
        unread: unreadCount(),
      };
    },
    mark_read: (args) => {
      const ids = new Set(args.ids as number[]);
      handle.rows.forEach((row) => {
        if (ids.has(row.id)) row.read = true;
      });
      return unreadCount();
    },
    mark_all_read: () => {
      handle.rows.forEach((row) => (row.read = true));
      return 0;
    },
    status: () => ({ ...handle.status, unread: unreadCount() }),
    settings_get: () => structuredClone(handle.settings),
    settings_set: (args) => {
      handle.settings = structuredClone(args.settings as Settings);
      return structuredClone(handle.settings);
    },
    filter_options: () => structuredClone(FILTER_OPTIONS),
    check_now: () => null,
    set_paused: (args) => {
      handle.status = { ...handle.status, paused: Boolean(args.paused) };
      return null;
    },
    dismiss_gap: () => {
      handle.status = { ...handle.status, gap: null };
      return null;
    },
    open_record: () => null,
  };

  mockIPC(
    (cmd, args) => {
      const payload = (args ?? {}) as Record<string, unknown>;
      handle.calls.push({ cmd, args: structuredClone(payload) });
      const failure = handle.failures[cmd];
      if (failure !== undefined) {
        return Promise.reject(failure);
      }
      const command = commands[cmd];
      const delay = config.delays?.[cmd];
      if (command !== undefined && delay !== undefined) {
        const result = command(payload);
        return new Promise((resolve) =>
          setTimeout(() => resolve(result), delay),
        );
      }
      if (command === undefined) {
        return Promise.reject({
          kind: "unknown_command",
          message: `The mock has no command ${cmd}.`,
        });
      }
      return command(payload);
    },
    { shouldMockEvents: true },
  );

  window.__dealwatchMock = handle;
  return handle;
}
