// The search and filter choices of the history view, and how they become a
// `history` query.

import type { QueryFilter } from "./row-store";

export type FilterState = {
  search: string;
  eventTypes: string[];
  streams: string[];
  mine: boolean;
  pipelineId: number | null;
  stageId: number | null;
};

/** Firehose event types offered as filters. */
export const EVENT_TYPES = ["created", "updated", "deleted"];

export function emptyFilterState(): FilterState {
  return {
    search: "",
    eventTypes: [],
    streams: [],
    mine: false,
    pipelineId: null,
    stageId: null,
  };
}

/** Builds the query fields for `state`, leaving out every filter that is off. */
export function toQueryFilter(state: FilterState): QueryFilter {
  const filter: QueryFilter = {};
  const search = state.search.trim();
  if (search !== "") {
    filter.search = search;
  }
  if (state.eventTypes.length > 0) {
    filter.eventTypes = [...state.eventTypes];
  }
  if (state.streams.length > 0) {
    filter.streams = [...state.streams];
  }
  if (state.mine) {
    filter.mine = true;
  }
  if (state.pipelineId !== null) {
    filter.pipelineId = state.pipelineId;
    if (state.stageId !== null) {
      filter.stageId = state.stageId;
    }
  }
  return filter;
}

/** Counts the filters that are on, not counting the search text. */
export function activeFilterCount(state: FilterState): number {
  let count = 0;
  if (state.eventTypes.length > 0) count++;
  if (state.streams.length > 0) count++;
  if (state.mine) count++;
  if (state.pipelineId !== null) count++;
  return count;
}

/** Returns whether the query narrows the history at all. */
export function isFiltered(filter: QueryFilter): boolean {
  return Object.keys(filter).length > 0;
}
