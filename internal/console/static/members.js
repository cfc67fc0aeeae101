// Members, a page at a time, and each member's provisioning log. The log
// shows personal values (old and new) to the tenant's admin: they are put
// in the page as text and kept nowhere else, so they go with the page.
import { api, ApiError } from './api.js';
import { h, replace, notice, when, day, badge } from './ui.js';
import { fieldLabels, label, logActionLabels, memberStatusLabels, welcomeLabels } from './labels.js';

const pageSize = 25;
const logPageSize = 20;

// [status, label, what an empty page says]
const statusChoices = [
  ['', 'All members', 'No members yet: they are created by the first import.'],
  ['invited', 'Invited', 'No invited members.'],
  ['active', 'Active', 'No active members.'],
  ['leaver', 'Leavers', 'No leavers.'],
];

const hidden = (text) => h('span', { class: 'visually-hidden' }, text);

export function logHref(employeeId) {
  return `#/members/${encodeURIComponent(employeeId)}/log`;
}

function memberName(fields) {
  const first = fields.preferredName || fields.firstName || '';
  return `${first} ${fields.lastName || ''}`.trim();
}

// pager pages a list with the API's cursors: cursors[i] reads page i, so
// Newer goes back the way Older came.
function pager(prefix, what, fetchPage, show) { // what: newer, older, [one, many], nav label
  const cursors = [''];
  let at = 0;
  const position = h('p', { class: 'hint', id: `${prefix}-position`, 'aria-live': 'polite' });
  const newer = h('button', { type: 'button', class: 'button secondary', id: `${prefix}-newer` }, what[0]);
  const older = h('button', { type: 'button', class: 'button secondary', id: `${prefix}-older` }, what[1]);
  const load = async (index, focus) => {
    const page = await fetchPage(cursors[index]);
    if (!page) return;
    at = index;
    if (page.nextCursor) cursors[index + 1] = page.nextCursor;
    else cursors.length = index + 1;
    show(page.items);
    const n = page.items.length;
    position.textContent = n ? `Page ${index + 1}, ${n} ${what[2][n === 1 ? 0 : 1]}.` : '';
    newer.disabled = index === 0;
    older.disabled = !page.nextCursor;
    const nav = newer.parentElement;
    if (nav) nav.hidden = newer.disabled && older.disabled;
    if (focus && focus.disabled) (newer.disabled ? older : newer).focus();
  };
  newer.addEventListener('click', () => load(at - 1, newer));
  older.addEventListener('click', () => load(at + 1, older));
  return { load, elements: [position, h('nav', { 'aria-label': what[3], class: 'actions' }, newer, older)] };
}

// The members: filtered by status, a page at a time, each linking to
// their provisioning log.
export async function membersView(ctx) {
  const [status = ''] = ctx.params;
  const { integration: integ } = await api.integration();
  if (ctx.signal.aborted) return;
  const tz = integ.settings.timeZone;
  const select = h('select', { id: 'members-status' },
    statusChoices.map(([v, label]) => h('option', { value: v, selected: v === status }, label)));
  const filter = h('form', { id: 'members-filter', class: 'filter', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'members-status' }, 'Show'), select),
    h('button', { type: 'submit', class: 'button secondary', id: 'members-show' }, 'Show'));
  filter.addEventListener('submit', (e) => {
    e.preventDefault();
    ctx.navigate(select.value ? `#/members?status=${select.value}` : '#/members');
  });
  const table = h('div', { id: 'members-page', class: 'table-wrap' });
  const pages = pager('members', ['Previous members', 'More members', ['member', 'members'], 'Member pages'], async (cursor) => {
    const page = await api.members(status, cursor, pageSize, ctx.signal);
    return ctx.signal.aborted ? null : page;
  }, (items) => replace(table, items.length
    ? membersTable(items, tz, status)
    : h('p', { id: 'members-empty' }, (statusChoices.find(([v]) => v === status) || statusChoices[0])[2])));
  replace(ctx.main,
    h('h1', { tabindex: '-1' }, 'Members'),
    ctx.message ? notice('success', null, h('p', {}, ctx.message)) : null,
    h('p', { class: 'lead' }, 'The members your PeopleHR imports created, by employee ID. Open a member’s provisioning log to see what each import did to them, and why. Times are in ', tz, '.'),
    filter,
    table,
    pages.elements);
  await pages.load(0);
}

function membersTable(members, tz, status) {
  return h('table', { class: 'members', id: 'members-table' },
    h('caption', { class: 'visually-hidden' }, status ? `Members: ${status}, by employee ID` : 'Members, by employee ID'),
    h('thead', {}, h('tr', {},
      ['Employee ID', 'Name', 'Email address', 'Status', 'Welcome email', 'Last changed'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, members.map((m) => {
      const id = m.fields.employeeId || '';
      return h('tr', { 'data-member': id },
        h('th', { scope: 'row' }, h('a', { href: logHref(id) }, id, hidden(`: provisioning log of ${memberName(m.fields) || id}`))),
        h('td', {}, memberName(m.fields) || '—'),
        h('td', {}, m.fields.email || '—'),
        h('td', {}, label(memberStatusLabels, m.status), m.status === 'leaver' && m.leftOn ? h('span', { class: 'hint block' }, `Left ${day(m.leftOn)}`) : null),
        h('td', {}, label(welcomeLabels, m.welcome)),
        h('td', { class: 'nowrap' }, when(m.updatedAt || m.createdAt, tz).replace(` (${tz})`, '')));
    })));
}

// One member's provisioning log, newest first.
export async function memberLogView(ctx) {
  let id = ctx.params[0];
  try {
    id = decodeURIComponent(id);
  } catch {
    // not encoded: taken as it is
  }
  const [{ integration: integ }, member] = await Promise.all([
    api.integration(),
    api.member(id, ctx.signal).catch((err) => {
      if (err instanceof ApiError && err.status === 404) return null; // a skipped record has a log but no member
      throw err;
    }),
  ]);
  if (ctx.signal.aborted) return;
  const tz = integ.settings.timeZone;
  const name = member ? memberName(member.fields) : '';
  const entries = h('div', { id: 'log-page' });
  const pages = pager('log', ['Newer entries', 'Older entries', ['entry', 'entries, newest first'], 'Log pages'], async (cursor) => {
    try {
      const page = await api.memberLog(id, cursor, logPageSize, ctx.signal);
      return ctx.signal.aborted ? null : page;
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 404) throw err;
      return { items: [], nextCursor: '' };
    }
  }, (items) => replace(entries, items.length
    ? items.map((e, i) => logEntry(e, i, tz))
    : h('p', { id: 'log-empty' }, 'No imports have recorded anything for this employee ID.')));
  replace(ctx.main,
    h('p', { class: 'eyebrow' }, h('a', { href: '#/members' }, 'Members'), ' › ', 'Provisioning log'),
    h('h1', { tabindex: '-1' }, `Provisioning log: ${name || id}`),
    member ? memberSummary(member, id, tz) : notice('info', 'No member has this employee ID',
      h('p', {}, `No member is stored under ${id}: PeopleHR’s record may have been skipped each time, or the member moved to a new employee ID. The log says why.`)),
    h('p', { class: 'hint', id: 'log-privacy' }, 'This log shows personal details, before and after each change, to you as the admin. Your browser does not keep them: they go when you leave the page.'),
    entries,
    pages.elements);
  await pages.load(0);
}

function memberSummary(m, id, tz) {
  return h('section', { class: 'card', 'aria-labelledby': 'member-title', id: 'member-summary' },
    h('h2', { id: 'member-title' }, 'Member'),
    h('dl', { class: 'summary' },
      h('dt', {}, 'Employee ID'), h('dd', {}, id),
      h('dt', {}, 'Email address'), h('dd', {}, m.fields.email || '—'),
      h('dt', {}, 'Status'), h('dd', { id: 'member-status' }, label(memberStatusLabels, m.status),
        m.leftOn ? `, left on ${day(m.leftOn)}` : '', m.purgeOn ? `, account deleted on ${day(m.purgeOn)}` : ''),
      h('dt', {}, 'Welcome email'), h('dd', {}, label(welcomeLabels, m.welcome)),
      h('dt', {}, 'Created'), h('dd', {}, when(m.createdAt, tz))));
}

function logEntry(e, i, tz) {
  const titleId = `log-entry-${i}-title`;
  const value = (v) => (v === '' ? h('span', { class: 'hint' }, 'empty') : v);
  return h('article', { class: 'log-entry', 'data-action': e.action, 'data-run': e.runId, 'aria-labelledby': titleId },
    h('h2', { id: titleId }, badge(logActionLabels, e.action, 'badge-action-'), ' ', when(e.at, tz)),
    h('dl', { class: 'summary' },
      h('dt', {}, 'Import'), h('dd', {}, h('a', { href: `#/imports/${encodeURIComponent(e.runId)}`, class: 'run-id' }, e.runId)),
      h('dt', {}, 'Reason'), h('dd', { class: 'log-reason' }, e.reason || '—')),
    e.changes && e.changes.length
      ? h('div', { class: 'table-wrap' }, h('table', { class: 'changes' },
        h('caption', {}, e.action === 'create' ? 'Fields set' : 'Fields changed'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Old value'), h('th', { scope: 'col' }, 'New value'))),
        h('tbody', {}, e.changes.map((c) => h('tr', { 'data-field': c.field },
          h('th', { scope: 'row' }, label(fieldLabels, c.field)),
          h('td', {}, value(c.old)),
          h('td', {}, value(c.new)))))))
      : h('p', { class: 'hint' }, e.action === 'skip' ? 'Nothing was changed.' : 'No field changed.'));
}
