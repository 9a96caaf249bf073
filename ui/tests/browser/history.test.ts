import { expect, test } from "vitest";
import {
  artifactPath,
  callsOf,
  cspViolations,
  openApp,
  useBrowser,
} from "./harness";

const suite = useBrowser();

test("history lists rows newest first", async () => {
  const { page, problems } = await openApp(suite.browser(), suite.url(), {
    rows: 300,
  });
  const rows = page.locator(".row:not(.placeholder)");
  await rows.first().waitFor();

  const first = rows.first();
  expect(await first.getAttribute("aria-posinset")).toBe("1");
  expect(await first.getAttribute("aria-setsize")).toBe("300");
  expect(await first.locator(".row-kind").textContent()).toBe("Deal");
  expect(await first.locator(".row-time").textContent()).toBe("45 s ago");

  const expected = await page.evaluate(() =>
    window.__dealwatchMock!.rows.slice(0, 3),
  );
  for (let i = 0; i < 3; i++) {
    const row = page.locator(`.row[aria-posinset="${i + 1}"]`);
    expect(await row.locator(".row-name").textContent()).toBe(expected[i].name);
    expect(await row.locator(".row-owner").textContent()).toBe(
      expected[i].owner,
    );
  }

  expect(await page.locator(".list-count").textContent()).toMatch(
    /^300 changes · \d+ unread$/,
  );
  expect(await page.title()).toMatch(/^Dealwatch \(\d+\)$/);
  expect(problems).toEqual([]);
  expect(await cspViolations(page)).toEqual([]);
});

test("history row shows time, changes and unread marker", async () => {
  const { page } = await openApp(suite.browser(), suite.url(), { rows: 50 });
  await page.locator(".row:not(.placeholder)").first().waitFor();

  const data = await page.evaluate(() => window.__dealwatchMock!.rows);
  const index = data.findIndex((row) =>
    row.changes.some((change) => change.old !== null),
  );
  const rowData = data[index];
  const row = page.locator(`.row[aria-posinset="${index + 1}"]`);

  const time = row.locator("time");
  expect(await time.getAttribute("datetime")).toBe(rowData.eventTime);
  expect(await time.getAttribute("title")).toMatch(/\d{1,2}:\d{2}:\d{2}/);

  const change = row.locator(".change").first();
  expect(await change.locator("del").textContent()).toBe(
    rowData.changes[0].old,
  );
  expect(await change.locator("ins").textContent()).toBe(
    rowData.changes[0].new,
  );
  expect(
    await row.evaluate((element) => element.classList.contains("unread")),
  ).toBe(!rowData.read);

  const created = data.findIndex((item) =>
    item.changes.some((entry) => entry.old === null),
  );
  const createdRow = page.locator(`.row[aria-posinset="${created + 1}"]`);
  await createdRow.scrollIntoViewIfNeeded();
  expect(await createdRow.locator("del").first().textContent()).toBe("—");
});

test("row opens detail with snapshot and Open in Sell", async () => {
  const { page, problems } = await openApp(suite.browser(), suite.url(), {
    rows: 50,
  });
  const button = page.locator('.row[aria-posinset="1"] .row-button');
  await button.waitFor();
  const rowData = await page.evaluate(() => window.__dealwatchMock!.rows[0]);

  await button.click();
  const detail = page.locator("#detail-panel");
  await detail.waitFor();
  expect(await button.getAttribute("aria-expanded")).toBe("true");
  expect(await detail.locator("h2").textContent()).toBe(rowData.name);

  const snapshot = await detail.locator("pre.snapshot").textContent();
  expect(snapshot).toContain(`"value": ${rowData.value}`);
  expect(snapshot?.split("\n").length).toBeGreaterThan(5);

  await detail.getByRole("button", { name: "Open in Sell" }).click();
  await expect
    .poll(() => callsOf(page, "open_record"))
    .toEqual([{ id: rowData.id }]);

  await page.keyboard.press("Escape");
  await detail.waitFor({ state: "hidden" });
  expect(
    await page.evaluate(() =>
      document.activeElement?.closest(".row")?.getAttribute("aria-posinset"),
    ),
  ).toBe("1");
  expect(problems).toEqual([]);
});

test("opening an unread row marks it read", async () => {
  const { page } = await openApp(suite.browser(), suite.url(), { rows: 50 });
  await page.locator(".row:not(.placeholder)").first().waitFor();
  const index = await page.evaluate(() =>
    window.__dealwatchMock!.rows.findIndex((row) => !row.read),
  );
  const id = await page.evaluate(
    (i) => window.__dealwatchMock!.rows[i].id,
    index,
  );
  const row = page.locator(`.row[aria-posinset="${index + 1}"]`);

  await row.locator(".row-button").click();

  await expect.poll(() => callsOf(page, "mark_read")).toEqual([{ ids: [id] }]);
  await expect
    .poll(() => row.evaluate((element) => element.classList.contains("unread")))
    .toBe(false);
});

test("mark all read clears markers and badge", async () => {
  const { page } = await openApp(suite.browser(), suite.url(), { rows: 50 });
  await page.locator(".row.unread").first().waitFor();

  await page.getByRole("button", { name: "Mark all read" }).click();

  await expect.poll(() => page.locator(".row.unread").count()).toBe(0);
  expect(await page.locator(".badge").isHidden()).toBe(true);
  expect(
    await page.getByRole("button", { name: "Mark all read" }).isDisabled(),
  ).toBe(true);
  expect(await page.title()).toBe("Dealwatch");
});

test("arrow keys move between rows", async () => {
  const { page } = await openApp(suite.browser(), suite.url(), { rows: 300 });
  await page.locator(".row:not(.placeholder)").first().waitFor();
  const focusedPosition = () =>
    page.evaluate(() =>
      document.activeElement?.closest(".row")?.getAttribute("aria-posinset"),
    );

  await page.locator('.row[aria-posinset="1"] .row-button').focus();
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  expect(await focusedPosition()).toBe("3");

  await page.keyboard.press("End");
  expect(await focusedPosition()).toBe("300");

  await page.keyboard.press("Home");
  expect(await focusedPosition()).toBe("1");

  const tabbable = await page.locator('.row-button[tabindex="0"]').count();
  expect(tabbable).toBe(1);
});

test("history screenshots in light and dark", async () => {
  for (const colorScheme of ["light", "dark"] as const) {
    const { page, problems } = await openApp(
      suite.browser(),
      suite.url(),
      { rows: 300 },
      { colorScheme },
    );
    await page.locator(".row:not(.placeholder)").first().waitFor();
    const background = await page.evaluate(
      () => getComputedStyle(document.body).backgroundColor,
    );
    expect(background).toBe(
      colorScheme === "light" ? "rgb(246, 246, 244)" : "rgb(27, 28, 30)",
    );
    const name = colorScheme === "light" ? "history.png" : "history-dark.png";
    await page.screenshot({ path: artifactPath(name) });
    expect(problems).toEqual([]);
  }
});

test("history detail in a wide window", async () => {
  const { page } = await openApp(
    suite.browser(),
    suite.url(),
    { rows: 300 },
    { width: 1000, height: 640 },
  );
  await page.locator('.row[aria-posinset="2"] .row-button').click();
  await page.locator("#detail-panel").waitFor();

  expect(await page.locator(".list-scroll").isVisible()).toBe(true);
  await page.screenshot({ path: artifactPath("history-wide-detail.png") });
});

test("history load error offers a retry", async () => {
  const { page } = await openApp(suite.browser(), suite.url(), {
    rows: 20,
    failures: { history: { kind: "store", message: "database is locked" } },
  });
  const message = page.locator(".list-message");
  await expect
    .poll(() => message.locator("p").textContent())
    .toBe("Could not load the history: database is locked");

  await page.evaluate(() => delete window.__dealwatchMock!.failures.history);
  await message.getByRole("button", { name: "Try again" }).click();

  await page.locator(".row:not(.placeholder)").first().waitFor();
  expect(await message.isHidden()).toBe(true);
});

test("empty history explains itself", async () => {
  const { page, problems } = await openApp(suite.browser(), suite.url(), {
    rows: 0,
  });
  await expect
    .poll(() => page.locator(".list-message").textContent())
    .toContain("No changes yet.");
  expect(await page.locator(".list-count").textContent()).toBe("0 changes");
  expect(problems).toEqual([]);
});
