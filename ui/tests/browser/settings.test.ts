import { expect, test } from "vitest";
import type { Settings } from "../../src/ipc";
import { DEFAULT_SETTINGS } from "../mock/fixtures";
import { artifactPath, callsOf, openApp, useBrowser } from "./harness";

const suite = useBrowser();

test("settings round trip", async () => {
  const { page, problems } = await openApp(suite.browser(), suite.url(), {
    rows: 10,
  });
  await page.getByRole("button", { name: "Settings" }).click();
  await page.getByRole("button", { name: "Save" }).waitFor();

  // The form shows the stored settings.
  expect(await page.getByLabel("Check Sell every").inputValue()).toBe("30");
  expect(await page.getByRole("checkbox", { name: "Deals" }).isChecked()).toBe(
    true,
  );
  expect(
    await page.getByRole("checkbox", { name: "Contacts" }).isChecked(),
  ).toBe(false);
  expect(await page.getByLabel("Fields to ignore").inputValue()).toBe(
    "last_activity_at",
  );

  await page.getByRole("checkbox", { name: "Contacts" }).check();
  await page.getByRole("checkbox", { name: "Leads" }).uncheck();
  await page.getByLabel("Check Sell every").fill("120");
  await page.getByRole("checkbox", { name: "Only for records I own" }).check();
  await page.locator("summary", { hasText: "Pipelines and stages" }).click();
  await page.getByRole("checkbox", { name: "Renewals" }).check();
  await page.getByRole("checkbox", { name: "Negotiation" }).check();
  await page.getByLabel("Minimum deal value").fill("2500.50");
  await page
    .getByLabel("Fields to ignore")
    .fill("last_activity_at, updated_at");
  await page.getByRole("checkbox", { name: "Quiet hours" }).check();
  await page.getByLabel("From").fill("21:30");
  await page.getByLabel("Until").fill("06:45");
  await page.getByLabel(/Summarize when/).fill("8");
  await page.getByLabel("Sell web address").fill("https://sell.example.test");
  await page
    .getByRole("checkbox", { name: "Start Dealwatch when I sign in" })
    .check();
  await page.getByRole("radio", { name: "Dark" }).check();
  await page.getByRole("button", { name: "Save" }).click();

  await expect
    .poll(() => page.locator(".save-status").textContent())
    .toBe("Settings saved.");
  const expected: Settings = {
    streams: ["deals", "contacts"],
    pollIntervalSecs: 120,
    notifications: {
      enabled: true,
      onlyMine: true,
      ignoreOwnChanges: true,
      pipelineIds: [2],
      stageIds: [22],
      minValue: "2500.50",
      ignoredFields: ["last_activity_at", "updated_at"],
      quietHours: { enabled: true, start: "21:30", end: "06:45" },
      burstThreshold: 8,
    },
    webUrl: "https://sell.example.test",
    startAtLogin: true,
    theme: "dark",
  };
  expect(await callsOf(page, "settings_set")).toEqual([{ settings: expected }]);

  // The theme applies at once, without a restart.
  expect(
    await page.evaluate(() => document.documentElement.dataset.theme),
  ).toBe("dark");

  // Leaving and coming back shows what the backend stored.
  await page.getByRole("button", { name: "About" }).click();
  await page.getByRole("button", { name: "Settings" }).click();
  await page.getByRole("button", { name: "Save" }).waitFor();
  expect(await page.getByLabel("Check Sell every").inputValue()).toBe("120");
  expect(await page.getByLabel("Minimum deal value").inputValue()).toBe(
    "2500.50",
  );
  expect(await page.getByRole("radio", { name: "Dark" }).isChecked()).toBe(
    true,
  );
  await page.screenshot({
    path: artifactPath("settings-dark.png"),
    fullPage: true,
  });
  expect(problems).toEqual([]);
});

test("settings validation blocks save", async () => {
  const { page, problems } = await openApp(suite.browser(), suite.url(), {
    rows: 10,
  });
  await page.getByRole("button", { name: "Settings" }).click();
  await page.getByRole("button", { name: "Save" }).waitFor();

  const interval = page.getByLabel("Check Sell every");
  await interval.fill("1");
  await page.getByLabel("Minimum deal value").fill("1,000");
  await page.getByRole("button", { name: "Save" }).click();

  expect(await interval.getAttribute("aria-invalid")).toBe("true");
  expect(
    await page.evaluate(() =>
      document.activeElement?.getAttribute("aria-invalid"),
    ),
  ).toBe("true");
  const errors = await page.locator(".field-error").allTextContents();
  expect(errors.filter((text) => text !== "")).toHaveLength(2);
  expect(await callsOf(page, "settings_set")).toEqual([]);

  await interval.fill("600");
  await page.getByLabel("Minimum deal value").fill("");
  await page.getByRole("button", { name: "Save" }).click();
  await expect.poll(() => callsOf(page, "settings_set")).toHaveLength(1);
  expect(problems).toEqual([]);
});

test("settings error from the backend is shown", async () => {
  const { page } = await openApp(suite.browser(), suite.url(), {
    rows: 10,
    failures: {
      settings_set: {
        kind: "invalid",
        message: "The poll interval is below 2 seconds.",
      },
    },
  });
  await page.getByRole("button", { name: "Settings" }).click();
  await page.getByRole("button", { name: "Save" }).click();

  await expect
    .poll(() => page.locator(".save-status").textContent())
    .toBe("Could not save the settings: The poll interval is below 2 seconds.");
});

test("token section never shows the token", async () => {
  const { page } = await openApp(suite.browser(), suite.url(), { rows: 10 });
  await page.getByRole("button", { name: "Settings" }).click();

  const section = page.locator("section.card").first();
  expect(await section.textContent()).toContain(
    "A token is set and kept in the system keyring.",
  );
  await page.getByRole("button", { name: "Replace token" }).click();
  const input = page.getByLabel("Personal access token");
  expect(await input.getAttribute("type")).toBe("password");
  expect(await input.inputValue()).toBe("");

  await input.fill("new-secret-token");
  await page.getByRole("button", { name: "Replace", exact: true }).click();
  await expect
    .poll(() => callsOf(page, "token_set"))
    .toEqual([{ token: "new-secret-token", memoryOnly: false }]);
  expect(await page.content()).not.toContain("new-secret-token");
});

test("token removal asks first and returns to setup", async () => {
  const { page } = await openApp(suite.browser(), suite.url(), { rows: 10 });
  await page.getByRole("button", { name: "Settings" }).click();

  await page.getByRole("button", { name: "Remove token" }).click();
  expect(await callsOf(page, "token_clear")).toEqual([]);
  await page.getByRole("button", { name: "Remove", exact: true }).click();

  await page.getByRole("heading", { name: "Connect to Sell" }).waitFor();
  expect(await callsOf(page, "token_clear")).toHaveLength(1);
});

test("settings keep untouched pipelines when options fail", async () => {
  const { page } = await openApp(suite.browser(), suite.url(), {
    rows: 10,
    settings: {
      ...DEFAULT_SETTINGS,
      notifications: { ...DEFAULT_SETTINGS.notifications, pipelineIds: [7] },
    },
    failures: {
      filter_options: { kind: "store", message: "database is locked" },
    },
  });
  await page.getByRole("button", { name: "Settings" }).click();
  await page
    .getByText("Could not load pipelines: database is locked")
    .waitFor();

  await page.getByRole("button", { name: "Save" }).click();
  await expect.poll(() => callsOf(page, "settings_set")).toHaveLength(1);
  const [call] = (await callsOf(page, "settings_set")) as {
    settings: Settings;
  }[];
  expect(call.settings.notifications.pipelineIds).toEqual([7]);
});
