// The two screens shown while no token is set: setup, and the variant for a
// machine without a usable OS keyring.

import { h } from "../dom";
import { commands, toCommandError } from "../ipc";
import type { AppContext, Screen } from "../screen";
import { TokenForm } from "./token-form";

function demoSection(app: AppContext): HTMLElement {
  const error = h("p", { class: "form-error", role: "alert" });
  const button = h("button", { type: "button" }, "Try the demo");
  button.addEventListener("click", async () => {
    error.textContent = "";
    button.disabled = true;
    try {
      await commands.startDemo();
      await app.refreshInfo();
      app.navigate("history");
    } catch (raw) {
      error.textContent = toCommandError(raw).message;
      button.disabled = false;
    }
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "demo-title" },
    h("h2", { id: "demo-title" }, "No token at hand?"),
    h(
      "p",
      {},
      "The demo shows Dealwatch with made-up deals that change every few seconds.",
    ),
    button,
    error,
  );
}

/** Lists the steps to create a token, in the words of Sell's own menus. */
function tokenSource(): HTMLElement {
  return h(
    "ol",
    { class: "steps" },
    h("li", {}, "Sign in to Zendesk Sell in your browser."),
    h(
      "li",
      {},
      "Open ",
      h("strong", {}, "Settings › Integrations › OAuth › Access Tokens"),
      " and add a personal access token.",
    ),
    h("li", {}, "Copy the token and paste it below."),
  );
}

export class SetupScreen implements Screen {
  readonly element: HTMLElement;
  readonly focusTarget: HTMLElement;

  constructor(app: AppContext) {
    const form = new TokenForm({
      memoryOnly: false,
      submitLabel: "Connect",
      onSaved: () => void app.refreshToken(),
    });
    this.focusTarget = h(
      "h1",
      { id: "setup-title", tabindex: "-1" },
      "Connect to Sell",
    );
    this.element = h(
      "section",
      { class: "screen setup", "aria-labelledby": "setup-title" },
      h(
        "div",
        { class: "card" },
        this.focusTarget,
        h(
          "p",
          {},
          "Dealwatch reads your account's changes through Sell's Firehose API with a personal access token.",
        ),
        tokenSource(),
        form.element,
        h(
          "p",
          { class: "muted" },
          "The token is checked with Sell, then kept in the system keyring.",
        ),
      ),
      demoSection(app),
    );
  }
}

export class NoKeyringScreen implements Screen {
  readonly element: HTMLElement;
  readonly focusTarget: HTMLElement;

  constructor(app: AppContext) {
    const problem = app.tokenStatus.keyring.problem;
    const form = new TokenForm({
      memoryOnly: true,
      submitLabel: "Use for this run",
      onSaved: () => void app.refreshToken(),
    });
    const retryError = h("p", { class: "form-error", role: "alert" });
    const retry = h("button", { type: "button" }, "Try again");
    retry.addEventListener("click", async () => {
      retryError.textContent = "";
      try {
        await app.refreshToken();
        if (!app.tokenStatus.keyring.usable) {
          retryError.textContent = "The keyring is still unavailable.";
        }
      } catch (raw) {
        retryError.textContent = toCommandError(raw).message;
      }
    });

    this.focusTarget = h(
      "h1",
      { id: "keyring-title", tabindex: "-1" },
      "No keyring available",
    );
    this.element = h(
      "section",
      { class: "screen setup", "aria-labelledby": "keyring-title" },
      h(
        "div",
        { class: "card" },
        this.focusTarget,
        h(
          "p",
          {},
          "Dealwatch keeps the Sell token in the operating system's keyring, and no keyring can be used right now.",
        ),
        problem
          ? h(
              "p",
              { class: "problem" },
              "The system reported: ",
              h("q", {}, problem),
            )
          : null,
        h("h2", {}, "To fix it"),
        h(
          "ul",
          { class: "steps" },
          h(
            "li",
            {},
            "Install GNOME Keyring, KWallet or KeePassXC (with its Secret Service integration on).",
          ),
          h(
            "li",
            {},
            "Unlock the keyring, for example by signing out and in again.",
          ),
          h("li", {}, "Then choose Try again."),
        ),
        retry,
        retryError,
      ),
      h(
        "div",
        { class: "card" },
        h("h2", {}, "Or keep the token in memory"),
        h(
          "p",
          {},
          "Dealwatch then holds the token in memory until it quits, so you paste it again after each start.",
        ),
        tokenSource(),
        form.element,
      ),
      demoSection(app),
    );
  }
}
