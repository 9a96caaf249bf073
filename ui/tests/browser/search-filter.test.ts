import type { Page } from "playwright-core";
import { expect, test } from "vitest";
import type { HistoryQuery } from "../../src/ipc";
import { callsOf, openApp, useBrowser } from "./harness";

const suite = useBrowser();

async function lastQuery(page: Page): Promise<HistoryQuery> {
  const calls = (await callsOf(page, "history")) as { query: HistoryQuery }[];
  return calls[calls.length - 1].query;
}

test("search is debounced and sent to the backend", async () => {
  const { page, problems } = await openApp(suite.browser(), suite.url(), {
    rows: 300,
  });
  await page.locator(".row:not(.placeholder)").first().waitFor();
  const before = (await callsOf(page, "history")).length;

  await page
    .getByLabel("Search changes")
    .pressSequentially("Helios", { delay: 20 });
  await expect
    .poll(() => lastQuery(page))
    .toEqual({ search: "Helios", offset: 0, limit: 100 });

  // One request for the whole word, not one per key.
  expect((await callsOf(page, "history")).length).toBe(before + 1);
  const names = await page
    .locator(".row:not(.placeholder) .row-name")
    .allTextContents();
  expect(names.length).toBeGreaterThan(0);
  expect(names.every((name) => name.startsWith("Helios"))).toBe(true);
  expect(problems).toEqual([]);
});

test("search matches field values", async () => {
  const { page } = await openApp(suite.browser(), suite.url(), { rows: 300 });
  await page.locator(".row:not(.placeholder)").first().waitFor();
  const value = await page.evaluate(
    () =>
      window.__dealwatchMock!.rows.find((row) =>
        row.changes.some((c) => c.field === "value" && c.old),
      )!.value!,
  );

  await page.getByLabel("Search changes").fill(value);
  await expect.poll(() => lastQuery(page)).toMatchObject({ search: value });
  await expect
    .poll(() => page.locator(".row:not(.placeholder)").count())
    .toBeGreaterThan(0);

  const texts = await page
    .locator(".row:not(.placeholder) .row-changes")
    .allTextContents();
  expect(texts.every((text) => text.includes(value))).toBe(true);
});

test("filters build the history query", async () => {
  const { page, problems } = await openApp(suite.browser(), suite.url(), {
    rows: 300,
  });
  await page.locator(".row:not(.placeholder)").first().waitFor();

  const toggle = page.getByRole("button", { name: "Filters", exact: true });
  await toggle.click();
  expect(await toggle.getAttribute("aria-expanded")).toBe("true");

  await page.getByRole("checkbox", { name: "Created" }).check();
  await expect
    .poll(() => lastQuery(page))
    .toEqual({ eventTypes: ["created"], offset: 0, limit: 100 });
  await expect
    .poll(() =>
      page.locator(".row:not(.placeholder) .row-event").allTextContents(),
    )
    .toSatisfy(
      (events: string[]) =>
        events.length > 0 && events.every((event) => event === "Created"),
    );

  await page.getByRole("checkbox", { name: "Deals" }).check();
  await page.getByRole("radio", { name: "Mine" }).check();
  await page.getByLabel("Pipeline").selectOption({ label: "Sales" });
  await page.getByLabel("Stage").selectOption({ label: "Quote" });

  await expect
    .poll(() => lastQuery(page))
    .toEqual({
      eventTypes: ["created"],
      streams: ["deals"],
      mine: true,
      pipelineId: 1,
      stageId: 13,
      offset: 0,
      limit: 100,
    });
  expect(await page.locator(".filter-toggle").textContent()).toBe(
    "Filters (4)",
  );

  const owners = await page
    .locator(".row:not(.placeholder) .row-owner")
    .allTextContents();
  expect(owners.every((owner) => owner === "Ana Souza")).toBe(true);

  await page.getByRole("button", { name: "Clear filters" }).click();
  await expect.poll(() => lastQuery(page)).toEqual({ offset: 0, limit: 100 });
  expect(await page.locator(".filter-toggle").textContent()).toBe("Filters");
  expect(problems).toEqual([]);
});

test("stage filter needs a pipeline", async () => {
  const { page } = await openApp(suite.browser(), suite.url(), { rows: 10 });
  await page.getByRole("button", { name: "Filters", exact: true }).click();

  expect(await page.getByLabel("Stage").isDisabled()).toBe(true);
  await page.getByLabel("Pipeline").selectOption({ label: "Renewals" });
  expect(await page.getByLabel("Stage").isDisabled()).toBe(false);
  const stages = await page
    .getByLabel("Stage")
    .locator("option")
    .allTextContents();
  expect(stages).toEqual([
    "Any stage",
    "Upcoming",
    "Negotiation",
    "Renewed",
    "Churned",
  ]);
});

test("filters survive a visit to another screen", async () => {
  const { page } = await openApp(suite.browser(), suite.url(), { rows: 50 });
  await page.getByLabel("Search changes").fill("Acme");
  await expect.poll(() => lastQuery(page)).toMatchObject({ search: "Acme" });

  await page.getByRole("button", { name: "About" }).click();
  await page.getByRole("button", { name: /^History/ }).click();

  expect(await page.getByLabel("Search changes").inputValue()).toBe("Acme");
  await expect.poll(() => lastQuery(page)).toMatchObject({ search: "Acme" });
});
