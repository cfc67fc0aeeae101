// Exports for audit and the audit trail of admin actions. An export is
// written while its request runs; the page polls the list of exports
// meanwhile to show its progress, then offers its short-lived link.
import { api, ApiError } from './api.js';
import { h, replace, notice, errorNotice, when, day, dayOf } from './ui.js';
import { auditActionLabels, exportFormatLabels, exportKindLabels, exportStatusLabels, label } from './labels.js';
import { pager } from './members.js';

const pollEvery = 400;
const trailPageSize = 25;

export async function auditView(ctx) {
  const [{ integration: integ }, recent] = await Promise.all([api.integration(), api.exports()]);
  if (ctx.signal.aborted) return;
  const tz = integ.settings.timeZone;
  const progress = h('div', { id: 'export-progress-wrap', hidden: true },
    h('p', { id: 'export-phase', class: 'phase', 'aria-live': 'polite' }),
    h('progress', { id: 'export-progress', 'aria-labelledby': 'export-phase', 'aria-describedby': 'export-count' }),
    h('p', { id: 'export-count', class: 'hint' }));
  const result = h('div', { id: 'export-result' });
  const list = h('div', { id: 'exports-list', class: 'table-wrap' });
  const trail = h('div', { id: 'audit-page', class: 'table-wrap' });
  const pages = pager('audit', ['Newer entries', 'Older entries', ['entry', 'entries'], 'Audit trail pages'], async (cursor) => {
    const page = await api.auditTrail(cursor, trailPageSize, ctx.signal);
    return ctx.signal.aborted ? null : page;
  }, (items) => replace(trail, items.length ? trailTable(items, tz) : h('p', { id: 'audit-empty' }, 'No admin actions recorded yet.')));
  const showList = (items) => replace(list, items.length ? exportsTable(items, tz) : h('p', { id: 'exports-empty' }, 'No exports in the last day.'));

  const ui = { progress, result, showList, reloadTrail: () => pages.load(0) };
  const buttons = ['members', 'audit'].map((kind) => {
    const b = h('button', { type: 'button', class: 'button secondary', 'data-export': kind, id: `export-${kind}` }, `Export ${label(exportKindLabels, kind).toLowerCase()} (CSV)`);
    b.addEventListener('click', () => startExport(ctx, { kind }, controls, ui, tz));
    return b;
  });
  const today = dayOf(new Date().toISOString(), tz);
  const monthAgo = new Date(Date.parse(`${today}T00:00:00Z`) - 30 * 86400000).toISOString().slice(0, 10);
  const from = h('input', { type: 'date', id: 'log-from', value: monthAgo, max: today, required: true });
  const to = h('input', { type: 'date', id: 'log-to', value: today, max: today, required: true });
  const format = h('select', { id: 'log-format' }, Object.entries(exportFormatLabels).map(([v, text]) => h('option', { value: v }, text)));
  const logButton = h('button', { type: 'submit', class: 'button secondary', id: 'export-log' }, 'Export the log');
  const logForm = h('form', { id: 'log-export', novalidate: true },
    h('fieldset', {},
      h('legend', {}, 'Provisioning log of a period'),
      h('p', { class: 'hint', id: 'log-export-hint' }, 'What the imports queued on these days did to each member and every record they skipped, field by field (old and new value), by import then employee ID. CSV has a row a field changed; JSON lines a line a member per import.'),
      h('div', { class: 'field' }, h('label', { for: 'log-from' }, 'From'), from),
      h('div', { class: 'field' }, h('label', { for: 'log-to' }, 'To (included)'), to),
      h('div', { class: 'field' }, h('label', { for: 'log-format' }, 'Format'), format),
      logButton));
  logForm.addEventListener('submit', (e) => {
    e.preventDefault();
    startExport(ctx, { kind: 'log', from: from.value, to: to.value, format: format.value }, controls, ui, tz);
  });
  const controls = [...buttons, logButton];

  replace(ctx.main,
    h('h1', { tabindex: '-1' }, 'Exports and audit trail'),
    ctx.message ? notice('success', null, h('p', {}, ctx.message)) : null,
    h('p', { class: 'lead' }, 'Download the members or the audit trail as CSV for your records. Times are in ', tz, '.'),
    h('section', { 'aria-labelledby': 'exports-title', class: 'card', id: 'exports-card' },
      h('h2', { id: 'exports-title' }, 'Exports'),
      h('p', { class: 'hint' }, 'The members export holds the mapped fields and each member’s status with when they were invited, joined, left and are deleted. Cells a spreadsheet could run as formulas are made safe. An export is kept for a day; its download link works for 5 minutes, and a fresh one is made each time you open this page.'),
      h('div', { class: 'actions' }, buttons),
      logForm,
      progress, result,
      h('h3', {}, 'Exports of the last day'),
      list),
    h('section', { 'aria-labelledby': 'audit-title', class: 'card', id: 'audit-card' },
      h('h2', { id: 'audit-title' }, 'Audit trail'),
      h('p', { class: 'hint' }, 'Who did what, newest first: settings and mapping saved, keys added and revoked, listener URLs, imports started, approved or discarded, exports. Kept for 400 days.'),
      trail, ...pages.elements));
  showList(recent.items);
  await pages.load(0);
}

// startExport asks for an export and, while the request writes it, shows
// the progress the API saves on the export (newest of the list), then the
// link to the file.
async function startExport(ctx, body, buttons, ui, tz) {
  const { kind } = body;
  const what = label(exportKindLabels, kind).toLowerCase();
  const ext = label(exportFormatLabels, body.format || 'csv');
  const enable = (on) => { for (const b of buttons) b.disabled = !on; };
  enable(false);
  replace(ui.result);
  ui.progress.hidden = false;
  const [phase, bar, count] = ui.progress.children;
  const show = (x) => {
    if (x && x.total > 0) {
      bar.max = x.total;
      bar.value = Math.min(x.rows, x.total);
      count.textContent = `${x.rows} of ${x.total} rows written`;
      phase.textContent = x.status === 'done' ? 'Export written.' : 'Writing the export…';
    } else {
      bar.removeAttribute('value'); // the rows are still being read
      count.textContent = '';
      phase.textContent = `Reading the ${what}…`;
    }
  };
  show(null);
  let done = false;
  const request = api.createExport(body).finally(() => { done = true; });
  (async () => {
    while (!done && !ctx.signal.aborted) {
      await new Promise((r) => { setTimeout(r, pollEvery); });
      if (done || ctx.signal.aborted) return;
      const page = await api.exports(5).catch(() => null);
      const mine = page && page.items.find((x) => x.kind === kind && x.status === 'running');
      if (mine && !done) show(mine);
    }
  })();
  try {
    const x = await request;
    if (ctx.signal.aborted) return;
    show(x);
    replace(ui.result, notice('success', 'Your export is ready',
      h('p', {}, h('a', { href: x.url, id: 'export-link', class: 'button', download: '' }, `Download the ${what} (${ext}, ${x.rows} rows)`)),
      h('p', { class: 'hint' }, `The link works until ${when(x.urlExpiresAt, tz)}; the export is deleted ${when(x.expiresAt, tz)}.`)));
    ui.result.querySelector('a').focus();
    enable(true); // the next export may start while the lists are read again
    const page = await api.exports();
    if (!ctx.signal.aborted) ui.showList(page.items);
    await ui.reloadTrail(); // the export is in the trail now
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    ui.progress.hidden = true;
    const el = errorNotice(err, 'The export was not written');
    replace(ui.result, el);
    el.focus();
  } finally {
    enable(true);
  }
}

function exportsTable(items, tz) {
  return h('table', { class: 'history', id: 'exports-table' },
    h('caption', { class: 'visually-hidden' }, 'Exports of the last day, newest first'),
    h('thead', {}, h('tr', {}, ['Asked for', 'What', 'By', 'Status', 'Rows', 'File'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, items.map((x) => h('tr', { 'data-export': x.exportId },
      h('th', { scope: 'row' }, when(x.createdAt, tz).replace(` (${tz})`, '')),
      h('td', {}, label(exportKindLabels, x.kind), x.from ? h('span', { class: 'hint block' }, `${day(x.from)} to ${day(x.to)}`) : null,
        h('span', { class: 'hint block' }, label(exportFormatLabels, x.format))),
      h('td', {}, x.requestedBy),
      h('td', {}, label(exportStatusLabels, x.status), x.failureReason ? h('span', { class: 'hint block' }, x.failureReason) : null),
      h('td', { class: 'num' }, x.total ? `${x.rows} of ${x.total}` : String(x.rows)),
      h('td', {}, x.url ? h('a', { href: x.url, download: '' }, 'Download', h('span', { class: 'visually-hidden' }, ` the ${label(exportKindLabels, x.kind).toLowerCase()} export of ${when(x.createdAt, tz)}`)) : h('span', { class: 'hint' }, '—'))))));
}

function trailTable(items, tz) {
  return h('table', { class: 'history', id: 'audit-table' },
    h('caption', { class: 'visually-hidden' }, 'Admin actions, newest first'),
    h('thead', {}, h('tr', {}, ['When', 'Admin', 'Action', 'Detail'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, items.map((e) => h('tr', { 'data-action': e.action },
      h('th', { scope: 'row' }, when(e.at, tz).replace(` (${tz})`, '')),
      h('td', {}, e.actor),
      h('td', {}, label(auditActionLabels, e.action)),
      h('td', { class: 'detail' }, e.detail)))));
}
