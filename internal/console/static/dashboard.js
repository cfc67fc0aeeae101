// The dashboard, "Import data now" with its live progress, and held runs.
import { api, ApiError } from './api.js';
import {
  h, replace, notice, errorNotice, saveRefusedNotice, busy, confirmDialog, statusBadge, when, day, scheduleText, countsTable,
  finished, countsText, dayOf,
} from './ui.js';
import { label, phaseLabels, runStatusLabels, stateLabels, triggerLabels } from './labels.js';
import { heldChangesSection, issuesSection, phasesSection } from './importdetail.js';
import { recentRuns, chartFrame, bar, shortDay, membersChart, importsChart } from './charts.js';

// pollEvery is how often a running import is read again.
const pollEvery = 700;

export async function dashboardView(ctx) {
  const [{ integration: integ, etag }, page] = await Promise.all([api.integration(), api.imports(undefined, 20)]);
  if (ctx.signal.aborted) return;
  const tz = integ.settings.timeZone;
  document.getElementById('programme').textContent = integ.programmeName || '';
  const held = page.items.filter((r) => r.status === 'held' && !r.resolution);
  const active = page.items.find((r) => !finished(r.status));
  const last = integ.lastRun;
  const recent = recentRuns(ctx, page, tz); // the runs the charts are drawn from
  const result = h('div', { id: 'dashboard-result' });
  const show = (el) => { replace(result, el); el.focus(); };

  const importNow = h('button', { type: 'button', class: 'button', id: 'import-now', disabled: !integ.key,
    'aria-describedby': integ.key ? false : 'import-now-hint' }, 'Import data now');
  importNow.addEventListener('click', () => busy(importNow, 'Starting…', async () => {
    try {
      const run = await api.importNow();
      const already = run.queuedAt && active && active.runId === run.runId;
      ctx.navigate(`#/imports/${run.runId}`, already ? 'An import was already on its way: this is its progress.' : 'Import started.');
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      show(errorNotice(err, 'The import did not start'));
    }
  }));

  const actions = [importNow];
  if (integ.published) {
    const pause = h('button', { type: 'button', class: 'button secondary', id: 'pause' }, 'Pause imports');
    pause.addEventListener('click', () => busy(pause, 'Pausing…', async () => {
      try {
        await api.unpublish(etag);
        ctx.navigate('#/', 'Imports paused: no scheduled import runs until you publish again. Import data now still works.');
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        show(saveRefusedNotice(err, 'Not paused', ctx.reload));
      }
    }));
    actions.push(pause);
  } else if (integ.key) {
    actions.push(h('a', { class: 'button secondary', href: '#/setup/review', id: 'go-publish' }, 'Review and publish'));
  }
  if (integ.key) {
    const revoke = h('button', { type: 'button', class: 'button danger', id: 'revoke' }, 'Revoke the PeopleHR key');
    revoke.addEventListener('click', async () => {
      const yes = await confirmDialog({
        title: 'Revoke the PeopleHR key?',
        body: 'The stored key is deleted and scheduled imports stop. Members and import history stay as they are. An import in progress stops after its current batch. You can enter a new key at any time.',
        yes: 'Revoke the key',
        danger: true,
      });
      if (!yes) return;
      await busy(revoke, 'Revoking…', async () => {
        try {
          await api.revoke(etag);
          ctx.navigate('#/', 'The PeopleHR key was revoked and deleted. Imports are stopped until you enter a new key.');
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          show(saveRefusedNotice(err, 'The key was not revoked', ctx.reload));
        }
      });
    });
    actions.push(revoke);
  }

  const setUp = integ.key && integ.published;
  replace(ctx.main,
    h('h1', { tabindex: '-1' }, 'Dashboard'),
    ctx.message ? notice('success', null, h('p', {}, ctx.message)) : null,
    setUp ? null : notice('info', integ.key ? 'Not live yet' : 'Finish the setup to start importing',
      h('p', {}, integ.key
        ? 'PeopleHR is connected, but scheduled imports are off until you publish.'
        : 'Connect PeopleHR, check the field mapping and publish: four short steps.'),
      h('p', {}, h('a', { href: integ.key ? '#/setup/review' : '#/setup/settings', class: 'button', id: 'continue-setup' },
        integ.key ? 'Review and publish' : 'Start the setup'))),
    result,
    h('section', { 'aria-labelledby': 'status-title', class: 'card' },
      h('h2', { id: 'status-title' }, 'Import status'),
      h('dl', { class: 'summary', id: 'status' },
        h('dt', {}, 'Status'), h('dd', { id: 'status-state' }, statusText(integ)),
        h('dt', {}, 'Schedule'), h('dd', {}, scheduleText(integ.settings)),
        h('dt', {}, 'Next import'), h('dd', { id: 'status-next' }, when(integ.nextRunAt, tz, integ.published ? 'Not scheduled' : 'None: imports are not published')),
        h('dt', {}, 'Last import'), h('dd', { id: 'status-last' }, last
          ? [statusBadge(last.status), ' ', when(last.finishedAt || last.queuedAt, tz), ' ', h('a', { href: `#/imports/${last.runId}` }, 'Details', h('span', { class: 'visually-hidden' }, ' of the last import')),
            finished(last.status) ? h('span', { class: 'hint block', id: 'status-last-counts' },
              `${last.status === 'held' ? 'Planned: ' : ''}${countsText(last.counts).replace(/^no/, last.status === 'held' ? 'no' : 'No')}, of ${plural(last.counts.total, 'PeopleHR record')}.`) : null,
            last.errorFile ? h('a', { class: 'block', id: 'status-last-issues', href: `#/imports/${last.runId}/issues` }, 'See its errors and warnings') : null]
          : 'No import yet'),
        h('dt', {}, 'PeopleHR key'), h('dd', { id: 'status-key' }, integ.key
          ? `Ending ${integ.key.keyLast4}, added ${day(integ.key.addedAt)}`
          : ['Not connected. ', h('a', { href: '#/setup/authorize' }, 'Enter a key')])),
      integ.key ? null : h('p', { class: 'hint', id: 'import-now-hint' }, 'Import data now needs a PeopleHR key.'),
      h('div', { class: 'actions' }, actions)),
    active ? h('section', { 'aria-labelledby': 'active-title', class: 'card', id: 'active-import' },
      h('h2', { id: 'active-title' }, 'Import in progress'),
      h('p', {}, `${label(triggerLabels, active.trigger)}, ${label(runStatusLabels, active.status).toLowerCase()} since ${when(active.startedAt || active.queuedAt, tz)}. `,
        h('a', { href: `#/imports/${active.runId}` }, 'Follow its progress'))) : null,
    joinsSection(ctx, integ, page, tz, recent),
    chartSection(ctx, recent, 'members-chart', 'Members by status', 'Active members have joined; invited members have not followed their welcome link yet. Counted by each import; leavers are not counted.', (runs) => membersChart(runs, tz)),
    chartSection(ctx, recent, 'imports-chart', 'Imports, last 90 days', 'What the imports of each day changed, coloured by the worst outcome of the day, and how long the longest took.', (runs) => importsChart(runs, tz)),
    heldSection(ctx, held, tz, show),
    h('p', {}, h('a', { href: '#/history' }, 'See every import in the history')));
}

// How many members have joined: the last import's count of the directory,
// and a chart of the joins of the last 90 days, day by day in the
// programme's time zone, from what each import counted since the one
// before, with the same numbers in a table.

function joinsSection(ctx, integ, first, tz, recent) {
  const withCount = (integ.lastRun && integ.lastRun.members) ? integ.lastRun : first.items.find((r) => r.members);
  const totals = withCount ? withCount.members : null;
  const chart = pendingChart('joins-chart');
  const section = h('section', { 'aria-labelledby': 'joins-title', class: 'card', id: 'joins' },
    h('h2', { id: 'joins-title' }, 'Members joined'),
    h('p', { id: 'joins-total', class: totals ? 'figure' : null }, totals
      ? `Joined ${totals.joined} of ${totals.members} (${totals.members ? Math.round((totals.joined * 100) / totals.members) : 0}%)`
      : 'Not counted yet: the next import counts who has joined.'),
    totals ? h('p', { class: 'hint' }, `Members who are not leavers, as counted by the import of ${when(withCount.finishedAt || withCount.queuedAt, tz)}. A member joins by following the link in their welcome email.`) : null,
    chart);
  drawWhenRead(ctx, recent, chart, (runs) => joinsChart(joinsByDay(runs, tz), tz, totals), 'The joins');
  return section;
}

// joinsByDay sums what the runs of the last 90 days counted as joined
// since the run before, by the day each finished: [[day, joins]], oldest
// first, every day there.
function joinsByDay({ days, runs }, tz) {
  const sums = new Map(days.map((d) => [d, 0]));
  for (const r of runs) {
    const d = dayOf(r.finishedAt || r.queuedAt, tz);
    if (r.members && r.members.joinedSinceLast > 0 && sums.has(d)) sums.set(d, sums.get(d) + r.members.joinedSinceLast);
  }
  return days.map((d) => [d, sums.get(d)]);
}

const pendingChart = (id) => h('div', { id, 'aria-busy': 'true' }, h('p', { class: 'hint' }, 'Reading the imports of the last 90 days…'));

// drawWhenRead puts draw(runs) in the chart's place once the runs of the
// last 90 days are read, or says what could not be read.
function drawWhenRead(ctx, recent, chart, draw, what) {
  recent.then((runs) => {
    if (ctx.signal.aborted) return;
    chart.removeAttribute('aria-busy');
    replace(chart, draw(runs));
  }).catch((err) => {
    if (ctx.signal.aborted || !(err instanceof ApiError)) return;
    chart.removeAttribute('aria-busy');
    replace(chart, h('p', { class: 'hint', id: `${chart.id}-unavailable` }, `${what} of the last 90 days could not be read: ${err.message}`));
  });
}

// chartSection is a card whose chart is drawn once the runs are read.
function chartSection(ctx, recent, id, title, about, draw) {
  const chart = pendingChart(id);
  drawWhenRead(ctx, recent, chart, draw, 'The imports');
  return h('section', { 'aria-labelledby': `${id}-title`, class: 'card', id: `${id}-card` },
    h('h2', { id: `${id}-title` }, title),
    h('p', { class: 'hint' }, about),
    chart);
}

function joinsChart(days, tz, totals) {
  const joined = days.filter(([, n]) => n > 0);
  if (joined.length === 0) {
    let text = 'No one has joined yet. Members join by following the link in their welcome email.';
    if (totals) text = totals.joined > 0 ? 'No one joined in the last 90 days.' : 'No one has joined yet.';
    return h('p', { id: 'joins-empty' }, text);
  }
  const total = joined.reduce((a, [, n]) => a + n, 0);
  const most = Math.max(...joined.map(([, n]) => n));
  const tableId = 'joins-table';
  const frame = chartFrame('joins-svg', `Joins by day over the last 90 days: ${total} in all, at most ${most} in a day. The table has the numbers.`,
    tableId, days.map(([d]) => d), most);
  days.forEach(([d, n], i) => {
    if (n > 0) frame.svg.append(bar(frame, i, 0, n, 'chart-bar', `${shortDay(d)}: ${n} joined`, { 'data-day': d }));
  });
  const svg = frame.svg;
  const wrapId = 'joins-table-wrap';
  const wrap = h('div', { id: wrapId, class: 'visually-hidden' },
    h('table', { class: 'counts joins', id: tableId },
      h('caption', {}, `Joins by day, last 90 days (${tz})`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Day'), h('th', { scope: 'col' }, 'Joined'))),
      h('tbody', {}, joined.map(([d, n]) => h('tr', { 'data-day': d }, h('th', { scope: 'row' }, day(d)), h('td', {}, String(n))))),
      h('tfoot', {}, h('tr', {}, h('th', { scope: 'row' }, 'In all'), h('td', {}, String(total))))));
  const toggle = h('button', { type: 'button', class: 'link-button', id: 'joins-table-toggle', 'aria-controls': wrapId, 'aria-expanded': 'false' }, 'Show the numbers as a table');
  toggle.addEventListener('click', () => {
    const show = wrap.classList.toggle('visually-hidden') === false;
    toggle.setAttribute('aria-expanded', String(show));
    toggle.textContent = show ? 'Hide the table' : 'Show the numbers as a table';
  });
  return h('div', { class: 'chart-wrap' }, svg, h('p', {}, toggle), wrap);
}

function statusText(integ) {
  if (integ.state === 'needs_reauthorization') return 'PeopleHR refused the key: imports are stopped until you enter a new one.';
  if (!integ.key) return 'Not connected to PeopleHR';
  if (integ.published) return `${label(stateLabels, integ.state)}: imports run on the schedule`;
  return 'Paused: imports run only when you start one';
}

function heldSection(ctx, held, tz, show) {
  if (held.length === 0) return null;
  return h('section', { 'aria-labelledby': 'held-title', class: 'card attention', id: 'held' },
    h('h2', { id: 'held-title' }, held.length === 1 ? 'An import is waiting for you' : `${held.length} imports are waiting for you`),
    h('p', {}, `${held.length === 1 ? 'This import' : 'These imports'} would have closed many members at once, so nothing was changed. Approve to apply exactly what was planned, or discard.`),
    held.map((run) => heldRun(ctx, run, tz, show)));
}

// heldRun offers to approve or discard a held run, after diff (what it
// would change) when given.
function heldRun(ctx, run, tz, show, diff = null) {
  const approve = h('button', { type: 'button', class: 'button', 'data-approve': run.runId }, 'Approve', h('span', { class: 'visually-hidden' }, ` the import of ${when(run.queuedAt, tz)}`));
  const discard = h('button', { type: 'button', class: 'button secondary', 'data-discard': run.runId }, 'Discard', h('span', { class: 'visually-hidden' }, ` the import of ${when(run.queuedAt, tz)}`));
  approve.addEventListener('click', async () => {
    const yes = await confirmDialog({
      title: 'Apply this held import?',
      body: `It closes ${run.counts.closed} members, creates ${run.counts.created} and updates ${run.counts.updated}, exactly as planned. If PeopleHR has changed since, nothing is applied and you can start a new import.`,
      yes: 'Approve and apply',
    });
    if (!yes) return;
    await busy(approve, 'Approving…', async () => {
      try {
        const started = await api.approve(run.runId);
        ctx.navigate(`#/imports/${started.runId}`, 'Approved: the held changes are being applied.');
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        show(errorNotice(err, 'Not approved'));
      }
    });
  });
  discard.addEventListener('click', async () => {
    const yes = await confirmDialog({
      title: 'Discard this held import?',
      body: 'Nothing it planned is applied. The next import plans again from what PeopleHR says then.',
      yes: 'Discard',
      danger: true,
    });
    if (!yes) return;
    await busy(discard, 'Discarding…', async () => {
      try {
        await api.discard(run.runId);
        ctx.navigate('#/', 'The held import was discarded: nothing was changed.');
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        show(errorNotice(err, 'Not discarded'));
      }
    });
  });
  return h('article', { class: 'held-run', 'data-run': run.runId, 'aria-label': `Held import of ${when(run.queuedAt, tz)}` },
    h('h3', {}, `Import of ${when(run.queuedAt, tz)}`, h('span', { class: 'hint block' }, `${label(triggerLabels, run.trigger)}${run.startedBy ? `, started by ${run.startedBy}` : ''}`)),
    h('p', { class: 'held-reason' }, run.heldReason || 'Held by the mass-change safeguard.'),
    h('p', {}, `Planned: ${run.counts.closed} closed, ${run.counts.created} new, ${run.counts.updated} updated, ${run.counts.outOfScope || 0} out of scope, ${plural(run.counts.errors, 'error')}.`),
    diff,
    h('div', { class: 'actions' }, approve, discard));
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new DOMException('left the page', 'AbortError'));
    }, { once: true });
  });
}

// The progress of one import, polled until it finishes, then its impact.
export async function importView(ctx) {
  const [runId] = ctx.params;
  const [{ integration: integ }, first] = await Promise.all([api.integration(), api.run(runId, ctx.signal)]);
  if (ctx.signal.aborted) return;
  const tz = integ.settings.timeZone;
  let run = first;
  const bar = h('progress', { id: 'import-progress', 'aria-labelledby': 'progress-title', 'aria-describedby': 'import-phase import-count' });
  const phase = h('p', { id: 'import-phase', class: 'phase', 'aria-live': 'polite' });
  const count = h('p', { id: 'import-count', class: 'hint' });
  const outcome = h('div', { id: 'import-outcome' });
  replace(ctx.main,
    h('p', { class: 'eyebrow' }, h('a', { href: '#/history' }, 'Import history'), ' › ', 'Import'),
    h('h1', { tabindex: '-1' }, `Import of ${when(run.queuedAt, tz)}`),
    ctx.message ? notice('success', null, h('p', {}, ctx.message)) : null,
    h('p', { class: 'lead' }, `${label(triggerLabels, run.trigger)}, started by ${run.startedBy || 'the schedule'}.`),
    h('section', { 'aria-labelledby': 'progress-title', class: 'card', id: 'progress-card' },
      h('h2', { id: 'progress-title' }, 'Progress'),
      bar, phase, count),
    outcome);
  let lastPhase = '';
  const update = () => {
    const state = finished(run.status) ? 'done' : run.status === 'queued' ? 'queued' : run.phase || 'running';
    bar.dataset.state = state;
    if (finished(run.status)) {
      bar.max = 1;
      bar.value = 1;
      count.textContent = `${run.counts.total} PeopleHR records`;
    } else if (run.status === 'running' && run.total > 0) {
      bar.max = run.total;
      bar.value = Math.min(run.processed, run.total);
      count.textContent = `${run.processed} of ${run.total}`;
    } else {
      bar.removeAttribute('value'); // indeterminate: the total is not known yet
      count.textContent = run.processed > 0 ? `${run.processed} so far` : '';
    }
    const text = finished(run.status)
      ? `Done: ${label(runStatusLabels, run.status).toLowerCase()}.`
      : run.status === 'queued' ? 'Waiting to start…' : `${label(phaseLabels, run.phase, 'Running')}…`;
    if (text !== lastPhase) {
      phase.textContent = text;
      lastPhase = text;
    }
  };
  update();
  while (!finished(run.status)) {
    await sleep(pollEvery, ctx.signal);
    run = await api.run(runId, ctx.signal);
    if (ctx.signal.aborted) return;
    update();
  }
  replace(outcome, runOutcome(ctx, run, tz));
}

function runOutcome(ctx, run, tz) {
  const file = run.errorFile ? issuesSection(ctx, run, errorFileControl(run, tz)) : h('p', { id: 'no-error-file' }, 'No errors or warnings: there is no error file.');
  let reason = null;
  if (run.status === 'failed') reason = notice('error', 'The import failed', h('p', { id: 'failure-reason' }, run.failureReason || 'No reason was recorded.'), h('p', {}, 'What it applied before failing is kept.'));
  if (run.status === 'cancelled') reason = notice('warning', 'The import was stopped', h('p', {}, run.failureReason || 'It stopped after its current batch.'));
  if (run.status === 'held') {
    reason = run.resolution
      ? notice('info', 'This import was held', h('p', {}, `${run.heldReason} It was ${run.resolution}.`))
      : heldRun(ctx, run, tz, (el) => { document.getElementById('import-outcome').prepend(el); el.focus(); }, heldChangesSection(ctx, run));
  }
  return h('section', { 'aria-labelledby': 'result-title', id: 'import-result' },
    h('h2', { id: 'result-title' }, 'Result: ', statusBadge(run.status)),
    h('p', {}, `Started ${when(run.startedAt || run.queuedAt, tz)}, finished ${when(run.finishedAt, tz)}.`),
    reason,
    countsTable(run.counts, 'What this import did', 'import-counts'),
    phasesSection(run, tz),
    file,
    h('p', { class: 'actions' }, h('a', { href: '#/', class: 'button secondary' }, 'Back to the dashboard'), ' ', h('a', { href: '#/history' }, 'Import history')));
}

// errorFileControl fetches a fresh short-lived link when asked, and
// starts the download; the link stays on the page for 15 minutes.
export function errorFileControl(run, tz, compact = false) {
  const link = h('a', { class: 'error-file-link', hidden: true, id: compact ? null : 'error-file-link' }, 'the error file (CSV)');
  const holder = h(compact ? 'span' : 'p', { class: 'hint block', hidden: true }, 'If the download does not start, open ', link, '. The link works for 15 minutes.');
  const label = compact ? 'Error file' : 'Download the error file (CSV)';
  const button = h('button', { type: 'button', class: compact ? 'link-button' : 'button secondary', id: compact ? null : 'download-errors', 'data-errors': run.runId },
    label, h('span', { class: 'visually-hidden' }, ` of the import of ${when(run.queuedAt, tz)}`));
  const problem = h(compact ? 'span' : 'div', { class: 'block' });
  button.addEventListener('click', () => busy(button, 'Getting the link…', async () => {
    try {
      const { url } = await api.errorFileLink(run.runId);
      link.href = url;
      link.hidden = false;
      holder.hidden = false;
      replace(problem);
      location.assign(url); // S3 answers it as an attachment: the page stays
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      replace(problem, errorNotice(err, 'No error file'));
    }
  }));
  if (compact) return h('span', {}, button, holder, problem);
  return h('div', { class: 'error-file' }, h('p', { class: 'hint' }, 'Every row in a spreadsheet:'), button, holder, problem);
}
