// The app shell: header and navigation, the screen in `<main>`, the status bar,
// and the backend events, which it hands to the screen that is showing.

import { AboutScreen } from "./about-screen";
import { announce, h, replaceChildren } from "./dom";
import { formatRelativeTime } from "./format";
import { emptyFilterState, type FilterState } from "./history/filter-state";
import { HistoryScreen } from "./history/history-screen";
import {
  commands,
  events,
  toCommandError,
  type AppInfo,
  type FilterOptions,
  type Screen as ScreenEvent,
  type Settings,
  type TokenStatus,
} from "./ipc";
import type { AppContext, Screen, ScreenName } from "./screen";
import { SettingsScreen, TOKEN_SECTION_ID } from "./settings/settings-screen";
import { StatusBar } from "./status/status-bar";
import { applyTheme } from "./theme";
import { NoKeyringScreen, SetupScreen } from "./token/setup-screens";

/** How often relative times such as "2 min ago" are recomputed. */
const RELATIVE_TIME_REFRESH_MS = 30_000;

const NAV_ITEMS: { screen: ScreenName; label: string }[] = [
  { screen: "history", label: "History" },
  { screen: "settings", label: "Settings" },
  { screen: "about", label: "About" },
];

export class App implements AppContext {
  info: AppInfo = { version: "", demo: false };
  tokenStatus: TokenStatus = {
    set: false,
    store: null,
    keyring: { usable: true, problem: null },
  };
  unread = 0;
  historyFilter: FilterState = emptyFilterState();

  private screen: Screen | null = null;
  private screenName: ScreenName | null = null;
  private filterOptionsRequest: Promise<FilterOptions> | null = null;
  private subscribed = false;

  private readonly nav: HTMLElement;
  private readonly navButtons = new Map<ScreenName, HTMLButtonElement>();
  private readonly unreadBadge: HTMLElement;
  private readonly demoBadge: HTMLElement;
  private readonly main: HTMLElement;
  private readonly statusBar: StatusBar;
  private readonly liveRegion: HTMLElement;

  constructor(private readonly root: HTMLElement) {
    this.unreadBadge = h("span", { class: "badge", hidden: true });
    for (const item of NAV_ITEMS) {
      const button = h(
        "button",
        {
          type: "button",
          class: "nav-item",
          onclick: () => this.navigate(item.screen),
        },
        item.label,
        item.screen === "history" ? this.unreadBadge : null,
      );
      this.navButtons.set(item.screen, button);
    }
    this.nav = h(
      "nav",
      { class: "app-nav", "aria-label": "Main" },
      ...this.navButtons.values(),
    );
    this.demoBadge = h("span", { class: "demo-badge", hidden: true }, "Demo");
    this.main = h("main", { class: "app-main", id: "main" });
    this.statusBar = new StatusBar((action) =>
      action === "set-token"
        ? this.navigate("setup")
        : this.navigate(
            "settings",
            action === "replace-token" ? TOKEN_SECTION_ID : undefined,
          ),
    );
    this.liveRegion = h("div", {
      class: "visually-hidden",
      "aria-live": "polite",
      "aria-atomic": "true",
    });

    replaceChildren(
      this.root,
      h(
        "header",
        { class: "app-header" },
        h("span", { class: "app-name" }, "Dealwatch"),
        this.demoBadge,
        this.nav,
      ),
      this.main,
      this.statusBar.element,
      this.liveRegion,
    );
    window.setInterval(
      () => this.refreshRelativeTimes(),
      RELATIVE_TIME_REFRESH_MS,
    );
  }

  async start(): Promise<void> {
    try {
      await this.subscribe();
      const [info, tokenStatus] = await Promise.all([
        commands.appInfo(),
        commands.tokenStatus(),
      ]);
      this.info = info;
      this.tokenStatus = tokenStatus;
    } catch (error) {
      this.showStartError(toCommandError(error).message);
      return;
    }
    this.renderHeader();

    commands.settingsGet().then(
      (settings) => this.applySettings(settings),
      () => applyTheme("system"),
    );
    commands.status().then(
      (status) => {
        this.statusBar.update(status);
        this.setUnread(status.unread);
      },
      () => undefined,
    );

    this.navigate(this.tokenStatus.set ? "history" : "setup");
  }

  private async subscribe(): Promise<void> {
    if (this.subscribed) {
      return;
    }
    await Promise.all([
      events.onChanges((rows) => this.screen?.onChanges?.(rows)),
      events.onStatus((status) => {
        this.statusBar.update(status);
        this.setUnread(status.unread);
      }),
      events.onUnread((count) => this.setUnread(count)),
      events.onNavigate((screen: ScreenEvent) => this.navigate(screen)),
    ]);
    this.subscribed = true;
  }

  // ---- AppContext ----

  navigate(requested: ScreenName, focus?: string): void {
    let name = requested;
    if (!this.tokenStatus.set && (name === "history" || name === "setup")) {
      name = this.tokenStatus.keyring.usable ? "setup" : "no-keyring";
    }

    this.screen?.dispose?.();
    this.screen = this.createScreen(name);
    this.screenName = name;
    replaceChildren(this.main, this.screen.element);

    for (const [screen, button] of this.navButtons) {
      if (screen === name) {
        button.setAttribute("aria-current", "page");
      } else {
        button.removeAttribute("aria-current");
      }
    }
    const gated = name === "setup" || name === "no-keyring";
    this.root.classList.toggle("gated", gated);
    this.navButtons.get("history")!.hidden = !this.tokenStatus.set;

    const target = focus ? document.getElementById(focus) : null;
    (target ?? this.screen.focusTarget).focus();
  }

  async refreshToken(): Promise<void> {
    this.tokenStatus = await commands.tokenStatus();
    const onSetup =
      this.screenName === "setup" || this.screenName === "no-keyring";
    if (!this.tokenStatus.set) {
      const gate = this.tokenStatus.keyring.usable ? "setup" : "no-keyring";
      // Staying on the same gate keeps its messages, such as a failed retry.
      if (this.screenName !== gate) {
        this.navigate(gate);
      }
    } else if (onSetup) {
      this.navigate("history");
    }
  }

  async refreshInfo(): Promise<void> {
    this.info = await commands.appInfo();
    this.tokenStatus = await commands.tokenStatus();
    this.renderHeader();
  }

  setUnread(count: number): void {
    this.unread = count;
    this.unreadBadge.hidden = count === 0;
    this.unreadBadge.textContent = String(count);
    this.unreadBadge.setAttribute("aria-label", `${count} unread`);
    document.title = count > 0 ? `Dealwatch (${count})` : "Dealwatch";
    this.screen?.onUnread?.(count);
  }

  announce(message: string): void {
    announce(this.liveRegion, message);
  }

  filterOptions(): Promise<FilterOptions> {
    if (this.filterOptionsRequest === null) {
      this.filterOptionsRequest = commands.filterOptions();
      // Ask again next time rather than keep a failure.
      this.filterOptionsRequest.catch(() => (this.filterOptionsRequest = null));
    }
    return this.filterOptionsRequest;
  }

  applySettings(settings: Settings): void {
    applyTheme(settings.theme);
  }

  // ---- Helpers ----

  private createScreen(name: ScreenName): Screen {
    switch (name) {
      case "setup":
        return new SetupScreen(this);
      case "no-keyring":
        return new NoKeyringScreen(this);
      case "history":
        return new HistoryScreen(this);
      case "settings":
        return new SettingsScreen(this);
      case "about":
        return new AboutScreen(this);
    }
  }

  private renderHeader(): void {
    this.demoBadge.hidden = !this.info.demo;
  }

  private refreshRelativeTimes(): void {
    const now = new Date();
    for (const element of document.querySelectorAll<HTMLTimeElement>(
      "time[data-relative]",
    )) {
      element.textContent = formatRelativeTime(element.dateTime, now);
    }
  }

  private showStartError(message: string): void {
    const retry = h(
      "button",
      { type: "button", class: "primary", onclick: () => void this.start() },
      "Try again",
    );
    const heading = h("h1", { tabindex: "-1" }, "Dealwatch could not start");
    replaceChildren(
      this.main,
      h(
        "section",
        { class: "screen" },
        h(
          "div",
          { class: "card" },
          heading,
          h("p", { role: "alert" }, message),
          retry,
        ),
      ),
    );
    heading.focus();
  }
}
