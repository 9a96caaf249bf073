import { describe, expect, test } from "vitest";
import { tokenErrorText } from "./token-form";

describe("tokenErrorText", () => {
  test.each([
    ["rejected", /Sell rejected this token/],
    ["forbidden", /Growth plan or above.*root user/],
    ["unreachable", /could not be reached/],
    ["keyring", /No usable keyring/],
    ["invalid", /does not look like/],
    ["something_new", /could not be saved/],
  ])("%s", (kind, expected) => {
    expect(tokenErrorText({ kind, message: "backend text" })).toMatch(expected);
  });
});
