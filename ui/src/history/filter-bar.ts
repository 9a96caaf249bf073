// The search box and the filter panel above the history list.

import { debounce, h, replaceChildren, uniqueId } from "../dom";
import { eventTypeLabel, humanize } from "../format";
import type { FilterOptions } from "../ipc";
import {
  EVENT_TYPES,
  activeFilterCount,
  emptyFilterState,
  type FilterState,
} from "./filter-state";

/** Delay between the last key press in the search box and the query. */
export const SEARCH_DEBOUNCE_MS = 250;

export class FilterBar {
  readonly element: HTMLElement;
  private readonly searchInput: HTMLInputElement;
  private readonly toggleButton: HTMLButtonElement;
  private readonly panel: HTMLElement;
  private options: FilterOptions = { owners: [], pipelines: [], streams: [] };

  constructor(
    private state: FilterState,
    private readonly onChange: (state: FilterState) => void,
  ) {
    const searchId = uniqueId("search");
    const panelId = uniqueId("filters");

    this.searchInput = h("input", {
      id: searchId,
      type: "search",
      class: "search-input",
      placeholder: "Search names, fields, values",
      autocomplete: "off",
      spellcheck: "false",
    });
    this.searchInput.value = state.search;
    const sendSearch = debounce(
      () => this.update({ search: this.searchInput.value }),
      SEARCH_DEBOUNCE_MS,
    );
    this.searchInput.addEventListener("input", sendSearch);

    this.toggleButton = h("button", {
      type: "button",
      class: "filter-toggle",
      "aria-expanded": "false",
      "aria-controls": panelId,
      onclick: () => this.setPanelOpen(this.panel.hidden),
    });

    this.panel = h("div", { id: panelId, class: "filter-panel", hidden: true });

    this.element = h(
      "div",
      { class: "filter-bar" },
      h(
        "form",
        {
          role: "search",
          class: "search-row",
          onsubmit: (event: Event) => event.preventDefault(),
        },
        h(
          "label",
          { for: searchId, class: "visually-hidden" },
          "Search changes",
        ),
        this.searchInput,
        this.toggleButton,
      ),
      this.panel,
    );
    this.renderPanel();
  }

  /** Fills the stream and pipeline choices once `filter_options` has returned them. */
  setOptions(options: FilterOptions): void {
    this.options = options;
    this.renderPanel();
  }

  /** Clears the search and every filter. */
  clearAll(): void {
    this.searchInput.value = "";
    this.state = emptyFilterState();
    this.renderPanel();
    this.onChange(this.state);
  }

  private setPanelOpen(open: boolean): void {
    this.panel.hidden = !open;
    this.toggleButton.setAttribute("aria-expanded", String(open));
  }

  private update(change: Partial<FilterState>): void {
    this.state = { ...this.state, ...change };
    this.renderToggleLabel();
    this.onChange(this.state);
  }

  private renderToggleLabel(): void {
    const count = activeFilterCount(this.state);
    this.toggleButton.textContent =
      count === 0 ? "Filters" : `Filters (${count})`;
  }

  private renderPanel(): void {
    this.renderToggleLabel();
    const streams =
      this.options.streams.length > 0
        ? this.options.streams
        : ["deals", "leads", "contacts", "tasks"];

    replaceChildren(
      this.panel,
      this.checkboxGroup(
        "Event type",
        EVENT_TYPES,
        eventTypeLabel,
        this.state.eventTypes,
        (eventTypes) => this.update({ eventTypes }),
      ),
      this.checkboxGroup(
        "Stream",
        streams,
        humanize,
        this.state.streams,
        (selected) => this.update({ streams: selected }),
      ),
      this.ownerGroup(),
      this.pipelineSelects(),
      h(
        "div",
        { class: "filter-actions" },
        h(
          "button",
          {
            type: "button",
            class: "quiet",
            onclick: () => {
              const cleared = {
                ...emptyFilterState(),
                search: this.state.search,
              };
              this.state = cleared;
              this.renderPanel();
              this.onChange(this.state);
              this.panel.querySelector<HTMLElement>("input")?.focus();
            },
          },
          "Clear filters",
        ),
      ),
    );
  }

  private checkboxGroup(
    legend: string,
    values: string[],
    label: (value: string) => string,
    selected: string[],
    onSelect: (selected: string[]) => void,
  ): HTMLElement {
    const boxes = values.map((value) => {
      const input = h("input", {
        type: "checkbox",
        value,
        checked: selected.includes(value),
      });
      input.addEventListener("change", () => {
        const checked = boxes
          .filter((box) => box.checked)
          .map((box) => box.value);
        onSelect(checked);
      });
      return input;
    });
    return h(
      "fieldset",
      { class: "filter-group" },
      h("legend", {}, legend),
      ...boxes.map((box) =>
        h("label", { class: "check" }, box, label(box.value)),
      ),
    );
  }

  private ownerGroup(): HTMLElement {
    const name = uniqueId("owner");
    const radio = (value: "all" | "mine", text: string) => {
      const input = h("input", {
        type: "radio",
        name,
        value,
        checked: (value === "mine") === this.state.mine,
      });
      input.addEventListener("change", () =>
        this.update({ mine: value === "mine" }),
      );
      return h("label", { class: "check" }, input, text);
    };
    return h(
      "fieldset",
      { class: "filter-group" },
      h("legend", {}, "Owner"),
      radio("all", "Everyone"),
      radio("mine", "Mine"),
    );
  }

  private pipelineSelects(): HTMLElement {
    const pipelineId = uniqueId("pipeline");
    const stageId = uniqueId("stage");

    const pipelineSelect = h(
      "select",
      { id: pipelineId },
      h("option", { value: "" }, "Any pipeline"),
      ...this.options.pipelines.map((item) =>
        h(
          "option",
          {
            value: String(item.id),
            selected: item.id === this.state.pipelineId,
          },
          item.name,
        ),
      ),
    );
    const stageSelect = h("select", { id: stageId });

    const fillStages = () => {
      const pipeline = this.options.pipelines.find(
        (item) => item.id === this.state.pipelineId,
      );
      stageSelect.disabled = pipeline === undefined;
      replaceChildren(
        stageSelect,
        h(
          "option",
          { value: "" },
          pipeline === undefined ? "Choose a pipeline first" : "Any stage",
        ),
        ...(pipeline?.stages ?? []).map((stage) =>
          h(
            "option",
            {
              value: String(stage.id),
              selected: stage.id === this.state.stageId,
            },
            stage.name,
          ),
        ),
      );
    };
    fillStages();

    pipelineSelect.addEventListener("change", () => {
      const id =
        pipelineSelect.value === "" ? null : Number(pipelineSelect.value);
      this.update({ pipelineId: id, stageId: null });
      fillStages();
    });
    stageSelect.addEventListener("change", () => {
      this.update({
        stageId: stageSelect.value === "" ? null : Number(stageSelect.value),
      });
    });

    return h(
      "div",
      { class: "filter-group filter-selects" },
      h("label", { for: pipelineId }, "Pipeline"),
      pipelineSelect,
      h("label", { for: stageId }, "Stage"),
      stageSelect,
    );
  }
}
