// Static checks on the production build and the sources: what the CSP and the
// text-only rendering rule forbid must not be there at all.

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { DIST_DIR } from "./harness";

function filesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

const html = () => readFileSync(join(DIST_DIR, "index.html"), "utf8");
const scripts = () =>
  filesUnder(DIST_DIR)
    .filter((file) => file.endsWith(".js"))
    .map((file) => readFileSync(file, "utf8"));

test("index.html has no inline script or style", () => {
  const page = html();
  const scriptTags = page.match(/<script\b[^>]*>/g) ?? [];
  expect(scriptTags.length).toBeGreaterThan(0);
  expect(scriptTags.filter((tag) => !/\bsrc=/.test(tag))).toEqual([]);
  expect(page).not.toMatch(/<style\b/);
  expect(page).not.toMatch(/\sstyle=/);
  expect(page).not.toMatch(/\son[a-z]+=/);
});

test("build loads nothing from the network", () => {
  const page = html();
  expect(page).not.toMatch(/(src|href)="(https?:)?\/\//);
  for (const code of scripts()) {
    expect(code).not.toMatch(/\bfetch\(|XMLHttpRequest|WebSocket|EventSource/);
  }
  for (const file of filesUnder(DIST_DIR).filter((name) =>
    name.endsWith(".css"),
  )) {
    expect(readFileSync(file, "utf8")).not.toMatch(
      /@import|url\(\s*["']?(https?:)?\/\//,
    );
  }
});

test("build contains no mock backend", () => {
  for (const code of scripts()) {
    expect(code).not.toContain("__dealwatchMock");
    expect(code).not.toContain("__DEALWATCH_MOCK_CONFIG__");
    expect(code).not.toContain("mockIPC");
  }
});

test("sources never parse data as HTML", () => {
  const sourceDir = join(DIST_DIR, "../src");
  const sources = filesUnder(sourceDir).filter(
    (file) => file.endsWith(".ts") && !file.endsWith(".test.ts"),
  );
  expect(sources.length).toBeGreaterThan(5);
  for (const file of sources) {
    const code = readFileSync(file, "utf8");
    expect(code, file).not.toMatch(
      /\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(/,
    );
  }
});
