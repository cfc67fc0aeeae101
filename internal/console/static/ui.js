// Small DOM helpers. Every value from the API is put in the page as text
// (textContent), never as HTML: the page's CSP refuses HTML from strings.
import { isConflict } from './api.js';
import { countLabels, known, label, runStatusLabels, scopeOpLabels } from './labels.js';

// h builds an element: h('p', {class: 'x'}, 'text', child, ...). Attributes
// whose value is false, null or undefined are left out; on* functions
// become listeners.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'class') {
      el.className = v;
    } else if (k === 'value' || k === 'checked' || k === 'selected') {
      el[k] = v;
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// replace empties el and fills it with children.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let ids = 0;
export function uid(prefix) {
  ids += 1;
  return `${prefix}-${ids}`;
}

// countsText sums up a run's counts in a line: what it changed, what it
// left out and its problems (zeros left out, but never "nothing").
export function countsText(c) {
  if (!c) return '';
  const parts = [
    [c.created, 'new'], [c.updated, 'updated'], [c.closed, 'closed'], [c.reactivated, 'reactivated'],
    [c.outOfScope, 'out of scope'], [c.errors, c.errors === 1 ? 'error' : 'errors'],
    [c.warnings, c.warnings === 1 ? 'warning' : 'warnings'],
  ].filter(([n]) => n > 0).map(([n, w]) => `${n} ${w}`);
  return parts.length ? parts.join(', ') : 'no changes';
}

// Scope rules leave PeopleHR records out of the programme.
export function scopeRuleText(r) {
  const op = label(scopeOpLabels, r.op);
  return `${r.source} ${op} ${(r.values || []).map((v) => `“${v}”`).join(', ')}`;
}

export function finished(status) {
  return !['queued', 'running'].includes(status);
}

// badge shows a word's label in a badge coloured by the class prefix+word;
// a word this page does not know is shown as text, without a colour.
export function badge(table, word, prefix) {
  return h('span', { class: `badge ${prefix}${known(table, word) ? word : 'unknown'}` }, label(table, word));
}

export function statusBadge(status) {
  return badge(runStatusLabels, status, 'badge-');
}

// when formats an RFC 3339 time in the given IANA zone (the integration's),
// naming the zone, or says "not yet".
export function when(iso, timeZone, empty = '—') {
  if (!iso) return empty;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  try {
    return new Intl.DateTimeFormat('en-GB', {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: timeZone || undefined,
    }).format(d) + (timeZone ? ` (${timeZone})` : '');
  } catch {
    return d.toISOString();
  }
}

export function day(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' }).format(d);
}

const weekdayNames = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
export { weekdayNames };

export function capital(s) {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

export function scheduleText(s) {
  if (!s) return '—';
  const at = s.timeOfDay || '';
  switch (s.frequency) {
    case 'hourly':
      return `Every hour at :${at.slice(3, 5) || '00'} (${s.timeZone})`;
    case 'daily':
      return `Every day at ${at} (${s.timeZone})`;
    case 'weekly':
      return `Every ${capital(s.weekday || '')} at ${at} (${s.timeZone})`;
  }
  return s.frequency || '—';
}

// countsTable shows a run's or a preview's counts.
export function countsTable(counts, caption, id) {
  return h('table', { class: 'counts', id },
    h('caption', {}, caption),
    h('tbody', {}, Object.entries(countLabels).map(([k, text]) =>
      h('tr', { 'data-count': k }, h('th', { scope: 'row' }, text), h('td', {}, String((counts && counts[k]) || 0))))));
}

// Messages: a notice at the top of a view. Errors take role=alert and the
// focus, so keyboard and screen-reader users hear them at once.
export function notice(kind, title, ...body) {
  const el = h('div', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status', tabindex: '-1' },
    title ? h('h2', { class: 'notice-title' }, title) : null, ...body);
  return el;
}

// conflictNotice tells the admin that someone saved the integration after
// this page read it, so their change was refused, and offers to read it
// again (reload shows the view afresh; what they typed is not kept). The
// API's own message says the same in words for any client: not repeated.
export function conflictNotice(err, reload) {
  return notice('error', 'Someone else saved first',
    h('p', { id: 'conflict-message' }, 'Someone saved this integration after this page showed it, so nothing you changed here was saved. Reload to see their version, then make your change again.'),
    err.requestId ? h('p', { class: 'hint' }, `Request id: ${err.requestId}`) : null,
    h('p', {}, h('button', { type: 'button', class: 'button secondary', id: 'conflict-reload', onclick: reload }, 'Reload')));
}

// saveRefusedNotice says why a save was refused: someone saved first
// (with the offer to reload), or the API's own words under title.
export function saveRefusedNotice(err, title, reload) {
  return isConflict(err) ? conflictNotice(err, reload) : errorNotice(err, title);
}

export function errorNotice(err, title = 'That did not work') {
  const list = err.details && err.details.length
    ? h('ul', {}, err.details.map((d) => h('li', {}, d.field ? `${d.field}: ${d.message}` : d.message)))
    : null;
  return notice('error', title, h('p', {}, err.message), list,
    err.requestId ? h('p', { class: 'hint' }, `Request id: ${err.requestId}`) : null);
}

// busy marks a button as working while fn runs, and stops double clicks.
export async function busy(button, label, fn) {
  const old = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = label;
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = old;
  }
}

// confirmDialog asks a yes/no question in a modal dialog and answers true
// for yes. Escape or Cancel answers false; the focus goes back where it was.
export function confirmDialog({ title, body, yes, danger = false }) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const titleId = uid('confirm-title');
    const dialog = h('dialog', { class: 'modal', 'aria-labelledby': titleId, id: 'confirm-dialog' },
      h('h2', { id: titleId }, title),
      h('p', {}, body),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: danger ? 'button danger' : 'button', id: 'confirm-yes', value: 'yes',
          onclick: () => dialog.close('yes') }, yes),
        h('button', { type: 'button', class: 'button secondary', id: 'confirm-no', autofocus: true,
          onclick: () => dialog.close('no') }, 'Cancel')));
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener && opener.isConnected) opener.focus();
      resolve(dialog.returnValue === 'yes');
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

// svgEl builds an SVG element as h builds an HTML one: attributes are set as
// SVG presentation attributes (never a style), children as text.
const svgNS = 'http://www.w3.org/2000/svg';
export function svgEl(tag, attrs = {}, ...children) {
  const el = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

// dayOf is the calendar day (yyyy-mm-dd) of an RFC 3339 time in the given
// IANA zone, '' for no time.
export function dayOf(iso, timeZone) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  try {
    return new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: timeZone || undefined }).format(d);
  } catch {
    return d.toISOString().slice(0, 10);
  }
}
