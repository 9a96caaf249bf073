import type { Page } from "playwright-core";
import { expect, test } from "vitest";
import type { Row } from "../../src/ipc";
import { callsOf, openApp, useBrowser } from "./harness";

const suite = useBrowser();

/** Makes `count` new rows above the current newest one, newest first. */
function newRows(
  page: Page,
  count: number,
  name: (i: number) => string,
): Promise<Row[]> {
  return page.evaluate(
    ({ count, names }) => {
      const mock = window.__dealwatchMock!;
      const top = mock.rows[0];
      return Array.from({ length: count }, (_, i) => ({
        ...structuredClone(top),
        id: top.id + count - i,
        eventId: `live-${top.id + count - i}`,
        name: names[i],
        eventType: "updated",
        eventTime: new Date().toISOString(),
        read: false,
      }));
    },
    { count, names: Array.from({ length: count }, (_, i) => name(i)) },
  );
}

function addRows(page: Page, rows: Row[]): Promise<void> {
  return page.evaluate((items) => window.__dealwatchMock!.addRows(items), rows);
}

test("live rows appear at the top when scrolled to the top", async () => {
  const { page, problems } = await openApp(suite.browser(), suite.url(), {
    rows: 100,
  });
  await page.locator(".row:not(.placeholder)").first().waitFor();

  await addRows(page, await newRows(page, 2, (i) => `Live deal ${i + 1}`));

  const first = page.locator('.row[aria-posinset="1"] .row-name');
  await expect.poll(() => first.textContent()).toBe("Live deal 1");
  expect(
    await page.locator('.row[aria-posinset="2"] .row-name').textContent(),
  ).toBe("Live deal 2");
  expect(await page.locator(".list-count").textContent()).toMatch(
    /^102 changes/,
  );
  await expect
    .poll(() => page.locator("[aria-live=polite]").last().textContent())
    .toBe("2 new changes");
  expect(problems).toEqual([]);
});

test("live rows keep scroll position and expansion", async () => {
  const { page, problems } = await openApp(
    suite.browser(),
    suite.url(),
    { rows: 300 },
    { width: 1000 },
  );
  await page.locator(".row:not(.placeholder)").first().waitFor();

  const list = page.locator(".list-scroll");
  await list.evaluate((element) => (element.scrollTop = 76 * 20));
  const row = page.locator('.row[aria-posinset="22"]');
  await row.waitFor();
  const name = await row.locator(".row-name").textContent();
  const boxBefore = await row.boundingBox();
  await row.locator(".row-button").click();
  await page.locator("#detail-panel").waitFor();

  await addRows(page, await newRows(page, 3, (i) => `Live ${i}`));
  await expect
    .poll(() => page.locator(".list-count").textContent())
    .toMatch(/^303 changes/);

  // The same record is on screen at the same place, now three positions lower.
  const moved = page.locator('.row[aria-posinset="25"]');
  expect(await moved.locator(".row-name").textContent()).toBe(name);
  expect(await moved.locator(".row-button").getAttribute("aria-expanded")).toBe(
    "true",
  );
  expect((await moved.boundingBox())?.y).toBe(boxBefore?.y);
  expect(await list.evaluate((element) => element.scrollTop)).toBe(76 * 23);
  expect(await page.locator("#detail-panel h2").textContent()).toBe(name);
  expect(problems).toEqual([]);
});

test("live rows keep keyboard focus on the same row", async () => {
  const { page } = await openApp(suite.browser(), suite.url(), { rows: 100 });
  await page.locator(".row:not(.placeholder)").first().waitFor();
  await page.locator('.row[aria-posinset="1"] .row-button').focus();
  const name = await page
    .locator('.row[aria-posinset="1"] .row-name')
    .textContent();

  await addRows(page, await newRows(page, 1, () => "Arrived while focused"));
  await expect
    .poll(() => page.locator(".list-count").textContent())
    .toMatch(/^101 changes/);

  const focusedName = await page.evaluate(
    () =>
      document.activeElement?.closest(".row")?.querySelector(".row-name")
        ?.textContent,
  );
  expect(focusedName).toBe(name);
});

test("live rows outside the search show a hint", async () => {
  const { page } = await openApp(suite.browser(), suite.url(), { rows: 100 });
  await page.locator(".row:not(.placeholder)").first().waitFor();
  await page.getByLabel("Search changes").fill("Zebra");
  await page.locator(".list-message").getByText("No changes match").waitFor();

  const rows = await newRows(page, 3, (i) =>
    i === 1 ? "Zebra Imports renewal" : `Other deal ${i}`,
  );
  await addRows(page, rows);

  const hint = page.locator(".hidden-hint span");
  await expect
    .poll(() => hint.textContent())
    .toBe("2 new changes do not match the search or filters.");
  expect(await page.locator(".row .row-name").allTextContents()).toEqual([
    "Zebra Imports renewal",
  ]);
  expect(await page.locator(".list-message").isHidden()).toBe(true);

  await page.getByRole("button", { name: "Show all changes" }).click();
  await expect
    .poll(() => page.locator(".list-count").textContent())
    .toMatch(/^103 changes/);
  expect(await page.getByLabel("Search changes").inputValue()).toBe("");
  expect(await page.locator(".hidden-hint").isHidden()).toBe(true);
});

test("live duplicate rows are ignored", async () => {
  const { page } = await openApp(suite.browser(), suite.url(), { rows: 20 });
  await page.locator(".row:not(.placeholder)").first().waitFor();
  const existing = await page.evaluate(() =>
    window.__dealwatchMock!.rows.slice(0, 2),
  );

  await page.evaluate(
    (rows) => window.__dealwatchMock!.emit("dealwatch:changes", rows),
    existing,
  );
  await page.waitForTimeout(200);

  expect(await page.locator(".list-count").textContent()).toMatch(
    /^20 changes/,
  );
});

test("live rows during the first load are kept", async () => {
  const { page, problems } = await openApp(suite.browser(), suite.url(), {
    rows: 20,
    delays: { history: 800 },
  });
  await expect.poll(() => callsOf(page, "history")).toHaveLength(1);

  await addRows(page, await newRows(page, 1, () => "Arrived during load"));

  const first = page.locator('.row[aria-posinset="1"] .row-name');
  await expect
    .poll(() => first.textContent(), { timeout: 5_000 })
    .toBe("Arrived during load");
  expect(await page.locator(".list-count").textContent()).toMatch(
    /^21 changes/,
  );
  expect(problems).toEqual([]);
});
