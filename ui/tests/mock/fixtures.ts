// Deterministic made-up Sell data for the mock backend: owners, pipelines and
// any number of history rows, newest first.

import type {
  FilterOptions,
  Row,
  Settings,
  Status,
  TokenStatus,
} from "../../src/ipc";

export const SELF_NAME = "Ana Souza";

export const FILTER_OPTIONS: FilterOptions = {
  owners: [
    { id: 1, name: SELF_NAME, isSelf: true },
    { id: 2, name: "Ben Okafor", isSelf: false },
    { id: 3, name: "Chloé Martin", isSelf: false },
    { id: 4, name: "Dmitri Volkov", isSelf: false },
  ],
  pipelines: [
    {
      id: 1,
      name: "Sales",
      stages: [
        { id: 11, name: "Incoming", category: "incoming" },
        { id: 12, name: "Qualified", category: "in_progress" },
        { id: 13, name: "Quote", category: "in_progress" },
        { id: 14, name: "Closure", category: "in_progress" },
        { id: 15, name: "Won", category: "won" },
        { id: 16, name: "Lost", category: "lost" },
      ],
    },
    {
      id: 2,
      name: "Renewals",
      stages: [
        { id: 21, name: "Upcoming", category: "incoming" },
        { id: 22, name: "Negotiation", category: "in_progress" },
        { id: 23, name: "Renewed", category: "won" },
        { id: 24, name: "Churned", category: "lost" },
      ],
    },
  ],
  streams: ["deals", "leads", "contacts", "tasks"],
};

export const DEFAULT_SETTINGS: Settings = {
  streams: ["deals", "leads"],
  pollIntervalSecs: 30,
  notifications: {
    enabled: true,
    onlyMine: false,
    ignoreOwnChanges: true,
    pipelineIds: [],
    stageIds: [],
    minValue: null,
    ignoredFields: ["last_activity_at"],
    quietHours: { enabled: false, start: "22:00", end: "07:00" },
    burstThreshold: 5,
  },
  webUrl: "https://app.futuresimple.com",
  startAtLogin: false,
  theme: "system",
};

export const TOKEN_SET: TokenStatus = {
  set: true,
  store: "keyring",
  keyring: { usable: true, problem: null },
};

export function okStatus(now: Date, unread: number): Status {
  return {
    state: "ok",
    message: "Checked 2 streams.",
    lastPollAt: new Date(now.getTime() - 12_000).toISOString(),
    retryAt: null,
    gap: null,
    paused: false,
    unread,
  };
}

const COMPANIES = [
  "Acme Corp",
  "Blue Harbor",
  "Cedar & Finch",
  "Delta Robotics",
  "Evergreen Foods",
  "Fjord Analytics",
  "Granite Labs",
  "Helios Solar",
  "Ironbridge",
  "Juniper Health",
];
const PRODUCTS = [
  "renewal",
  "expansion",
  "pilot",
  "annual plan",
  "support add-on",
];
const OWNERS = FILTER_OPTIONS.owners.map((owner) => owner.name);

/** A small seeded random number generator, so fixtures are identical on every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 0x100000000;
  };
}

/** Builds JSON text by hand, so decimals keep trailing zeros such as 1200.50. */
function snapshotJson(
  fields: [string, string | number | null, "raw"?][],
): string {
  const parts = fields.map(([key, value, raw]) => {
    const text =
      raw === "raw" || value === null ? String(value) : JSON.stringify(value);
    return `${JSON.stringify(key)}:${text}`;
  });
  return `{${parts.join(",")}}`;
}

export type RowOptions = {
  id: number;
  eventTime: string;
  random: () => number;
};

export function makeRow({ id, eventTime, random }: RowOptions): Row {
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
  const pipeline = pick(FILTER_OPTIONS.pipelines);
  const stageIndex = Math.floor(random() * (pipeline.stages.length - 1)) + 1;
  const stage = pipeline.stages[stageIndex];
  const previousStage = pipeline.stages[stageIndex - 1];
  const owner = pick(OWNERS);
  const name = `${pick(COMPANIES)} ${pick(PRODUCTS)}`;
  const cents = Math.floor(random() * 100);
  const value = `${Math.floor(random() * 90 + 10) * 250}.${String(cents).padStart(2, "0")}`;
  const oldValue = `${Math.floor(random() * 90 + 10) * 250}.00`;
  const roll = random();
  let eventType = "updated";
  if (roll < 0.12) {
    eventType = "created";
  } else if (roll < 0.18) {
    eventType = "deleted";
  }
  const recordId = 40_000 + id;

  const changes: Row["changes"] = [];
  if (eventType === "updated") {
    changes.push({
      field: "stage_id",
      label: "Stage",
      old: previousStage.name,
      new: stage.name,
    });
    if (random() < 0.5) {
      changes.push({
        field: "value",
        label: "Value",
        old: oldValue,
        new: value,
      });
    }
    if (random() < 0.2) {
      changes.push({
        field: "estimated_close_date",
        label: "Close date",
        old: null,
        new: "2026-12-01",
      });
    }
  } else if (eventType === "created") {
    changes.push({ field: "value", label: "Value", old: null, new: value });
  }

  return {
    id,
    eventId: `evt-${id}`,
    resource: "deals",
    recordType: "deal",
    recordId,
    eventType,
    eventTime,
    name,
    owner,
    stage: stage.name,
    pipeline: pipeline.name,
    value,
    currency: "EUR",
    changes,
    snapshot: snapshotJson([
      ["id", recordId],
      ["name", name],
      ["value", value, "raw"],
      ["currency", "EUR"],
      ["stage_id", stage.id],
      ["owner", owner],
      ["custom_fields", null],
    ]),
    read: id % 3 !== 0,
  };
}

/** Builds `count` rows, newest first, one every 45 seconds before `now`. */
export function makeRows(count: number, now: Date, seed = 7): Row[] {
  const random = seededRandom(seed);
  const rows: Row[] = [];
  for (let i = 0; i < count; i++) {
    const eventTime = new Date(now.getTime() - (i + 1) * 45_000).toISOString();
    rows.push(makeRow({ id: count - i, eventTime, random }));
  }
  return rows;
}

/** Text that runs script if anything renders it as HTML. */
export const HOSTILE_TEXT = `"><img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;

/** Builds a row with markup in every text field the UI shows. */
export function hostileRow(id: number, eventTime: string): Row {
  return {
    id,
    eventId: `evt-${id}`,
    resource: "deals",
    recordType: HOSTILE_TEXT,
    recordId: 999,
    eventType: HOSTILE_TEXT,
    eventTime,
    name: HOSTILE_TEXT,
    owner: HOSTILE_TEXT,
    stage: HOSTILE_TEXT,
    pipeline: HOSTILE_TEXT,
    value: "1200.50",
    currency: HOSTILE_TEXT,
    changes: [
      {
        field: "name",
        label: HOSTILE_TEXT,
        old: HOSTILE_TEXT,
        new: `<b>${HOSTILE_TEXT}</b>`,
      },
    ],
    snapshot: JSON.stringify({ name: HOSTILE_TEXT }),
    read: false,
  };
}
