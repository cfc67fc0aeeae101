// The dashboard's charts, drawn from the run records of the last 90 days:
// inline SVG coloured by classes in console.css (no style, no script in
// the markup), each with its numbers in a table beside it.
import { api } from './api.js';
import { h, svgEl, uid, day, dayOf, finished } from './ui.js';
import { label, runStatusLabels } from './labels.js';

export const chartDays = 90;
const maxRunPages = 25; // of 100 runs: hourly imports for 90 days and more

// calendarDays lists the last n days to today in the zone, oldest first.
function calendarDays(n, tz) {
  const today = dayOf(new Date().toISOString(), tz);
  const [y, m, d] = today.split('-').map(Number);
  const out = [];
  for (let i = n - 1; i >= 0; i -= 1) out.push(new Date(Date.UTC(y, m - 1, d - i)).toISOString().slice(0, 10));
  return out;
}

const runDay = (r, tz) => dayOf(r.finishedAt || r.queuedAt, tz);

// recentRuns reads the runs of the last 90 days in the zone, newest first,
// from the history a page of 100 at a time after the first page the
// dashboard read: { days (oldest first), runs }.
export async function recentRuns(ctx, first, tz) {
  const days = calendarDays(chartDays, tz);
  const runs = [];
  let page = first;
  for (let n = 1; ; n += 1) {
    let older = false;
    for (const r of page.items) {
      const d = runDay(r, tz);
      if (d && d < days[0]) older = true;
      else runs.push(r);
    }
    if (older || !page.nextCursor || n >= maxRunPages) break;
    page = await api.imports(page.nextCursor, 100);
    if (ctx.signal.aborted) break;
  }
  return { days, runs };
}

export const shortDay = (d) => new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(d));

// Every chart here is 90 day slots across, 0 to most up.
const [W, H, left, right, top, bottom] = [720, 170, 34, 44, 12, 30];
const slot = (W - left - right) / chartDays;

// chartFrame is a chart's SVG with its title, axes and day labels: place(i)
// is the left of day i's bar, y(n) the height of n, base the zero line.
export function chartFrame(id, title, tableId, days, most, ...marks) {
  const titleId = uid(`${id}-title`);
  const y = (n) => top + (H - top - bottom) * (1 - n / most);
  const svg = svgEl('svg', { class: 'chart', id, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': titleId, 'aria-describedby': tableId, focusable: 'false' },
    svgEl('title', { id: titleId }, title),
    svgEl('line', { class: 'chart-axis', x1: left, x2: W - right, y1: H - bottom, y2: H - bottom }),
    svgEl('line', { class: 'chart-grid', x1: left, x2: W - right, y1: top, y2: top }),
    svgEl('text', { class: 'chart-label', x: left - 6, y: top + 4, 'text-anchor': 'end' }, String(most)),
    svgEl('text', { class: 'chart-label', x: left - 6, y: H - bottom + 4, 'text-anchor': 'end' }, '0'),
    svgEl('text', { class: 'chart-label', x: left, y: H - 8, 'text-anchor': 'start' }, shortDay(days[0])),
    svgEl('text', { class: 'chart-label', x: W - right, y: H - 8, 'text-anchor': 'end' }, 'Today'));
  return { svg, y, base: H - bottom, place: (i) => left + i * slot + slot * 0.15, width: Math.max(1, slot * 0.7) };
}

// bar is one day's bar (or a part of one, from n0 up to n1).
export function bar(frame, i, n0, n1, cls, tip, extra = {}) {
  const y1 = frame.y(n1);
  return svgEl('rect', { class: cls, x: frame.place(i).toFixed(1), y: y1.toFixed(1), width: frame.width.toFixed(1),
    height: Math.max(1, frame.y(n0) - y1).toFixed(1), ...extra }, svgEl('title', {}, tip));
}

// numbers is a chart's table in a disclosure: caption, column headers and
// a row a day, a header cell each.
function numbers(id, caption, columns, rows) {
  return h('details', { class: 'chart-numbers', id: `${id}-numbers` },
    h('summary', {}, 'The numbers as a table'),
    h('div', { class: 'table-wrap' },
      h('table', { class: 'history chart-table', id },
        h('caption', {}, caption),
        h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, rows.map(([d, ...cells]) => h('tr', { 'data-day': d }, h('th', { scope: 'row' }, day(d)), cells.map((c) => h('td', {}, String(c)))))))));
}

// Members by status: each day's last count (carried over days without an
// import), active members (who joined) below, those invited who have not
// joined yet above. Leavers are not in the count.
export function membersChart({ days, runs }, tz) {
  const counted = new Map();
  for (const r of [...runs].reverse()) if (r.members) counted.set(runDay(r, tz), r.members);
  if (counted.size === 0) return h('p', { id: 'members-chart-empty' }, 'No import counted the members in the last 90 days.');
  let last = null;
  const series = days.map((d) => {
    if (counted.has(d)) last = counted.get(d);
    return [d, last];
  });
  const most = Math.max(1, ...series.map(([, t]) => (t ? t.members : 0)));
  const now = last;
  const frame = chartFrame('members-svg', `Members by status over the last 90 days: now ${now.joined} active and ${now.members - now.joined} invited, not joined yet. The table has the numbers.`,
    'members-table', days, most);
  series.forEach(([d, t], i) => {
    if (!t) return;
    const invited = t.members - t.joined;
    frame.svg.append(bar(frame, i, 0, t.joined, 'chart-bar status-active', `${shortDay(d)}: ${t.joined} active`, { 'data-day': d }));
    if (invited > 0) frame.svg.append(bar(frame, i, t.joined, t.members, 'chart-bar status-invited', `${shortDay(d)}: ${invited} invited, not joined yet`));
  });
  const rows = days.filter((d) => counted.has(d)).map((d) => {
    const t = counted.get(d);
    return [d, t.joined, t.members - t.joined, t.members];
  });
  return h('div', { class: 'chart-wrap' }, frame.svg,
    legend([['status-active', 'Active (joined)'], ['status-invited', 'Invited, not joined yet']]),
    numbers('members-table', `Members by status, by day, last 90 days (${tz}): the last count of each day with an import`,
      ['Day', 'Active (joined)', 'Invited, not joined yet', 'Members'], rows));
}

// The outcomes a day's bar takes the colour of, the worst first.
const worstFirst = ['failed', 'held', 'succeeded_with_errors', 'cancelled', 'succeeded'];

const changesOf = (c) => c.created + c.updated + c.closed + c.reactivated;

function seconds(r) {
  const from = r.startedAt || r.queuedAt;
  return from && r.finishedAt ? Math.max(0, Math.round((Date.parse(r.finishedAt) - Date.parse(from)) / 1000)) : 0;
}

export function duration(s) {
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

// Imports by day: a bar of the changes the day's imports made, coloured
// by its worst outcome, and a dot at its longest import's duration.
export function importsChart({ days, runs }, tz) {
  const byDay = new Map();
  for (const r of runs) {
    if (!finished(r.status)) continue;
    const d = runDay(r, tz);
    const e = byDay.get(d) || { imports: 0, outcomes: {}, changes: 0, longest: 0 };
    e.imports += 1;
    e.outcomes[r.status] = (e.outcomes[r.status] || 0) + 1;
    if (r.status !== 'held') e.changes += changesOf(r.counts); // a held run changed nothing
    e.longest = Math.max(e.longest, seconds(r));
    byDay.set(d, e);
  }
  if (byDay.size === 0) return h('p', { id: 'imports-chart-empty' }, 'No import finished in the last 90 days.');
  const all = [...byDay.values()];
  const most = Math.max(1, ...all.map((e) => e.changes));
  const slowest = Math.max(1, ...all.map((e) => e.longest));
  const outcomeText = (e) => worstFirst.filter((s) => e.outcomes[s]).map((s) => `${e.outcomes[s]} ${label(runStatusLabels, s).toLowerCase()}`).join(', ');
  const failed = all.reduce((n, e) => n + (e.outcomes.failed || 0), 0);
  const frame = chartFrame('imports-svg', `Imports by day over the last 90 days: ${all.reduce((n, e) => n + e.imports, 0)} imports, ${failed} failed, ${all.reduce((n, e) => n + e.changes, 0)} changes; the longest took ${duration(slowest)}. The table has the numbers.`,
    'imports-table', days, most);
  const dotY = (s) => top + (H - top - bottom) * (1 - s / slowest);
  frame.svg.append(svgEl('text', { class: 'chart-label', x: W - right + 6, y: top + 4, 'text-anchor': 'start' }, duration(slowest)));
  days.forEach((d, i) => {
    const e = byDay.get(d);
    if (!e) return;
    const worst = worstFirst.find((s) => e.outcomes[s]) || 'succeeded';
    const tip = `${shortDay(d)}: ${e.imports} ${e.imports === 1 ? 'import' : 'imports'} (${outcomeText(e)}), ${e.changes} changes, longest ${duration(e.longest)}`;
    frame.svg.append(bar(frame, i, 0, e.changes, `chart-bar outcome-${worst}`, tip, { 'data-day': d }),
      svgEl('circle', { class: 'chart-dot', cx: (frame.place(i) + frame.width / 2).toFixed(1), cy: dotY(e.longest).toFixed(1), r: 3 },
        svgEl('title', {}, `${shortDay(d)}: longest import ${duration(e.longest)}`)));
  });
  const rows = days.filter((d) => byDay.has(d)).reverse().map((d) => {
    const e = byDay.get(d);
    return [d, e.imports, outcomeText(e), e.changes, duration(e.longest)];
  });
  return h('div', { class: 'chart-wrap' }, frame.svg,
    legend([['outcome-succeeded', 'Succeeded'], ['outcome-succeeded_with_errors', 'With errors or cancelled'], ['outcome-held', 'Held'], ['outcome-failed', 'Failed'], ['chart-dot', 'Longest import (right scale)']]),
    numbers('imports-table', `Imports by day, newest first, last 90 days (${tz}); changes are new, updated, closed and reactivated members`,
      ['Day', 'Imports', 'Outcomes', 'Changes', 'Longest'], rows));
}

function legend(items) {
  return h('ul', { class: 'chart-legend' }, items.map(([cls, text]) => h('li', {}, h('span', { class: `swatch ${cls}`, 'aria-hidden': 'true' }), text)));
}
