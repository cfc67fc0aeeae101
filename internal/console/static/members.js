// Members, a page at a time, and each member's provisioning log. The log
// shows personal values (old and new) to the tenant's admin: they are put
// in the page as text and kept nowhere else, so they go with the page.
import { api, ApiError } from './api.js';
import { h, replace, notice, errorNotice, when, day, badge, busy, confirmDialog, uid } from './ui.js';
import { fieldLabels, label, logActionLabels, memberStatusLabels, welcomeLabels } from './labels.js';

const pageSize = 25;
const logPageSize = 20;
// searchDelay is how long typing pauses before the search runs.
const searchDelay = 300;

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
export function pager(prefix, what, fetchPage, show) { // what: newer, older, [one, many], nav label
  const cursors = [''];
  let at = 0;
  const position = h('p', { class: 'hint', id: `${prefix}-position`, 'aria-live': 'polite' });
  const newer = h('button', { type: 'button', class: 'button secondary', id: `${prefix}-newer` }, what[0]);
  const older = h('button', { type: 'button', class: 'button secondary', id: `${prefix}-older` }, what[1]);
  const load = async (index, focus) => {
    let page;
    try {
      page = await fetchPage(cursors[index]);
    } catch (err) {
      // The view was left (or a newer search began) while the page was
      // read: nothing to show. Loads started by a click or by a view that
      // does not wait for them would otherwise end in an unhandled
      // rejection (an uncaught exception in the console).
      if (err && err.name === 'AbortError') return null;
      throw err;
    }
    if (!page) return null;
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
    return page;
  };
  newer.addEventListener('click', () => load(at - 1, newer));
  older.addEventListener('click', () => load(at + 1, older));
  return { load, elements: [position, h('nav', { 'aria-label': what[3], class: 'actions' }, newer, older)] };
}

// maxResendCalls bounds a resend to everyone: each call works for up to
// 15 seconds and says whether it saw every invited member.
const maxResendCalls = 10;

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
  const listing = h('div', { id: 'members-listing' }, filter, table, pages.elements);
  replace(ctx.main,
    h('h1', { tabindex: '-1' }, 'Members'),
    ctx.message ? notice('success', null, h('p', {}, ctx.message)) : null,
    h('p', { class: 'lead' }, 'The members your PeopleHR imports created, by employee ID. Open a member’s provisioning log to see what each import did to them, and why. Times are in ', tz, '.'),
    resendAllSection(integ),
    searchSection(ctx, tz, listing),
    listing);
  await pages.load(0);
}

// searchSection finds members by the start of a surname, first name, email
// address or employee ID as the admin types, in place of the listing. The
// query holds personal details, so it stays in the page: not in the
// address, the history or the browser's storage.
function searchSection(ctx, tz, listing) {
  const input = h('input', { type: 'search', id: 'members-search', autocomplete: 'off', spellcheck: 'false',
    maxlength: '200', 'aria-describedby': 'members-search-hint', 'aria-controls': 'members-found' });
  const announce = h('p', { id: 'members-search-status', class: 'hint', role: 'status', 'aria-live': 'polite' });
  const found = h('div', { id: 'members-found', hidden: true });
  const form = h('form', { id: 'members-search-form', class: 'filter', role: 'search', novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: 'members-search' }, 'Find a member'),
      h('p', { class: 'hint', id: 'members-search-hint' }, 'The start of a surname, first name, email address or employee ID. Capitals and accents do not matter.'),
      input),
    h('button', { type: 'submit', class: 'button secondary', id: 'members-find' }, 'Find'));
  let timer = 0;
  let running = null; // the AbortController of the search on its way
  const run = async () => {
    clearTimeout(timer);
    if (running) running.abort();
    const q = input.value.trim();
    listing.hidden = q !== '';
    found.hidden = q === '';
    if (!q) {
      replace(found);
      announce.textContent = '';
      return;
    }
    const ctl = new AbortController();
    running = ctl;
    const signal = AbortSignal.any([ctx.signal, ctl.signal]);
    const table = h('div', { id: 'members-found-page', class: 'table-wrap' });
    // The count goes to the status line, there from the start, so it is
    // announced; the pager's own line would come and go with the results.
    const pages = pager('found', ['Previous results', 'More results', ['member', 'members'], 'Result pages'], async (cursor) => {
      let page;
      try {
        page = await api.searchMembers(q, cursor, pageSize, signal);
      } catch (err) {
        if (signal.aborted || !(err instanceof ApiError) || err.status !== 400) throw err;
        page = { items: [], nextCursor: '', problem: err.message };
      }
      if (signal.aborted) return null;
      const n = page.items.length;
      announce.textContent = page.problem || (n === 0 ? `No members found for “${q}”.`
        : `${n} ${n === 1 ? 'member' : 'members'} found for “${q}”${cursor ? ' on this page' : ''}${page.nextCursor ? ', more on the next page' : ''}.`);
      return page;
    }, (items) => replace(table, items.length
      ? hitsTable(items, tz, q)
      : h('p', { id: 'members-found-empty' }, announce.textContent)));
    replace(found, table, pages.elements[1]);
    try {
      await pages.load(0);
    } catch (err) {
      if (signal.aborted) return;
      announce.textContent = 'The search did not work.';
      replace(found, errorNotice(err, 'The search did not work'));
    }
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(run, searchDelay);
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  return h('section', { 'aria-label': 'Find a member' }, form, announce, found);
}

// hitsTable shows what a search found: who, status, invited and joined,
// each linking to the member's provisioning log.
function hitsTable(hits, tz, q) {
  const local = (iso) => when(iso, tz).replace(` (${tz})`, '');
  const notYet = (what) => h('span', { class: 'hint' }, what);
  return h('table', { class: 'members', id: 'members-found-table' },
    h('caption', { class: 'visually-hidden' }, `Members found for “${q}”, by surname, then first name, email address and employee ID`),
    h('thead', {}, h('tr', {},
      ['Employee ID', 'Name', 'Email address', 'Status', 'Invited', 'Joined'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, hits.map((m) => {
      const id = m.fields.employeeId || '';
      return h('tr', { 'data-member': id },
        whoCells(m, id),
        h('td', { class: 'nowrap invited' }, m.invitedAt ? local(m.invitedAt) : notYet(m.createdAt ? `Not yet (created ${local(m.createdAt)})` : 'Not yet')),
        h('td', { class: 'nowrap joined' }, m.joinedAt ? local(m.joinedAt) : notYet('Not yet')));
    })));
}

// whoCells are the cells every members table starts a row with: the ID
// (a link to the member's log), name, address and status.
function whoCells(m, id) {
  return [
    h('th', { scope: 'row' }, h('a', { href: logHref(id) }, id, hidden(`: provisioning log of ${memberName(m.fields) || id}`))),
    h('td', {}, memberName(m.fields) || '—'),
    h('td', { class: 'email' }, m.fields.email || '—'),
    h('td', {}, label(memberStatusLabels, m.status), m.status === 'leaver' && m.leftOn ? h('span', { class: 'hint block' }, `Left ${day(m.leftOn)}`) : null),
  ];
}

// notJoinedText says how many members have not joined, from the last
// import's count of the directory, or everyone when no import counted it.
function notJoinedText(integ) {
  const m = integ.lastRun && integ.lastRun.members;
  if (!m || typeof m.members !== 'number' || typeof m.joined !== 'number') return null;
  return Math.max(0, m.members - m.joined);
}

// resendAllSection offers to resend the invitation of every invited member
// who has not joined, once the admin has confirmed how many that is.
function resendAllSection(integ) {
  const button = h('button', { type: 'button', class: 'button secondary', id: 'resend-all' }, 'Resend to everyone who has not joined');
  const result = h('p', { id: 'resend-all-result', class: 'outcome', role: 'status', 'aria-live': 'polite' });
  button.addEventListener('click', async () => {
    const n = notJoinedText(integ);
    const who = n === null ? 'everyone invited who has not joined' : `${n} ${n === 1 ? 'member' : 'members'} who ${n === 1 ? 'has' : 'have'} not joined`;
    const yes = await confirmDialog({
      title: n === null ? 'Resend the invitation to everyone who has not joined?' : `Resend the invitation to ${who}?`,
      body: `The invitation goes again to ${who}${n === null ? '' : ' (as counted by the last import)'}, each with a fresh link: the link they had stops working. Members whose invitation was resent in the last 24 hours, or is on its way, are skipped.`,
      yes: 'Resend the invitations',
    });
    if (!yes) return;
    result.classList.remove('outcome-error');
    await busy(button, 'Resending…', async () => {
      let resent = 0;
      let last = null;
      try {
        for (let i = 0; i < maxResendCalls; i += 1) {
          // Each call starts again from the first member: those resent by an
          // earlier call are among the next one's skipped.
          const before = resent;
          last = await api.resendAll();
          resent += last.resent || 0;
          last.skippedNew = Math.max(0, (last.skipped || 0) - before);
          if (last.complete) break;
        }
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        result.classList.add('outcome-error');
        result.textContent = `${resent ? `Resent to ${resent} before a problem. ` : ''}Not every invitation was resent: ${err.message}`;
        return;
      }
      result.textContent = `Resent to ${resent}; ${last.skippedNew} skipped (resent in the last day, or on its way).`
        + (last.complete ? '' : ' Some members were not reached in time: press the button again for the rest.');
    });
    button.focus();
  });
  return h('section', { class: 'card', id: 'resend-all-card', 'aria-labelledby': 'resend-all-title' },
    h('h2', { id: 'resend-all-title' }, 'Invitations'),
    h('p', {}, 'Invited members get reminders on their own when reminders are on in the settings. To send the invitation again now, with a fresh link, use the button on a member, or:'),
    h('div', { class: 'actions' }, button),
    result);
}

// invitationCell shows a member's welcome email, when it was first sent
// and how many reminders followed, and for an invited member who has not
// joined, a button that sends it again.
function invitationCell(m, id, tz) {
  const local = (iso) => when(iso, tz).replace(` (${tz})`, '');
  const cell = h('td', { class: 'invitation' },
    label(welcomeLabels, m.welcome),
    m.invitedAt ? h('span', { class: 'hint block' }, `Invited ${local(m.invitedAt)}`) : null,
    m.reminders > 0 ? h('span', { class: 'hint block', 'data-reminders': String(m.reminders) }, `${m.reminders} ${m.reminders === 1 ? 'reminder' : 'reminders'} sent`) : null);
  if (m.status !== 'invited' || m.joinedAt) return cell;
  const outcomeId = uid('resend-outcome');
  // Named in full by aria-label: busy() swaps the text while it works.
  const button = h('button', { type: 'button', class: 'button secondary compact', 'data-resend': id, 'aria-describedby': outcomeId,
    'aria-label': `Resend invitation to ${memberName(m.fields) || id}` }, 'Resend invitation');
  const outcome = h('span', { class: 'outcome block', id: outcomeId, role: 'status', 'aria-live': 'polite' });
  button.addEventListener('click', async () => {
    replace(outcome);
    outcome.classList.remove('outcome-error');
    await busy(button, 'Sending…', async () => {
      try {
        await api.resendInvitation(id);
        outcome.textContent = 'Queued: the invitation goes again in a moment, with a fresh link.';
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        outcome.classList.add('outcome-error');
        outcome.textContent = err.message;
      }
    });
    // busy disabled the button while it worked, which drops the focus.
    button.focus();
  });
  cell.append(h('span', { class: 'block resend' }, button), outcome);
  return cell;
}

function membersTable(members, tz, status) {
  const local = (iso) => when(iso, tz).replace(` (${tz})`, '');
  return h('table', { class: 'members', id: 'members-table' },
    h('caption', { class: 'visually-hidden' }, status ? `Members: ${status}, by employee ID` : 'Members, by employee ID'),
    h('thead', {}, h('tr', {},
      ['Employee ID', 'Name', 'Email address', 'Status', 'Invitation', 'Joined', 'Last changed'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, members.map((m) => {
      const id = m.fields.employeeId || '';
      return h('tr', { 'data-member': id },
        whoCells(m, id),
        invitationCell(m, id, tz),
        h('td', { class: 'nowrap joined' }, m.joinedAt ? local(m.joinedAt) : h('span', { class: 'hint' }, 'Not yet')),
        h('td', { class: 'nowrap' }, local(m.updatedAt || m.createdAt)));
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
      h('dt', {}, 'Welcome email'), h('dd', {}, label(welcomeLabels, m.welcome),
        m.invitedAt ? `, first sent ${when(m.invitedAt, tz)}` : '', m.reminders > 0 ? `, ${m.reminders} ${m.reminders === 1 ? 'reminder' : 'reminders'} sent` : ''),
      h('dt', {}, 'Joined'), h('dd', { id: 'member-joined' }, m.joinedAt ? when(m.joinedAt, tz) : 'Not yet'),
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
