// Import history: newest first, a page at a time.
import { api } from './api.js';
import { h, replace, notice, statusBadge, when, finished } from './ui.js';
import { label, triggerLabels } from './labels.js';
import { errorFileControl } from './dashboard.js';

const pageSize = 20;

export async function historyView(ctx) {
  const { integration: integ } = await api.integration();
  if (ctx.signal.aborted) return;
  const tz = integ.settings.timeZone;
  const cursors = ['']; // cursors[i] reads page i; a stack so Newer goes back
  let at = 0;
  const table = h('div', { id: 'history-page', class: 'table-wrap' });
  const position = h('p', { class: 'hint', id: 'history-position', 'aria-live': 'polite' });
  const newer = h('button', { type: 'button', class: 'button secondary', id: 'history-newer' }, 'Newer imports');
  const older = h('button', { type: 'button', class: 'button secondary', id: 'history-older' }, 'Older imports');

  const load = async (index, focus) => {
    const page = await api.imports(cursors[index], pageSize);
    if (ctx.signal.aborted) return;
    at = index;
    if (page.nextCursor) cursors[index + 1] = page.nextCursor;
    else cursors.length = index + 1;
    replace(table, page.items.length ? runsTable(page.items, tz) : h('p', { id: 'history-empty' }, 'No imports yet.'));
    position.textContent = page.items.length ? `Page ${index + 1}, ${page.items.length} imports, newest first.` : '';
    newer.disabled = index === 0;
    older.disabled = !page.nextCursor;
    if (focus && focus.disabled) (newer.disabled ? older : newer).focus();
  };
  newer.addEventListener('click', () => load(at - 1, newer));
  older.addEventListener('click', () => load(at + 1, older));
  replace(ctx.main,
    h('h1', { tabindex: '-1' }, 'Import history'),
    ctx.message ? notice('success', null, h('p', {}, ctx.message)) : null,
    h('p', { class: 'lead' }, 'Every import, scheduled or started by an admin, newest first. Times are in ', tz, '.'),
    table,
    position,
    h('nav', { 'aria-label': 'History pages', class: 'actions' }, newer, older));
  await load(0);
}

function runsTable(runs, tz) {
  const num = (run, k) => (finished(run.status) || run.status === 'held' ? String(run.counts[k]) : '—');
  return h('table', { class: 'history', id: 'history-table' },
    h('caption', { class: 'visually-hidden' }, 'Imports, newest first'),
    h('thead', {}, h('tr', {},
      ['Started', 'Trigger', 'Status', 'New', 'Updated', 'Closed', 'Out of scope', 'Errors', 'Warnings', 'Error file'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, runs.map((run) => h('tr', { 'data-run': run.runId },
      h('th', { scope: 'row' }, h('a', { href: `#/imports/${run.runId}` }, when(run.startedAt || run.queuedAt, tz).replace(` (${tz})`, ''))),
      h('td', {}, label(triggerLabels, run.trigger), run.startedBy ? h('span', { class: 'hint block' }, run.startedBy) : null),
      h('td', {}, statusBadge(run.status), run.resolution ? h('span', { class: 'hint block' }, run.resolution) : null),
      h('td', { class: 'num' }, num(run, 'created')),
      h('td', { class: 'num' }, num(run, 'updated')),
      h('td', { class: 'num' }, num(run, 'closed')),
      h('td', { class: 'num', 'data-count': 'outOfScope' }, num(run, 'outOfScope')),
      h('td', { class: 'num' }, num(run, 'errors')),
      h('td', { class: 'num' }, num(run, 'warnings')),
      h('td', {}, run.errorFile ? errorFileControl(run, tz, true) : h('span', { class: 'hint' }, 'None'))))));
}
