import { h } from "./dom";
import type { AppContext, Screen } from "./screen";

export class AboutScreen implements Screen {
  readonly element: HTMLElement;
  readonly focusTarget: HTMLElement;

  constructor(app: AppContext) {
    this.focusTarget = h("h1", { tabindex: "-1" }, "Dealwatch");
    this.element = h(
      "section",
      { class: "screen about", "aria-label": "About" },
      h(
        "div",
        { class: "card" },
        this.focusTarget,
        h(
          "p",
          { class: "version" },
          `Version ${app.info.version}${app.info.demo ? " · demo mode" : ""}`,
        ),
        h(
          "p",
          {},
          "Tells you within seconds when a deal in Zendesk Sell changes, and how.",
        ),
      ),
    );
  }
}
