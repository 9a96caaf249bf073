// A small element builder. Text always goes through `textContent` and
// attributes through `setAttribute`, so data from Sell is never parsed as
// HTML. Nothing in the UI uses `innerHTML`.

export type Child = Node | string | null | undefined | false;

export type Attributes = {
  [name: string]:
    string | number | boolean | null | undefined | ((event: Event) => void);
};

/**
 * Creates an element. Attributes whose name starts with "on" become event
 * listeners, `true` sets an empty attribute, and false, null or undefined
 * leave it out. String children become text nodes.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);

  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === "function") {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === "style") {
      throw new Error(
        "Set styles through element.style; the CSP rejects style attributes.",
      );
    } else if (value === true) {
      element.setAttribute(name, "");
    } else if (value !== false && value !== null && value !== undefined) {
      element.setAttribute(name, String(value));
    }
  }

  append(element, ...children);
  return element;
}

/** Appends children, turning strings into text nodes. */
export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    parent.appendChild(
      typeof child === "string" ? document.createTextNode(child) : child,
    );
  }
}

/** Replaces all children of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

let nextId = 0;

/** Returns a document-unique id with the given prefix, for label and ARIA links. */
export function uniqueId(prefix: string): string {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/** Calls `callback` once calls have stopped for `waitMs` milliseconds. */
export function debounce<A extends unknown[]>(
  callback: (...args: A) => void,
  waitMs: number,
): (...args: A) => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (...args: A) => {
    if (timer !== undefined) {
      clearTimeout(timer);
    }
    timer = setTimeout(() => {
      timer = undefined;
      callback(...args);
    }, waitMs);
  };
}

/** Sets the text of a polite live region so screen readers read it out. */
export function announce(region: HTMLElement, message: string): void {
  // Clearing first makes a repeat of the same message count as a change.
  region.textContent = "";
  window.setTimeout(() => {
    region.textContent = message;
  }, 50);
}
