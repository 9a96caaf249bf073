import type { Theme } from "./ipc";

/**
 * Applies a theme to the document. "system" follows `prefers-color-scheme`
 * through the stylesheet; "light" and "dark" override it.
 */
export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
}
