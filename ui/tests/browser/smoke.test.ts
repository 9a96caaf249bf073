import { afterAll, beforeAll, expect, test } from "vitest";
import type { Browser } from "playwright-core";
import { artifactPath, launchBrowser, openApp, startServer } from "./harness";

let browser: Browser;
let server: { url: string; close: () => Promise<void> };

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test("smoke", async () => {
  const { page, problems } = await openApp(browser, server.url, { rows: 300 });
  await page.locator(".row .row-name").first().waitFor();
  await page.screenshot({ path: artifactPath("smoke.png") });
  expect(problems).toEqual([]);
});
