import { expect, test } from "vitest";
import { ROW_VALUE_MAX_CHARS, truncate } from "../../src/format";
import { HOSTILE_TEXT } from "../mock/fixtures";
import { cspViolations, openApp, useBrowser } from "./harness";

const suite = useBrowser();

test("markup in data renders as text", async () => {
  const { page, problems } = await openApp(suite.browser(), suite.url(), {
    rows: 20,
    hostile: true,
  });
  const row = page.locator('.row[aria-posinset="1"]');
  await row.locator(".row-name").waitFor();

  expect(await row.locator(".row-name").textContent()).toBe(HOSTILE_TEXT);
  expect(await row.locator(".row-owner").textContent()).toBe(HOSTILE_TEXT);
  expect(await row.locator(".change-label").textContent()).toBe(HOSTILE_TEXT);
  // Collapsed rows shorten values; the detail panel shows them whole.
  expect(await row.locator("del").textContent()).toBe(
    truncate(HOSTILE_TEXT, ROW_VALUE_MAX_CHARS),
  );
  expect(await row.locator("ins").textContent()).toBe(
    truncate(`<b>${HOSTILE_TEXT}</b>`, ROW_VALUE_MAX_CHARS),
  );

  await row.locator(".row-button").click();
  const detail = page.locator("#detail-panel");
  await detail.waitFor();
  expect(await detail.locator("h2").textContent()).toBe(HOSTILE_TEXT);
  expect(await detail.locator(".detail-changes del").textContent()).toBe(
    HOSTILE_TEXT,
  );
  expect(await detail.locator(".detail-changes ins").textContent()).toBe(
    `<b>${HOSTILE_TEXT}</b>`,
  );
  expect(await detail.locator("pre.snapshot").textContent()).toContain(
    "onerror",
  );
  expect(await detail.locator("dd").allTextContents()).toContain(
    `1200.50 ${HOSTILE_TEXT}`,
  );

  // Nothing the data contained became an element or ran.
  expect(await page.locator("img, script:not([src]), b").count()).toBe(0);
  expect(
    await page.evaluate(
      () => (window as unknown as { __pwned?: number }).__pwned,
    ),
  ).toBeUndefined();
  expect(problems).toEqual([]);
  expect(await cspViolations(page)).toEqual([]);
});

test("markup in error messages renders as text", async () => {
  const { page, problems } = await openApp(suite.browser(), suite.url(), {
    rows: 5,
    failures: { open_record: { kind: "io", message: HOSTILE_TEXT } },
  });
  await page.locator('.row[aria-posinset="1"] .row-button').click();
  await page.getByRole("button", { name: "Open in Sell" }).click();

  const error = page.locator(".detail-error");
  await expect.poll(() => error.textContent()).toBe(HOSTILE_TEXT);
  expect(await page.locator("img").count()).toBe(0);
  expect(problems).toEqual([]);
});

test("markup in status and keyring problem renders as text", async () => {
  const { page, problems } = await openApp(suite.browser(), suite.url(), {
    tokenStatus: {
      set: false,
      store: null,
      keyring: { usable: false, problem: HOSTILE_TEXT },
    },
  });
  await page.locator(".problem").waitFor();

  expect(await page.locator(".problem q").textContent()).toBe(HOSTILE_TEXT);
  expect(await page.locator("img").count()).toBe(0);
  expect(problems).toEqual([]);
});
