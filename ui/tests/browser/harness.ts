// Shared setup for the browser tests: a static server for dist/ on 127.0.0.1
// that sends the app's Content Security Policy, headless Chromium driven by
// playwright-core, and the mock backend injected before the app loads.

import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Page,
} from "playwright-core";
import { afterAll, afterEach, beforeAll } from "vitest";
import { build } from "vite";
import type { MockConfig } from "../mock/backend";

const UI_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const DIST_DIR = join(UI_DIR, "dist");
export const ARTIFACTS_DIR = resolve(UI_DIR, "../artifacts/ui");

/** The policy the Tauri window applies; the built page must run under it unchanged. */
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src ipc: http://ipc.localhost; object-src 'none'; base-uri 'none'; " +
  "form-action 'none'; frame-ancestors 'none'";

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

/** Serves dist/ on an ephemeral port of 127.0.0.1. */
export async function startServer(): Promise<{
  url: string;
  close: () => Promise<void>;
}> {
  if (!existsSync(join(DIST_DIR, "index.html"))) {
    throw new Error(
      `${DIST_DIR}/index.html is missing. Run "npm run build" before the browser tests.`,
    );
  }
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://127.0.0.1").pathname;
    const relative = normalize(path === "/" ? "/index.html" : path);
    const file = join(DIST_DIR, relative);
    if (!file.startsWith(DIST_DIR) || !existsSync(file)) {
      response.writeHead(404, { "content-type": "text/plain" });
      response.end("not found");
      return;
    }
    response.writeHead(200, {
      "content-type":
        CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
      "content-security-policy": CSP,
      "cache-control": "no-store",
    });
    response.end(readFileSync(file));
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

let mockScript: Promise<string> | null = null;

/** Bundles tests/mock/install.ts into one classic script for `addInitScript`. */
export function mockBackendScript(): Promise<string> {
  mockScript ??= (async () => {
    const output = await build({
      configFile: false,
      logLevel: "silent",
      root: UI_DIR,
      build: {
        write: false,
        minify: false,
        lib: {
          entry: join(UI_DIR, "tests/mock/install.ts"),
          formats: ["iife"],
          name: "DealwatchMock",
        },
      },
    });
    const result = Array.isArray(output) ? output[0] : output;
    if (!("output" in result)) {
      throw new Error(
        "Bundling the mock backend returned a watcher instead of code.",
      );
    }
    return result.output[0].code;
  })();
  return mockScript;
}

export async function launchBrowser(): Promise<Browser> {
  // playwright-core gives every launch a fresh temporary profile (--user-data-dir).
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Contexts of the running test, closed after it. */
const openContexts = new Set<BrowserContext>();

export type AppPage = {
  page: Page;
  /** Uncaught errors, console errors and CSP violations seen so far. */
  problems: string[];
};

export type OpenOptions = {
  width?: number;
  height?: number;
  colorScheme?: "light" | "dark";
};

/** Opens the built app with the mock backend configured by `config`. */
export async function openApp(
  browser: Browser,
  baseUrl: string,
  config: MockConfig = {},
  options: OpenOptions = {},
): Promise<AppPage> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 420, height: options.height ?? 640 },
    colorScheme: options.colorScheme ?? "light",
  });
  openContexts.add(context);
  const page = await context.newPage();
  // Fail a step well before the test's own timeout, so the error names it.
  page.setDefaultTimeout(5_000);
  const problems: string[] = [];

  // Only the test server may be reached; anything else is a failure.
  await page.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === "127.0.0.1") {
      return route.continue();
    }
    problems.push(`request to ${url.href}`);
    return route.abort();
  });
  page.on("pageerror", (error) =>
    problems.push(`page error: ${error.message}`),
  );
  page.on("console", (message) => {
    if (message.type() === "error") {
      problems.push(`console error: ${message.text()}`);
    }
  });
  page.on("dialog", (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });

  await page.addInitScript((mockConfig) => {
    window.__DEALWATCH_MOCK_CONFIG__ = mockConfig;
    document.addEventListener("securitypolicyviolation", (event) => {
      const list = ((
        window as unknown as { __cspViolations?: string[] }
      ).__cspViolations ??= []);
      list.push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  }, config);
  await page.addInitScript({ content: await mockBackendScript() });

  await page.goto(baseUrl);
  return { page, problems };
}

/** Returns CSP violations the page reported. */
export function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(
    () =>
      (window as unknown as { __cspViolations?: string[] }).__cspViolations ??
      [],
  );
}

/** Records of one command's calls, as the mock saw them. */
export function callsOf(page: Page, cmd: string): Promise<unknown[]> {
  return page.evaluate((name) => window.__dealwatchMock!.callsOf(name), cmd);
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return join(ARTIFACTS_DIR, name);
}

/**
 * Registers hooks that start the static server and Chromium before the file's
 * tests and stop both after them.
 */
export function useBrowser(): { browser: () => Browser; url: () => string } {
  let browser: Browser | undefined;
  let server: Awaited<ReturnType<typeof startServer>> | undefined;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  afterEach(async () => {
    await Promise.all([...openContexts].map((context) => context.close()));
    openContexts.clear();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  return {
    browser: () => browser!,
    url: () => server!.url,
  };
}
