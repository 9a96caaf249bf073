// The contract between this UI and the Rust backend: every command, event and
// payload type the webview uses. Argument objects are camelCase, as Tauri
// converts them to the snake_case parameters of the Rust commands.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

/** One stored change to a Sell record, as the history store returns it. */
export type Row = {
  id: number;
  eventId: string;
  resource: string;
  recordType: string;
  recordId: number | null;
  /** `created`, `updated`, `deleted`, or another Firehose event type. */
  eventType: string;
  /** ISO 8601 time in UTC. */
  eventTime: string;
  name: string | null;
  owner: string | null;
  stage: string | null;
  pipeline: string | null;
  /** Decimal string, shown exactly as given. */
  value: string | null;
  currency: string | null;
  changes: Change[];
  /** The full record after the change, as JSON text. */
  snapshot: string;
  read: boolean;
};

/** One changed field; `old` and `new` are display text from the backend or null. */
export type Change = {
  field: string;
  label: string;
  old: string | null;
  new: string | null;
};

export type StatusState =
  | "starting"
  | "ok"
  | "backing_off"
  | "rate_limited"
  | "offline"
  | "token_rejected"
  | "forbidden"
  | "no_token"
  | "stopped";

/** A stretch of changes that may be missing because the stream position expired. */
export type Gap = { since: string | null; detectedAt: string };

export type Status = {
  state: StatusState;
  message: string;
  lastPollAt: string | null;
  retryAt: string | null;
  gap: Gap | null;
  paused: boolean;
  unread: number;
};

export type Theme = "system" | "light" | "dark";

export type QuietHours = { enabled: boolean; start: string; end: string };

export type NotificationRules = {
  enabled: boolean;
  onlyMine: boolean;
  ignoreOwnChanges: boolean;
  pipelineIds: number[];
  stageIds: number[];
  /** Decimal string or null for no minimum. */
  minValue: string | null;
  ignoredFields: string[];
  /** Times are local "HH:MM". */
  quietHours: QuietHours;
  burstThreshold: number;
};

export type Settings = {
  streams: string[];
  pollIntervalSecs: number;
  notifications: NotificationRules;
  webUrl: string;
  startAtLogin: boolean;
  theme: Theme;
};

export type AppInfo = { version: string; demo: boolean };

/** Where the token in use comes from; `demo` is the built-in simulator's token. */
export type TokenStore = "keyring" | "memory" | "env" | "demo";

export type TokenStatus = {
  set: boolean;
  store: TokenStore | null;
  keyring: { usable: boolean; problem: string | null };
};

export type HistoryQuery = {
  offset: number;
  limit: number;
  search?: string;
  eventTypes?: string[];
  streams?: string[];
  mine?: boolean;
  pipelineId?: number;
  stageId?: number;
};

export type HistoryPage = {
  rows: Row[];
  /** Number of rows matching the query, which sizes the scroll area. */
  total: number;
  unread: number;
};

export type Owner = { id: number; name: string; isSelf: boolean };
export type Stage = { id: number; name: string; category: string | null };
export type Pipeline = { id: number; name: string; stages: Stage[] };
export type FilterOptions = {
  owners: Owner[];
  pipelines: Pipeline[];
  streams: string[];
};

export type Screen = "setup" | "history" | "settings" | "about";

/** Error kinds that `token_set` rejects with. */
export type TokenErrorKind =
  "rejected" | "forbidden" | "unreachable" | "keyring" | "invalid";

/** The error object every command rejects with. */
export type CommandError = { kind: string; message: string };

/** Converts whatever a command rejected with into a `CommandError`. */
export function toCommandError(error: unknown): CommandError {
  if (typeof error === "object" && error !== null) {
    const record = error as Record<string, unknown>;
    if (typeof record.kind === "string" && typeof record.message === "string") {
      return { kind: record.kind, message: record.message };
    }
    if (error instanceof Error) {
      return { kind: "unknown", message: error.message };
    }
  }
  if (typeof error === "string") {
    return { kind: "unknown", message: error };
  }
  return {
    kind: "unknown",
    message: "The request failed for an unknown reason.",
  };
}

export const commands = {
  appInfo: () => invoke<AppInfo>("app_info"),
  tokenStatus: () => invoke<TokenStatus>("token_status"),
  /** Checks the token with one stream request, then stores it. */
  tokenSet: (token: string, memoryOnly: boolean) =>
    invoke<null>("token_set", { token, memoryOnly }),
  tokenClear: () => invoke<null>("token_clear"),
  startDemo: () => invoke<null>("start_demo"),
  history: (query: HistoryQuery) => invoke<HistoryPage>("history", { query }),
  /** Returns the unread count after marking. */
  markRead: (ids: number[]) => invoke<number>("mark_read", { ids }),
  markAllRead: () => invoke<number>("mark_all_read"),
  status: () => invoke<Status>("status"),
  settingsGet: () => invoke<Settings>("settings_get"),
  /** Returns the settings as saved, which may differ from the ones sent. */
  settingsSet: (settings: Settings) =>
    invoke<Settings>("settings_set", { settings }),
  filterOptions: () => invoke<FilterOptions>("filter_options"),
  checkNow: () => invoke<null>("check_now"),
  setPaused: (paused: boolean) => invoke<null>("set_paused", { paused }),
  dismissGap: () => invoke<null>("dismiss_gap"),
  /** Opens the record of history row `id` in Sell; the backend builds the address. */
  openRecord: (id: number) => invoke<null>("open_record", { id }),
};

export const events = {
  /** New rows, newest first, emitted after they are stored. */
  onChanges: (handler: (rows: Row[]) => void): Promise<UnlistenFn> =>
    listen<Row[]>("dealwatch:changes", (event) => handler(event.payload)),
  onStatus: (handler: (status: Status) => void): Promise<UnlistenFn> =>
    listen<Status>("dealwatch:status", (event) => handler(event.payload)),
  onUnread: (handler: (unread: number) => void): Promise<UnlistenFn> =>
    listen<number>("dealwatch:unread", (event) => handler(event.payload)),
  onNavigate: (handler: (screen: Screen) => void): Promise<UnlistenFn> =>
    listen<Screen>("dealwatch:navigate", (event) => handler(event.payload)),
};
