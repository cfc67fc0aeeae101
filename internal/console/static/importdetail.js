// What an import's page shows beyond its counts: the time each phase took,
// its errors and warnings a page at a time, and what a held import would
// change. Values from PeopleHR are put in the page as text only.
import { api, ApiError } from './api.js';
import { h, replace, errorNotice, svgEl, uid, badge } from './ui.js';
import { fieldLabels, label, logActionLabels, memberStatusLabels, phaseLabels, severityLabels } from './labels.js';
import { pager } from './members.js';

const issuesPageSize = 25;
const changesPageSize = 10;
const hidden = (text) => h('span', { class: 'visually-hidden' }, text);

// duration says how long ms is, to a tenth of a second below a minute.
function duration(ms) {
  if (ms < 100) return 'under 0.1 s';
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

const clock = (iso, tz) => new Intl.DateTimeFormat('en-GB', { timeStyle: 'medium', timeZone: tz || undefined }).format(new Date(iso));

// phasesSection draws the time each phase of a finished run took as one
// bar of coloured segments, with the same times in a table beside it.
// Runs recorded before phases were timed have none: no section.
export function phasesSection(run, tz) {
  const phases = (run.phases || []).filter((p) => p.startedAt && p.endedAt)
    .map((p) => ({ ...p, ms: Math.max(0, new Date(p.endedAt) - new Date(p.startedAt)) }));
  if (phases.length === 0) return null;
  const total = phases.reduce((a, p) => a + p.ms, 0);
  const [W, H] = [600, 24];
  const titleId = uid('phases-title');
  const tableId = 'phases-table';
  let x = 0;
  const svg = svgEl('svg', { class: 'phase-chart', id: 'phases-svg', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img', 'aria-labelledby': titleId, 'aria-describedby': tableId, focusable: 'false' },
    svgEl('title', { id: titleId }, `Time each phase took, ${duration(total)} in all. The table has the times.`),
    svgEl('rect', { class: 'phase-track', x: 0, y: 0, width: W, height: H }),
    phases.map((p) => {
      const w = total > 0 ? (W * p.ms) / total : W / phases.length;
      const seg = svgEl('rect', { class: `phase-seg phase-seg-${p.phase}`, 'data-phase': p.phase, x: x.toFixed(1), y: 0, width: Math.max(2, w).toFixed(1), height: H },
        svgEl('title', {}, `${label(phaseLabels, p.phase)}: ${duration(p.ms)}`));
      x += w;
      return seg;
    }));
  const swatch = (phase) => svgEl('svg', { class: 'phase-swatch', viewBox: '0 0 10 10', 'aria-hidden': 'true', focusable: 'false' },
    svgEl('rect', { class: `phase-seg phase-seg-${phase}`, x: 0, y: 0, width: 10, height: 10 }));
  return h('section', { 'aria-labelledby': 'phases-heading', class: 'card', id: 'phases' },
    h('h2', { id: 'phases-heading' }, 'Time each phase took'),
    h('div', { class: 'phases-wrap' },
      svg,
      h('table', { class: 'counts phases', id: tableId },
        h('caption', {}, `Phases, ${duration(total)} in all (times in ${tz})`),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Phase'), h('th', { scope: 'col' }, 'Started'), h('th', { scope: 'col' }, 'Took'))),
        h('tbody', {}, phases.map((p) => h('tr', { 'data-phase': p.phase },
          h('th', { scope: 'row' }, swatch(p.phase), label(phaseLabels, p.phase)),
          h('td', { class: 'nowrap' }, clock(p.startedAt, tz)),
          h('td', { class: 'nowrap' }, duration(p.ms))))))));
}

// [severity, what the filter says, what an empty page says]
const severityChoices = [
  ['', 'Errors and warnings', 'No errors or warnings.'],
  ['error', 'Errors only', 'No errors: every record was applied.'],
  ['warning', 'Warnings only', 'No warnings.'],
];

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

// issuesSection lists the run's errors and warnings a page at a time,
// filtered by severity, above download, the error file's control.
export function issuesSection(ctx, run, download) {
  let severity = '';
  const select = h('select', { id: 'issues-severity' },
    severityChoices.map(([v, text]) => h('option', { value: v }, text)));
  const filter = h('form', { id: 'issues-filter', class: 'filter', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'issues-severity' }, 'Show'), select),
    h('button', { type: 'submit', class: 'button secondary', id: 'issues-show' }, 'Show'));
  const table = h('div', { id: 'issues-page', class: 'table-wrap' });
  const pages = pager('issues', ['Previous issues', 'More issues', ['issue', 'issues'], 'Pages of errors and warnings'], async (cursor) => {
    try {
      const page = await api.issues(run.runId, severity, cursor, issuesPageSize, ctx.signal);
      return ctx.signal.aborted ? null : page;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      replace(table, errorNotice(err, err.code === 'no_issue_list' ? 'Not listed here' : 'The errors and warnings could not be read'));
      return null;
    }
  }, (items) => replace(table, items.length
    ? issuesTable(items, severity)
    : h('p', { id: 'issues-empty' }, (severityChoices.find(([v]) => v === severity) || severityChoices[0])[2])));
  filter.addEventListener('submit', (e) => {
    e.preventDefault();
    severity = select.value;
    pages.load(0);
  });
  pages.load(0);
  // The dashboard's link to the issues (#/imports/<id>/issues) lands here.
  const focusHere = ctx.params[1] === 'issues';
  return h('section', { 'aria-labelledby': 'issues-title', class: 'card', id: 'issues' },
    h('h2', { id: 'issues-title', tabindex: '-1', 'data-focus': focusHere ? 'true' : null }, 'Errors and warnings'),
    h('p', {}, `${plural(run.counts.errors, 'error')} (records skipped) and ${plural(run.counts.warnings, 'warning')} (records applied with a caveat), row by row, with what to fix in PeopleHR. Errors come first.`),
    filter, table, pages.elements, download);
}

function issuesTable(items, severity) {
  const what = (severityChoices.find(([v]) => v === severity) || severityChoices[0])[1];
  return h('table', { class: 'changes issues', id: 'issues-table' },
    h('caption', {}, `${what}, by row of the PeopleHR feed`),
    h('thead', {}, h('tr', {}, ['Row', 'Employee ID', 'Field', 'Message', 'Severity'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, items.map((is) => h('tr', { 'data-severity': is.severity },
      h('td', { class: 'num' }, is.row > 0 ? String(is.row) : '—'),
      h('th', { scope: 'row' }, is.employeeId || '—'),
      h('td', {}, is.field ? label(fieldLabels, is.field, is.field) : '—'),
      h('td', { class: 'message' }, is.message),
      h('td', {}, badge(severityLabels, is.severity, 'badge-severity-'))))));
}

// The nouns of a held plan's groups, for their paging buttons.
const groupNouns = { close: 'closures', update: 'updates', create: 'new members', reactivate: 'reactivations', relink: 'relinks' };
const noun = (action) => (Object.hasOwn(groupNouns, action) ? groupNouns[action] : 'changes');

// heldChangesSection shows what a held run would change, a group for each
// action (closures first, as the API sends them), field by field, each
// group a page at a time.
export function heldChangesSection(ctx, run) {
  const body = h('div', { id: 'held-changes-groups', 'aria-busy': 'true' }, h('p', { class: 'hint' }, 'Reading the planned changes…'));
  const section = h('section', { 'aria-labelledby': 'held-changes-title', class: 'held-changes', id: 'held-changes' },
    h('h3', { id: 'held-changes-title' }, 'What it would change'),
    h('p', { class: 'hint' }, 'Check these before you approve: they are applied exactly as listed. Only the mapped fields are shown.'),
    body);
  api.heldChanges(run.runId, '', '', 1, ctx.signal).then((first) => {
    if (ctx.signal.aborted) return;
    body.removeAttribute('aria-busy');
    const actions = Object.keys(first.counts).filter((a) => first.counts[a] > 0);
    replace(body, actions.length ? actions.map((a) => changeGroup(ctx, run, a, first.counts[a])) : h('p', { id: 'held-changes-empty' }, 'It would change nothing.'));
  }).catch((err) => {
    if (ctx.signal.aborted || !(err instanceof ApiError)) return;
    body.removeAttribute('aria-busy');
    replace(body, errorNotice(err, 'The planned changes could not be read'));
  });
  return section;
}

function changeGroup(ctx, run, action, count) {
  const prefix = `held-${action}`;
  const table = h('div', { id: `${prefix}-page`, class: 'table-wrap' });
  const title = `${label(logActionLabels, action)} (${count})`;
  const n = noun(action);
  const pages = pager(prefix, [`Previous ${n}`, `More ${n}`, ['change', 'changes'], `Pages of ${n}`], async (cursor) => {
    const page = await api.heldChanges(run.runId, action, cursor, changesPageSize, ctx.signal);
    return ctx.signal.aborted ? null : page;
  }, (items) => replace(table, changesTable(items, title, prefix)));
  pages.load(0).catch((err) => {
    if (ctx.signal.aborted || !(err instanceof ApiError)) return;
    replace(table, errorNotice(err, 'This group could not be read'));
  });
  return h('div', { class: 'held-group', 'data-action': action },
    h('h4', { id: `${prefix}-title` }, title),
    table, pages.elements);
}

function changesTable(items, title, prefix) {
  return h('table', { class: 'changes held-diff', id: `${prefix}-table` },
    h('caption', { class: 'visually-hidden' }, `${title}: what changes, before and after`),
    h('thead', {}, h('tr', {}, ['Employee ID', 'Name', 'Row', 'What changes'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, items.map((c) => h('tr', { 'data-employee': c.employeeId },
      h('th', { scope: 'row' }, c.employeeId),
      h('td', {}, c.name || '—'),
      h('td', { class: 'num' }, c.row > 0 ? String(c.row) : hidden('not in PeopleHR'), c.row > 0 ? null : h('span', { 'aria-hidden': 'true' }, '—')),
      h('td', {}, h('ul', { class: 'plain diff' }, diffLines(c)))))));
}

// diffLines are a change's lines: its status, when it moves, then each
// field, before -> after (a new member's fields have no before).
function diffLines(c) {
  const line = (name, before, after) => h('li', {},
    h('span', { class: 'diff-field' }, name), ': ',
    before ? [h('del', {}, hidden('from '), before), h('span', { 'aria-hidden': 'true' }, ' → '), hidden(' to ')] : null,
    after ? h('ins', {}, after) : h('span', { class: 'hint' }, '(empty)'));
  const out = [];
  if (c.statusBefore && c.statusBefore !== c.status) {
    const after = label(memberStatusLabels, c.status);
    out.push(line('Status', label(memberStatusLabels, c.statusBefore), c.leftOn ? `${after}, left on ${c.leftOn}` : after));
  }
  for (const f of c.fields) out.push(line(label(fieldLabels, f.field, f.field), f.before, f.after));
  if (out.length === 0) out.push(h('li', { class: 'hint' }, 'No field changes'));
  return out;
}
