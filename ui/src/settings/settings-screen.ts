// The settings screen. Changes apply when saved, through `settings_set`,
// without a restart; the access token has its own section and commands.

import { h, replaceChildren, uniqueId, type Child } from "../dom";
import { humanize } from "../format";
import {
  commands,
  toCommandError,
  type FilterOptions,
  type Settings,
  type Theme,
} from "../ipc";
import type { AppContext, Screen } from "../screen";
import { TokenForm } from "../token/token-form";
import {
  BURST_MAX,
  BURST_MIN,
  DEFAULT_STREAMS,
  POLL_MAX_SECS,
  POLL_MIN_SECS,
  draftFromSettings,
  validateDraft,
  type DraftField,
  type SettingsDraft,
} from "./settings-draft";

/** Element id of the token section heading, for `navigate("settings", TOKEN_SECTION_ID)`. */
export const TOKEN_SECTION_ID = "settings-token";

type FieldControl = { input: HTMLElement; error: HTMLElement };

export class SettingsScreen implements Screen {
  readonly element: HTMLElement;
  readonly focusTarget: HTMLElement;
  private readonly tokenSection: HTMLElement;
  private readonly formHost: HTMLElement;
  private readonly saveStatus: HTMLElement;
  private settings: Settings | null = null;
  private options: FilterOptions = { owners: [], pipelines: [], streams: [] };
  private optionsError: string | null = null;
  private readDraft: (() => SettingsDraft) | null = null;
  private fields = new Map<DraftField, FieldControl>();

  constructor(private readonly app: AppContext) {
    this.focusTarget = h("h1", { tabindex: "-1" }, "Settings");
    this.tokenSection = h("section", {
      class: "card",
      "aria-labelledby": TOKEN_SECTION_ID,
    });
    this.formHost = h(
      "div",
      { class: "settings-form-host" },
      h("p", { class: "muted" }, "Loading settings…"),
    );
    this.saveStatus = h("p", { class: "save-status", role: "status" });
    this.element = h(
      "section",
      { class: "screen settings", "aria-label": "Settings" },
      this.focusTarget,
      this.tokenSection,
      this.formHost,
    );
    this.renderTokenSection();
    void this.load();
  }

  private async load(): Promise<void> {
    const [settings, options] = await Promise.allSettled([
      commands.settingsGet(),
      this.app.filterOptions(),
    ]);
    if (options.status === "fulfilled") {
      this.options = options.value;
    } else {
      this.optionsError = toCommandError(options.reason).message;
    }
    if (settings.status === "rejected") {
      replaceChildren(
        this.formHost,
        h(
          "p",
          { class: "form-error", role: "alert" },
          `Could not load the settings: ${toCommandError(settings.reason).message}`,
        ),
        h(
          "button",
          { type: "button", onclick: () => void this.load() },
          "Try again",
        ),
      );
      return;
    }
    this.settings = settings.value;
    this.renderForm(settings.value);
  }

  // ---- Token ----

  private renderTokenSection(): void {
    const status = this.app.tokenStatus;
    const description = !status.set
      ? "No token is set."
      : status.store === "memory"
        ? "A token is set for this run only. It is kept in memory, so you paste it again after a restart."
        : status.store === "env"
          ? "A token is set from an environment variable. Unset the variable and restart Dealwatch to remove it."
          : status.store === "demo"
            ? "Demo mode: Dealwatch follows its built-in simulator. Set a Sell token to leave demo mode."
            : "A token is set and kept in the system keyring.";

    const formHost = h("div", { class: "token-replace", hidden: true });
    const confirmHost = h("div", { class: "token-remove", hidden: true });
    const error = h("p", { class: "form-error", role: "alert" });

    const showForm = () => {
      const form = new TokenForm({
        memoryOnly: !status.keyring.usable,
        submitLabel: status.set ? "Replace" : "Connect",
        onSaved: async () => {
          await this.app.refreshToken();
          this.renderTokenSection();
          this.app.announce("Token saved.");
        },
      });
      replaceChildren(formHost, form.element);
      formHost.hidden = false;
      form.input.focus();
    };

    const showConfirm = () => {
      const remove = h("button", { type: "button", class: "danger" }, "Remove");
      remove.addEventListener("click", async () => {
        try {
          await commands.tokenClear();
          await this.app.refreshToken();
        } catch (raw) {
          error.textContent = toCommandError(raw).message;
        }
      });
      replaceChildren(
        confirmHost,
        h(
          "p",
          {},
          "Remove the token? Dealwatch stops checking Sell until you add one again.",
        ),
        h(
          "div",
          { class: "button-row" },
          remove,
          h(
            "button",
            { type: "button", onclick: () => (confirmHost.hidden = true) },
            "Cancel",
          ),
        ),
      );
      confirmHost.hidden = false;
      remove.focus();
    };

    replaceChildren(
      this.tokenSection,
      h("h2", { id: TOKEN_SECTION_ID, tabindex: "-1" }, "Access token"),
      h("p", {}, description),
      h(
        "div",
        { class: "button-row" },
        h(
          "button",
          { type: "button", onclick: showForm },
          status.set ? "Replace token" : "Add token",
        ),
        status.set && status.store !== "env" && status.store !== "demo"
          ? h(
              "button",
              { type: "button", onclick: showConfirm },
              "Remove token",
            )
          : null,
      ),
      formHost,
      confirmHost,
      error,
    );
  }

  // ---- Form ----

  private renderForm(settings: Settings): void {
    const draft = draftFromSettings(settings);
    this.fields.clear();

    const streams =
      this.options.streams.length > 0 ? this.options.streams : DEFAULT_STREAMS;
    const streamBoxes = streams.map((stream) =>
      h("input", {
        type: "checkbox",
        value: stream,
        checked: draft.streams.includes(stream),
      }),
    );
    const streamError = h("p", { class: "field-error", id: uniqueId("error") });
    this.fields.set("streams", {
      input: streamBoxes[0] ?? streamError,
      error: streamError,
    });

    const pollInterval = this.textField(
      "pollInterval",
      "Check Sell every",
      draft.pollInterval,
      {
        type: "number",
        min: POLL_MIN_SECS,
        max: POLL_MAX_SECS,
        step: 1,
        inputmode: "numeric",
        unit: "seconds",
        hint: `From ${POLL_MIN_SECS} seconds to ${POLL_MAX_SECS / 60} minutes.`,
      },
    );

    const enabled = checkbox("Show notifications", draft.notificationsEnabled);
    const onlyMine = checkbox("Only for records I own", draft.onlyMine);
    const ignoreOwn = checkbox(
      "Ignore changes I made myself",
      draft.ignoreOwnChanges,
    );
    const pipelines = this.pipelineChoices(draft);
    const minValue = this.textField(
      "minValue",
      "Minimum deal value",
      draft.minValue,
      {
        inputmode: "decimal",
        hint: "Deals worth less are not notified. Leave empty for any value.",
      },
    );
    const ignoredFieldsId = uniqueId("ignored");
    const ignoredFields = h("input", {
      id: ignoredFieldsId,
      type: "text",
      spellcheck: "false",
    });
    ignoredFields.value = draft.ignoredFields;

    const quietEnabled = checkbox("Quiet hours", draft.quietEnabled);
    const quietStart = this.textField("quietStart", "From", draft.quietStart, {
      type: "time",
    });
    const quietEnd = this.textField("quietEnd", "Until", draft.quietEnd, {
      type: "time",
    });
    const burst = this.textField(
      "burstThreshold",
      "Summarize when a check finds more than",
      draft.burstThreshold,
      {
        type: "number",
        min: BURST_MIN,
        max: BURST_MAX,
        step: 1,
        inputmode: "numeric",
        unit: "changes",
        hint: "Above this number, one notification sums up the changes.",
      },
    );

    const webUrl = this.textField("webUrl", "Sell web address", draft.webUrl, {
      type: "url",
      hint: "The address you open Sell at; Open in Sell links go there.",
    });
    const startAtLogin = checkbox(
      "Start Dealwatch when I sign in",
      draft.startAtLogin,
    );
    const themeName = uniqueId("theme");
    const themeRadios = (["system", "light", "dark"] as Theme[]).map((theme) =>
      h("input", {
        type: "radio",
        name: themeName,
        value: theme,
        checked: draft.theme === theme,
      }),
    );

    this.readDraft = () => ({
      streams: streamBoxes.filter((box) => box.checked).map((box) => box.value),
      pollInterval: pollInterval.input.value,
      notificationsEnabled: enabled.input.checked,
      onlyMine: onlyMine.input.checked,
      ignoreOwnChanges: ignoreOwn.input.checked,
      pipelineIds: pipelines.readPipelines(),
      stageIds: pipelines.readStages(),
      minValue: minValue.input.value,
      ignoredFields: ignoredFields.value,
      quietEnabled: quietEnabled.input.checked,
      quietStart: quietStart.input.value,
      quietEnd: quietEnd.input.value,
      burstThreshold: burst.input.value,
      webUrl: webUrl.input.value,
      startAtLogin: startAtLogin.input.checked,
      theme: (themeRadios.find((radio) => radio.checked)?.value ??
        "system") as Theme,
    });

    const form = h(
      "form",
      { class: "settings-form", novalidate: true },
      h(
        "section",
        { class: "card" },
        h("h2", {}, "Watching"),
        h(
          "fieldset",
          { "aria-describedby": streamError.id },
          h("legend", {}, "Streams to follow"),
          h(
            "div",
            { class: "check-grid" },
            ...streamBoxes.map((box) =>
              h("label", { class: "check" }, box, humanize(box.value)),
            ),
          ),
          streamError,
        ),
        pollInterval.element,
      ),
      h(
        "section",
        { class: "card" },
        h("h2", {}, "Notifications"),
        enabled.element,
        onlyMine.element,
        ignoreOwn.element,
        pipelines.element,
        minValue.element,
        h(
          "div",
          { class: "field" },
          h("label", { for: ignoredFieldsId }, "Fields to ignore"),
          ignoredFields,
          h(
            "p",
            { class: "hint", id: `${ignoredFieldsId}-hint` },
            "Field names separated by commas, such as last_activity_at.",
          ),
        ),
        h(
          "fieldset",
          {},
          h("legend", {}, "Quiet hours"),
          quietEnabled.element,
          h(
            "div",
            { class: "inline-fields" },
            quietStart.element,
            quietEnd.element,
          ),
        ),
        burst.element,
      ),
      h(
        "section",
        { class: "card" },
        h("h2", {}, "App"),
        webUrl.element,
        startAtLogin.element,
        h(
          "fieldset",
          {},
          h("legend", {}, "Theme"),
          h(
            "div",
            { class: "check-grid" },
            ...themeRadios.map((radio) =>
              h("label", { class: "check" }, radio, humanize(radio.value)),
            ),
          ),
        ),
      ),
      h(
        "div",
        { class: "save-bar" },
        h("button", { type: "submit", class: "primary" }, "Save"),
        this.saveStatus,
      ),
    );
    ignoredFields.setAttribute("aria-describedby", `${ignoredFieldsId}-hint`);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.save();
    });

    replaceChildren(this.formHost, form);
  }

  private textField(
    field: DraftField,
    label: string,
    value: string,
    options: {
      type?: string;
      min?: number;
      max?: number;
      step?: number;
      inputmode?: string;
      unit?: string;
      hint?: string;
    },
  ): { element: HTMLElement; input: HTMLInputElement } {
    const id = uniqueId(field);
    const hintId = `${id}-hint`;
    const errorId = `${id}-error`;
    const input = h("input", {
      id,
      type: options.type ?? "text",
      min: options.min,
      max: options.max,
      step: options.step,
      inputmode: options.inputmode,
      spellcheck: "false",
      "aria-describedby": [options.hint ? hintId : "", errorId]
        .join(" ")
        .trim(),
    });
    input.value = value;
    const error = h("p", { class: "field-error", id: errorId });
    this.fields.set(field, { input, error });

    const element = h(
      "div",
      { class: "field" },
      h("label", { for: id }, label),
      h(
        "div",
        { class: "input-row" },
        input,
        options.unit ? h("span", { class: "unit" }, options.unit) : null,
      ),
      options.hint ? h("p", { class: "hint", id: hintId }, options.hint) : null,
      error,
    );
    return { element, input };
  }

  private pipelineChoices(draft: SettingsDraft): {
    element: HTMLElement;
    readPipelines: () => number[];
    readStages: () => number[];
  } {
    if (this.optionsError !== null || this.options.pipelines.length === 0) {
      const text =
        this.optionsError !== null
          ? `Could not load pipelines: ${this.optionsError}`
          : "No pipelines are known yet; they appear after the first check.";
      return {
        element: h("p", { class: "muted" }, text),
        readPipelines: () => [...draft.pipelineIds],
        readStages: () => [...draft.stageIds],
      };
    }

    const pipelineBoxes: HTMLInputElement[] = [];
    const stageBoxes: HTMLInputElement[] = [];
    const groups: Child[] = this.options.pipelines.map((pipeline) => {
      const pipelineBox = h("input", {
        type: "checkbox",
        value: String(pipeline.id),
        checked: draft.pipelineIds.includes(pipeline.id),
      });
      pipelineBoxes.push(pipelineBox);
      const stages = pipeline.stages.map((stage) => {
        const box = h("input", {
          type: "checkbox",
          value: String(stage.id),
          checked: draft.stageIds.includes(stage.id),
        });
        stageBoxes.push(box);
        return h("label", { class: "check" }, box, stage.name);
      });
      return h(
        "fieldset",
        { class: "pipeline" },
        h(
          "legend",
          {},
          h("label", { class: "check" }, pipelineBox, pipeline.name),
        ),
        h(
          "div",
          {
            class: "check-grid stages",
            role: "group",
            "aria-label": `Stages of ${pipeline.name}`,
          },
          ...stages,
        ),
      );
    });

    const read = (boxes: HTMLInputElement[]) =>
      boxes.filter((box) => box.checked).map((box) => Number(box.value));
    return {
      element: h(
        "details",
        { class: "pipelines" },
        h("summary", {}, "Pipelines and stages"),
        h(
          "p",
          { class: "hint" },
          "Notify only about deals in the checked pipelines and stages. Nothing checked means all.",
        ),
        ...groups,
      ),
      readPipelines: () => read(pipelineBoxes),
      readStages: () => read(stageBoxes),
    };
  }

  private showErrors(errors: Partial<Record<DraftField, string>>): void {
    let first: HTMLElement | null = null;
    for (const [field, control] of this.fields) {
      const message = errors[field];
      control.error.textContent = message ?? "";
      if (control.input instanceof HTMLInputElement && field !== "streams") {
        control.input.setAttribute(
          "aria-invalid",
          String(message !== undefined),
        );
      }
      if (message !== undefined && first === null) {
        first = control.input;
      }
    }
    first?.focus();
  }

  private async save(): Promise<void> {
    if (this.readDraft === null || this.settings === null) {
      return;
    }
    const result = validateDraft(this.readDraft(), this.settings);
    if (!result.ok) {
      this.showErrors(result.errors);
      this.saveStatus.textContent = "Fix the marked fields, then save again.";
      return;
    }
    this.showErrors({});
    this.saveStatus.textContent = "Saving…";
    try {
      const saved = await commands.settingsSet(result.settings);
      this.settings = saved;
      this.app.applySettings(saved);
      this.renderForm(saved);
      this.saveStatus.textContent = "Settings saved.";
    } catch (raw) {
      this.saveStatus.textContent = `Could not save the settings: ${toCommandError(raw).message}`;
    }
  }
}

function checkbox(
  label: string,
  checked: boolean,
): { element: HTMLElement; input: HTMLInputElement } {
  const input = h("input", { type: "checkbox", checked });
  return { element: h("label", { class: "check" }, input, label), input };
}
