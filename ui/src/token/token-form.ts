// The form that checks and stores a Sell access token, used by the setup,
// keyring and settings screens. The token is never shown after it is sent.

import { h, replaceChildren, uniqueId } from "../dom";
import { commands, toCommandError, type CommandError } from "../ipc";

/** Explains a `token_set` error in plain words, by its kind. */
export function tokenErrorText(error: CommandError): string {
  switch (error.kind) {
    case "rejected":
      return "Sell rejected this token. Check that you copied all of it, or create a new one.";
    case "forbidden":
      return (
        "This token lacks access to the Firehose API. Firehose needs the Sell Growth plan or " +
        "above, and may need a token created by the account's root user."
      );
    case "unreachable":
      return "Sell could not be reached. Check the internet connection and try again.";
    case "keyring":
      return "No usable keyring was found to store the token in.";
    case "invalid":
      return "This does not look like a Sell access token.";
    default:
      return "The token could not be saved.";
  }
}

export type TokenFormOptions = {
  /** Stores the token in memory only, for this run. */
  memoryOnly: boolean;
  submitLabel: string;
  onSaved: () => void;
};

export class TokenForm {
  readonly element: HTMLFormElement;
  readonly input: HTMLInputElement;
  private readonly error: HTMLElement;
  private readonly submit: HTMLButtonElement;
  private readonly memoryChoice: HTMLElement;

  constructor(private readonly options: TokenFormOptions) {
    const inputId = uniqueId("token");
    const errorId = uniqueId("token-error");

    this.input = h("input", {
      id: inputId,
      type: "password",
      autocomplete: "off",
      spellcheck: "false",
      required: true,
      "aria-describedby": errorId,
    });
    this.error = h("div", { id: errorId, class: "form-error", role: "alert" });
    this.memoryChoice = h("div", { class: "memory-choice", hidden: true });
    this.submit = h(
      "button",
      { type: "submit", class: "primary" },
      options.submitLabel,
    );

    this.element = h(
      "form",
      { class: "token-form", novalidate: true },
      h("label", { for: inputId }, "Personal access token"),
      h("div", { class: "input-row" }, this.input, this.submit),
      this.error,
      this.memoryChoice,
    );
    this.element.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.save(this.options.memoryOnly);
    });
  }

  private async save(memoryOnly: boolean): Promise<void> {
    const token = this.input.value.trim();
    this.error.replaceChildren();
    this.memoryChoice.hidden = true;

    if (token === "") {
      this.showError("Paste a token first.");
      this.input.focus();
      return;
    }

    this.submit.disabled = true;
    this.submit.textContent = "Checking…";
    this.input.setAttribute("aria-invalid", "false");
    try {
      await commands.tokenSet(token, memoryOnly);
      this.input.value = "";
      this.options.onSaved();
    } catch (raw) {
      const error = toCommandError(raw);
      this.showError(tokenErrorText(error), error.message);
      this.input.setAttribute("aria-invalid", "true");
      if (error.kind === "keyring" && !memoryOnly) {
        this.offerMemory();
      }
      this.input.focus();
    } finally {
      this.submit.disabled = false;
      this.submit.textContent = this.options.submitLabel;
    }
  }

  private showError(text: string, detail?: string): void {
    replaceChildren(
      this.error,
      h("p", {}, text),
      detail ? h("p", { class: "form-error-detail" }, detail) : null,
    );
  }

  private offerMemory(): void {
    this.memoryChoice.replaceChildren(
      h(
        "p",
        {},
        "You can keep the token in memory until Dealwatch quits, and paste it again on the next start.",
      ),
      h(
        "button",
        { type: "button", onclick: () => void this.save(true) },
        "Keep in memory for this run",
      ),
    );
    this.memoryChoice.hidden = false;
  }
}
