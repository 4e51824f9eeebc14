/**
 * The one way the console puts things on screen. Children are text or elements; text always
 * goes in through `textContent`/text nodes, so a value like `<img src=x onerror=alert(1)>`
 * is shown as those characters and never parsed as markup. There is no innerHTML anywhere.
 */
export type Child = Node | string | number | null | undefined | false;

type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') {
      el.addEventListener(name.replace(/^on/, ''), value);
    } else if (name === 'class') {
      el.className = String(value);
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replaces every child of `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** A labelled form control: `<label>text <control></label>`, so every control has a name. */
export function labelled(text: string, control: HTMLElement): HTMLLabelElement {
  return h('label', { class: 'field' }, h('span', {}, text), control);
}

export function select(options: Array<[value: string, text: string]>, value: string, onChange: (value: string) => void): HTMLSelectElement {
  const el = h('select', { onchange: () => onChange(el.value) });
  for (const [v, t] of options) el.appendChild(h('option', { value: v }, t));
  el.value = value;
  return el;
}

/** A message line for errors and empty states; `role=alert` for errors so screen readers hear them. */
export function message(text: string, kind: 'error' | 'info' = 'info'): HTMLElement {
  return h('p', { class: `msg msg-${kind}`, role: kind === 'error' ? 'alert' : null }, text);
}
