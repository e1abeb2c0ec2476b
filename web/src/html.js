// One way to build HTML from strings: the html`...` tagged template escapes every interpolated
// value, so a name, code or server message can never become markup. Nested html`...` results and
// arrays of them are inserted as they are; raw() marks a string as already-safe markup (use it only
// for fixed strings written in this code base).

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escaped markup; String(x) (or assigning it to innerHTML) yields the HTML text. */
export class SafeHtml {
  constructor(s) {
    this.s = s;
  }
  toString() {
    return this.s;
  }
}

function render(v) {
  if (v instanceof SafeHtml) return v.s;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === undefined || v === null || v === false || v === true) return '';
  return String(v).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Tagged template: html`<b>${name}</b>` escapes name; null, undefined and booleans render as ''. */
export function html(strings, ...values) {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new SafeHtml(out);
}

/** Marks a fixed, trusted string as markup (never pass data to it). */
export const raw = (s) => new SafeHtml(String(s));
