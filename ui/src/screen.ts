// Interfaces between the app shell and the screens it shows.

import type { FilterState } from "./history/filter-state";
import type { AppInfo, FilterOptions, Row, Settings, TokenStatus } from "./ipc";

/** Screens the shell can show; `no-keyring` replaces setup when no keyring is usable. */
export type ScreenName =
  "setup" | "no-keyring" | "history" | "settings" | "about";

export interface AppContext {
  readonly info: AppInfo;
  readonly tokenStatus: TokenStatus;
  readonly unread: number;
  /** Filter choices of the history view, kept while other screens are shown. */
  historyFilter: FilterState;
  setUnread(count: number): void;
  /** Shows `screen`; `focus` names an element id inside it to focus instead of its heading. */
  navigate(screen: ScreenName, focus?: string): void;
  /** Reads `token_status` again and shows setup, the keyring screen or history to match. */
  refreshToken(): Promise<void>;
  /** Re-reads `app_info`, such as after the demo starts. */
  refreshInfo(): Promise<void>;
  /** Reads `out loud` a short message through the shared polite live region. */
  announce(message: string): void;
  filterOptions(): Promise<FilterOptions>;
  applySettings(settings: Settings): void;
}

export interface Screen {
  readonly element: HTMLElement;
  /** Element that receives focus when the screen opens. */
  readonly focusTarget: HTMLElement;
  dispose?(): void;
  onChanges?(rows: Row[]): void;
  onUnread?(count: number): void;
}
