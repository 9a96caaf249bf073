import { expect, test } from "vitest";
import type { Status } from "../../src/ipc";
import { artifactPath, callsOf, openApp, useBrowser } from "./harness";

const suite = useBrowser();

const NO_TOKEN = {
  set: false,
  store: null,
  keyring: { usable: true, problem: null },
};

test("setup explains the token and connects", async () => {
  const { page, problems } = await openApp(suite.browser(), suite.url(), {
    tokenStatus: NO_TOKEN,
  });
  await page.getByRole("heading", { name: "Connect to Sell" }).waitFor();

  expect(await page.locator("main").textContent()).toContain(
    "Settings › Integrations › OAuth › Access Tokens",
  );
  expect(await page.locator(".app-nav").isHidden()).toBe(true);
  const input = page.getByLabel("Personal access token");
  expect(await input.getAttribute("type")).toBe("password");
  await page.screenshot({ path: artifactPath("setup.png") });

  await input.fill("abc123");
  await page.getByRole("button", { name: "Connect" }).click();

  await page.getByLabel("Search changes").waitFor();
  expect(await callsOf(page, "token_set")).toEqual([
    { token: "abc123", memoryOnly: false },
  ]);
  expect(problems).toEqual([]);
});

test.each([
  ["rejected", "Sell rejected this token."],
  ["forbidden", "Firehose needs the Sell Growth plan or above"],
  ["unreachable", "Sell could not be reached."],
  ["keyring", "No usable keyring was found"],
])("setup error %s in plain words", async (kind, text) => {
  const { page } = await openApp(suite.browser(), suite.url(), {
    tokenStatus: NO_TOKEN,
    failures: { token_set: { kind, message: `backend says ${kind}` } },
  });
  await page.getByLabel("Personal access token").fill("abc123");
  await page.getByRole("button", { name: "Connect" }).click();

  const alert = page.locator(".token-form [role=alert]");
  await expect.poll(() => alert.textContent()).toContain(text);
  expect(await alert.textContent()).toContain(`backend says ${kind}`);
  expect(
    await page.getByLabel("Personal access token").getAttribute("aria-invalid"),
  ).toBe("true");
});

test("keyring error offers memory only", async () => {
  const { page } = await openApp(suite.browser(), suite.url(), {
    tokenStatus: NO_TOKEN,
    failures: { token_set: { kind: "keyring", message: "no secret service" } },
  });
  await page.getByLabel("Personal access token").fill("abc123");
  await page.getByRole("button", { name: "Connect" }).click();
  const keep = page.getByRole("button", {
    name: "Keep in memory for this run",
  });
  await keep.waitFor();

  await page.evaluate(() => delete window.__dealwatchMock!.failures.token_set);
  await keep.click();

  await page.getByLabel("Search changes").waitFor();
  expect(await callsOf(page, "token_set")).toEqual([
    { token: "abc123", memoryOnly: false },
    { token: "abc123", memoryOnly: true },
  ]);
});

test("no keyring screen explains and keeps the token in memory", async () => {
  const { page, problems } = await openApp(suite.browser(), suite.url(), {
    tokenStatus: {
      set: false,
      store: null,
      keyring: {
        usable: false,
        problem:
          "org.freedesktop.secrets was not provided by any service files",
      },
    },
  });
  await page.getByRole("heading", { name: "No keyring available" }).waitFor();
  const text = await page.locator("main").textContent();
  expect(text).toContain("org.freedesktop.secrets was not provided");
  expect(text).toContain("GNOME Keyring, KWallet or KeePassXC");
  const controls = await page
    .locator("main button, main label")
    .allTextContents();
  expect(controls.filter((control) => /file|disk/i.test(control))).toEqual([]);
  await page.screenshot({ path: artifactPath("no-keyring.png") });

  await page.getByRole("button", { name: "Try again" }).click();
  await expect
    .poll(() => page.locator("main [role=alert]").first().textContent())
    .toBe("The keyring is still unavailable.");

  await page.getByLabel("Personal access token").fill("abc123");
  await page.getByRole("button", { name: "Use for this run" }).click();
  await page.getByLabel("Search changes").waitFor();
  expect(await callsOf(page, "token_set")).toEqual([
    { token: "abc123", memoryOnly: true },
  ]);
  expect(problems).toEqual([]);
});

test("demo starts from setup", async () => {
  const { page } = await openApp(suite.browser(), suite.url(), {
    tokenStatus: NO_TOKEN,
    rows: 30,
  });
  await page.getByRole("button", { name: "Try the demo" }).click();

  await page.locator(".row:not(.placeholder)").first().waitFor();
  expect(await callsOf(page, "start_demo")).toHaveLength(1);
  expect(await page.locator(".demo-badge").isVisible()).toBe(true);
});

test("navigate event switches screens", async () => {
  const { page } = await openApp(suite.browser(), suite.url(), { rows: 10 });
  await page.getByLabel("Search changes").waitFor();

  await page.evaluate(() =>
    window.__dealwatchMock!.emit("dealwatch:navigate", "about"),
  );
  await page.getByText("Version 0.1.0").waitFor();
  expect(
    await page
      .getByRole("button", { name: "About" })
      .getAttribute("aria-current"),
  ).toBe("page");
});

const NOW = () => new Date();

const STATES: [string, Partial<Status>, string, string[]][] = [
  ["ok", { state: "ok" }, "Connected", ["Check now", "Pause"]],
  [
    "backing off",
    {
      state: "backing_off",
      retryAt: new Date(NOW().getTime() + 40_000).toISOString(),
    },
    "Sell is not answering",
    ["Check now"],
  ],
  [
    "rate limited",
    { state: "rate_limited" },
    "Rate limited by Sell",
    ["Poll less often"],
  ],
  ["offline", { state: "offline" }, "Offline", ["Check now"]],
  [
    "token rejected",
    { state: "token_rejected" },
    "Token rejected",
    ["Replace token"],
  ],
  [
    "forbidden",
    { state: "forbidden" },
    "No Firehose access",
    ["Replace token"],
  ],
  ["paused", { state: "ok", paused: true }, "Paused", ["Resume"]],
];

test.each(STATES)("status bar %s", async (_name, change, label, actions) => {
  const { page } = await openApp(suite.browser(), suite.url(), { rows: 5 });
  await page.getByLabel("Search changes").waitFor();
  await page.evaluate(
    (status) =>
      window.__dealwatchMock!.emit("dealwatch:status", {
        ...window.__dealwatchMock!.status,
        ...status,
      }),
    change,
  );

  const bar = page.getByRole("contentinfo");
  await expect
    .poll(() => bar.locator(".status-label").textContent())
    .toBe(label);
  expect(await bar.locator(".status-actions button").allTextContents()).toEqual(
    actions,
  );
});

test("status actions call the backend", async () => {
  const { page } = await openApp(suite.browser(), suite.url(), { rows: 5 });
  const bar = page.getByRole("contentinfo");
  await bar.getByRole("button", { name: "Check now" }).click();
  await expect.poll(() => callsOf(page, "check_now")).toHaveLength(1);

  await bar.getByRole("button", { name: "Pause" }).click();
  await expect
    .poll(() => callsOf(page, "set_paused"))
    .toEqual([{ paused: true }]);
  await bar.getByRole("button", { name: "Resume" }).click();
  await expect
    .poll(() => callsOf(page, "set_paused"))
    .toEqual([{ paused: true }, { paused: false }]);
});

test("replace token action opens the token settings", async () => {
  const { page } = await openApp(suite.browser(), suite.url(), {
    rows: 5,
    status: { state: "token_rejected" },
  });
  await page
    .getByRole("contentinfo")
    .getByRole("button", { name: "Replace token" })
    .click();

  await page.getByRole("heading", { name: "Access token" }).waitFor();
  expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(
    "Access token",
  );
});

test("gap notice shows its time and dismisses", async () => {
  const { page, problems } = await openApp(suite.browser(), suite.url(), {
    rows: 5,
    status: {
      gap: {
        since: "2026-03-15T09:00:00Z",
        detectedAt: "2026-03-15T11:00:00Z",
      },
    },
  });
  const notice = page.locator(".gap-notice");
  await notice.waitFor();
  expect(await notice.textContent()).toMatch(/Changes since .* may be missing/);
  expect(await notice.locator("time").getAttribute("datetime")).toBe(
    "2026-03-15T11:00:00Z",
  );
  await page.screenshot({ path: artifactPath("history-gap.png") });

  await notice.getByRole("button", { name: "Dismiss" }).click();
  await notice.waitFor({ state: "hidden" });
  expect(await callsOf(page, "dismiss_gap")).toHaveLength(1);
  expect(problems).toEqual([]);
});

test("keyboard reaches every control with visible focus", async () => {
  const { page } = await openApp(suite.browser(), suite.url(), { rows: 20 });
  await page.locator(".row:not(.placeholder)").first().waitFor();
  await page.getByRole("button", { name: /^History/ }).focus();

  const seen: string[] = [];
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press("Tab");
    const info = await page.evaluate(() => {
      const element = document.activeElement as HTMLElement;
      if (element === document.body) {
        // Past the last control, focus leaves the page for the browser.
        return null;
      }
      const style = getComputedStyle(element);
      return {
        name:
          element.getAttribute("aria-label") ??
          element.textContent?.trim().slice(0, 20) ??
          element.tagName,
        outline: style.outlineStyle,
      };
    });
    if (info === null) {
      continue;
    }
    seen.push(info.name);
    expect(info.outline, `focus outline on ${info.name}`).not.toBe("none");
  }
  expect(seen).toContain("Settings");
  expect(seen).toContain("Mark all read");
  expect(seen).toContain("Check now");
  expect(seen.some((name) => name.startsWith("Deal"))).toBe(true);
});
