// The four setup steps: settings, authorize, mapping, review and publish.
import { api, ApiError, isConflict, versionTag } from './api.js';
import {
  h, replace, notice, errorNotice, conflictNotice, saveRefusedNotice, busy, uid, scheduleText, when, day, weekdayNames, capital, countsTable,
  scopeRuleText, confirmDialog,
} from './ui.js';
import { dateFormatExamples, fieldLabels, keyErrorTitles, label, scopeOpLabels, welcomeTimingLabels } from './labels.js';

const steps = [
  ['settings', 'Settings'],
  ['authorize', 'Connect PeopleHR'],
  ['mapping', 'Field mapping'],
  ['review', 'Review and publish'],
];

export async function setupView(ctx) {
  const [step] = ctx.params;
  // etag: the version this page shows, which the step's save must match.
  const { integration: integ, etag } = await api.integration();
  if (ctx.signal.aborted) return;
  const view = { settings: settingsStep, authorize: authorizeStep, mapping: mappingStep, review: reviewStep }[step];
  const index = steps.findIndex(([id]) => id === step);
  const [, title] = steps[index];
  const body = h('div', { id: `step-${step}` });
  replace(ctx.main,
    h('p', { class: 'eyebrow' }, `Setup · step ${index + 1} of 4`),
    h('h1', { tabindex: '-1' }, title),
    stepper(step, integ),
    ctx.message ? notice('success', null, h('p', {}, ctx.message)) : null,
    body);
  await view(ctx, integ, body, etag);
}

function stepper(active, integ) {
  const done = { authorize: !!integ.key, review: integ.published };
  return h('nav', { 'aria-label': 'Setup steps', class: 'steps-nav' },
    h('ol', { class: 'steps' }, steps.map(([id, label], i) =>
      h('li', { class: id === active ? 'step current' : 'step' },
        h('a', { href: `#/setup/${id}`, 'aria-current': id === active ? 'step' : false },
          h('span', { class: 'step-number' }, String(i + 1)), ' ', label,
          done[id] ? h('span', { class: 'visually-hidden' }, ' (done)') : null)))));
}

// Field-level errors: a summary at the top of the form, with buttons that
// take the focus to each field, and the message beside the field itself.

function clearErrors(form) {
  for (const el of form.querySelectorAll('.field-error, .error-summary')) el.remove();
  for (const el of form.querySelectorAll('[aria-invalid]')) {
    el.removeAttribute('aria-invalid');
    const ids = (el.getAttribute('aria-describedby') || '').split(' ').filter((id) => !id.endsWith('-error'));
    if (ids.length) el.setAttribute('aria-describedby', ids.join(' '));
    else el.removeAttribute('aria-describedby');
  }
}

function showErrors(form, err, title, fieldFor) {
  clearErrors(form);
  const items = [];
  for (const d of err.details) {
    const input = fieldFor(d.field);
    if (input) {
      const id = `${input.id}-error`;
      let p = form.querySelector(`#${CSS.escape(id)}`);
      if (!p) {
        p = h('p', { class: 'field-error', id });
        const anchor = input.closest('.field, fieldset, td') || input.parentElement;
        const label = anchor.querySelector('label, legend');
        const hint = anchor.querySelector('.hint');
        (hint || label || input).after(p);
        input.setAttribute('aria-invalid', 'true');
        input.setAttribute('aria-describedby', [input.getAttribute('aria-describedby'), id].filter(Boolean).join(' '));
      }
      // summaryRecipients[1] is the second line of its field;
      // scope[0].values[1] the second value of the rule's values.
      const line = /(\.values)?\[(\d+)\]$/.exec(d.field);
      const msg = line ? `${line[1] ? 'value' : 'line'} ${Number(line[2]) + 1} ${d.message}` : d.message;
      p.textContent = p.textContent ? `${p.textContent} ${capital(msg)}.` : `${capital(msg)}.`;
      items.push(h('li', {}, h('button', { type: 'button', class: 'link-button', onclick: () => input.focus() },
        `${labelOf(input)}: ${msg}`)));
    } else {
      items.push(h('li', {}, d.field ? `${d.field}: ${d.message}` : d.message));
    }
  }
  const summary = h('div', { class: 'notice notice-error error-summary', role: 'alert', tabindex: '-1' },
    h('h2', { class: 'notice-title' }, title),
    h('p', {}, err.message),
    items.length ? h('ul', {}, items) : null,
    err.requestId ? h('p', { class: 'hint' }, `Request id: ${err.requestId}`) : null);
  form.prepend(summary);
  summary.focus();
}

function labelOf(input) {
  const label = input.id && document.querySelector(`label[for="${CSS.escape(input.id)}"]`);
  if (label) return label.textContent.replace(/\s+/g, ' ').trim();
  const legend = input.closest('fieldset') && input.closest('fieldset').querySelector('legend');
  return legend ? legend.textContent.trim() : input.name;
}

// showConflict puts the refusal of a stale save above its form, which
// stays as typed so the admin can see what to make again after a reload;
// the form's errors of an earlier try no longer hold.
function showConflict(ctx, body, form, err) {
  clearErrors(form);
  const el = conflictNotice(err, ctx.reload);
  replace(body, el, form);
  el.focus();
}

function field(id, label, input, hint) {
  const hintId = hint ? `${id}-hint` : null;
  if (hintId) input.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field', id: `${id}-field` },
    h('label', { for: id }, label),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    input);
}

function checkbox(id, label, checked, hint) {
  const hintId = hint ? `${id}-hint` : null;
  return h('div', { class: 'field checkbox' },
    h('input', { type: 'checkbox', id, name: id, checked, 'aria-describedby': hintId }),
    h('label', { for: id }, label),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null);
}

function timeZones(current) {
  let zones = [];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    zones = ['Europe/London', 'UTC'];
  }
  for (const z of ['UTC', 'Europe/London', current]) if (z && !zones.includes(z)) zones.unshift(z);
  return zones;
}

// Step 1.
async function settingsStep(ctx, integ, body, etag) {
  const s = integ.settings;
  const freq = (value, label, hint) => h('div', { class: 'radio' },
    h('input', { type: 'radio', name: 'frequency', id: `frequency-${value}`, value, checked: s.frequency === value,
      'aria-describedby': `frequency-${value}-hint` }),
    h('label', { for: `frequency-${value}` }, label),
    h('p', { class: 'hint', id: `frequency-${value}-hint` }, hint));
  const weekday = h('select', { id: 'weekday', name: 'weekday' },
    weekdayNames.map((d) => h('option', { value: d, selected: (s.weekday || 'monday') === d }, capital(d))));
  const weekdayField = field('weekday', 'Day of the week', weekday);
  const tz = h('select', { id: 'timeZone', name: 'timeZone' },
    timeZones(s.timeZone).map((z) => h('option', { value: z, selected: z === s.timeZone }, z.replace(/_/g, ' '))));
  const timing = s.welcomeTiming || 'on_creation';
  const timingRadio = (value, hint) => h('div', { class: 'radio' },
    h('input', { type: 'radio', name: 'welcomeTiming', id: `welcomeTiming-${value}`, value, checked: timing === value,
      'aria-describedby': `welcomeTiming-${value}-hint` }),
    h('label', { for: `welcomeTiming-${value}` }, label(welcomeTimingLabels, value)),
    h('p', { class: 'hint', id: `welcomeTiming-${value}-hint` }, hint));
  const welcomeTimingGroup = h('fieldset', { class: 'subgroup', id: 'welcomeTiming-group' },
    h('legend', {}, 'When to send the welcome email'),
    timingRadio('on_creation', 'At the first import that finds the new member.'),
    timingRadio('on_start_date', `For pre-hires: the account is created at once and the email goes on their start date, in your time zone. Members who have already started get it at once.`));
  // Reminders follow the first invitation: with no welcome email there is
  // none to remind of, so the choice hides with the welcome's timing.
  const reminders = checkbox('inviteReminders', 'Remind invited members who have not joined (on the 3rd and 10th day, at 09:00 local time)',
    s.inviteReminders !== false,
    'Counted from their first invitation, at 09:00 in the time zone above. Members who have joined or left get no reminder.');
  // PeopleHR's fields are read (a call to PeopleHR) only once a rule is
  // there to choose one for.
  const scope = scopeEditor(s.scope || [], integ.key ? ctx.signal : null);
  const form = h('form', { id: 'settings-form', novalidate: true },
    h('fieldset', { class: 'group', id: 'frequency-group' },
      h('legend', {}, 'How often to import'),
      freq('hourly', 'Every hour', 'At the minute past the hour given below.'),
      freq('daily', 'Every day', 'At the time given below.'),
      freq('weekly', 'Every week', 'On the day and at the time given below.')),
    field('timeOfDay', 'Time of the import', h('input', { type: 'time', id: 'timeOfDay', name: 'timeOfDay', value: s.timeOfDay, required: true }),
      'In your time zone, 24-hour clock. Imports start within 15 minutes of it, so that everyone’s do not start at once.'),
    weekdayField,
    field('timeZone', 'Time zone', tz, 'Schedules follow it across daylight-saving changes.'),
    field('dateFormat', 'Date format of text dates in PeopleHR', h('select', { id: 'dateFormat', name: 'dateFormat' },
      Object.entries(dateFormatExamples).map(([f, ex]) => h('option', { value: f, selected: f === s.dateFormat }, `${f} (e.g. ${ex})`))),
    'Used for dates in custom columns. Standard PeopleHR dates are always read as yyyy-MM-dd.'),
    h('fieldset', { class: 'group' },
      h('legend', {}, 'Emails'),
      checkbox('welcomeEmail', 'Send new members a welcome email', s.welcomeEmail,
        'With a one-time link to set their password. When off, new members are created active with no email.'),
      welcomeTimingGroup,
      reminders,
      field('summaryRecipients', 'Also send the import summary to', h('textarea', { id: 'summaryRecipients', name: 'summaryRecipients', rows: '3', autocomplete: 'off', spellcheck: 'false' },
        (s.summaryRecipients || []).join('\n')),
      `You get the summary of every import. Add other addresses here, one per line.`),
      checkbox('emailWhenNothingChanged', 'Email the summary even when nothing changed', s.emailWhenNothingChanged)),
    scope.element,
    h('fieldset', { class: 'group' },
      h('legend', {}, 'Leavers and safeguards'),
      checkbox('closeMissingMembers', 'Close members who are missing from PeopleHR', s.closeMissingMembers,
        'When off, a member not found in PeopleHR is only reported as a warning.'),
      field('massChangeThresholdPercent', 'Hold an import that would close more than this percentage of members',
        h('input', { type: 'number', id: 'massChangeThresholdPercent', name: 'massChangeThresholdPercent', min: '1', max: '100', step: '1', inputmode: 'numeric', class: 'short', value: String(s.massChangeThresholdPercent) }),
        'At least 5 members. A held import changes nothing until you approve it.')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button', id: 'save-settings' }, 'Save and continue')));

  const syncWeekday = () => {
    weekdayField.hidden = !form.querySelector('#frequency-weekly').checked;
    welcomeTimingGroup.hidden = !form.querySelector('#welcomeEmail').checked;
    reminders.hidden = welcomeTimingGroup.hidden;
  };
  form.addEventListener('change', syncWeekday);
  syncWeekday();

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const frequency = (form.querySelector('input[name=frequency]:checked') || {}).value || '';
    const threshold = form.querySelector('#massChangeThresholdPercent').value.trim();
    const settings = {
      frequency,
      timeOfDay: form.querySelector('#timeOfDay').value.trim(),
      timeZone: tz.value,
      dateFormat: form.querySelector('#dateFormat').value,
      welcomeEmail: form.querySelector('#welcomeEmail').checked,
      summaryRecipients: form.querySelector('#summaryRecipients').value.split(/[\n,;]+/).map((a) => a.trim()).filter(Boolean),
      emailWhenNothingChanged: form.querySelector('#emailWhenNothingChanged').checked,
      inviteReminders: form.querySelector('#inviteReminders').checked,
      closeMissingMembers: form.querySelector('#closeMissingMembers').checked,
      massChangeThresholdPercent: /^-?\d+(\.\d+)?$/.test(threshold) ? Number(threshold) : threshold,
      scope: scope.value(),
      welcomeTiming: (form.querySelector('input[name=welcomeTiming]:checked') || {}).value || 'on_creation',
    };
    if (frequency === 'weekly') settings.weekday = weekday.value;
    await busy(form.querySelector('#save-settings'), 'Saving…', async () => {
      try {
        await api.saveSettings(settings, etag);
        ctx.navigate('#/setup/authorize', 'Settings saved.');
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (isConflict(err)) return showConflict(ctx, body, form, err);
        showErrors(form, err, 'Some settings need a change', (f) => {
          const rule = /^scope\[(\d+)\]\.(source|op|values)/.exec(f);
          if (rule) return form.querySelector(`#scope-${rule[1]}-${rule[2]}`);
          if (f === 'scope') return form.querySelector('#scope-add');
          const name = f.replace(/\[\d+\]$/, '');
          if (name === 'frequency') return form.querySelector('input[name=frequency]:checked') || form.querySelector('#frequency-hourly');
          if (name === 'welcomeTiming') return form.querySelector('input[name=welcomeTiming]:checked') || form.querySelector('#welcomeTiming-on_creation');
          return form.querySelector(`#${CSS.escape(name)}`);
        });
      }
    });
  });
  replace(body,
    h('p', { class: 'lead' }, 'When imports run, how dates are read, who is in the programme and who hears about them.'),
    form);
}

// The scoping rules: each leaves out the PeopleHR records whose field
// matches it. Rows are numbered in list order, as the API names its errors
// (scope[0].source is #scope-0-source), and renumbered when one goes.

const maxScopeRules = 20;

// Values are typed as a comma-separated list, or one a line (then a value
// may hold a comma).
function splitValues(text) {
  return (text.includes('\n') ? text.split('\n') : text.split(',')).map((v) => v.trim()).filter(Boolean);
}

function joinValues(values) {
  return values.some((v) => v.includes(',')) ? values.join('\n') : values.join(', ');
}

// signal: the view's, when PeopleHR's fields can be read (a key is stored).
function scopeEditor(rules, signal) {
  let sources = null; // Map of PeopleHR field -> examples, once read
  let asked = false;
  const list = h('ol', { class: 'scope-rules', id: 'scope-rules' });
  const empty = h('p', { id: 'scope-empty' }, 'No rules: every employee in PeopleHR is in the programme.');
  const add = h('button', { type: 'button', class: 'button secondary', id: 'scope-add' }, 'Add a rule');
  const datalist = h('datalist', { id: 'scope-sources' });
  const status = h('p', { class: 'hint', id: 'scope-sources-status', 'aria-live': 'polite' });

  const examplesText = (path) => {
    if (/^BankDetail(\.|$)/i.test(path)) return 'Bank details are never read: choose another field.';
    if (!path || !sources) return '';
    if (!sources.has(path)) return 'Not found in the first employees of your data: check the name.';
    const ex = sources.get(path);
    return ex.length ? `In your data: ${ex.join(' · ')}` : 'No values in the first employees of your data.';
  };
  const valuesHint = (op) => (op === 'equals' || op === 'not_equals'
    ? 'One value. Case and surrounding spaces are ignored.'
    : 'Separate values with commas, or put one on each line. Case and surrounding spaces are ignored.');

  const row = (r, i) => {
    const id = `scope-${i}`;
    const n = ` of rule ${i + 1}`;
    const source = h('input', { type: 'text', id: `${id}-source`, class: 'scope-source', list: 'scope-sources', value: r.source,
      autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off', 'aria-describedby': `${id}-source-hint` });
    const sourceHint = h('p', { class: 'hint', id: `${id}-source-hint` }, examplesText(r.source));
    source.addEventListener('input', () => { sourceHint.textContent = examplesText(source.value.trim()); });
    const op = h('select', { id: `${id}-op`, class: 'scope-op' },
      Object.entries(scopeOpLabels).map(([o, text]) => h('option', { value: o, selected: o === r.op }, text)));
    const values = h('textarea', { id: `${id}-values`, class: 'scope-values', rows: '2', autocomplete: 'off', spellcheck: 'false',
      'aria-describedby': `${id}-values-hint` }, r.text);
    const vHint = h('p', { class: 'hint', id: `${id}-values-hint` }, valuesHint(r.op));
    op.addEventListener('change', () => { vHint.textContent = valuesHint(op.value); });
    const remove = h('button', { type: 'button', class: 'link-button scope-remove', id: `${id}-remove` },
      'Remove', h('span', { class: 'visually-hidden' }, ` rule ${i + 1}`));
    remove.addEventListener('click', () => {
      const rs = read();
      rs.splice(i, 1);
      render(rs, rs.length ? `scope-${Math.min(i, rs.length - 1)}-source` : 'scope-add');
    });
    const hidden = (t) => h('span', { class: 'visually-hidden' }, t);
    return h('li', { class: 'scope-rule', 'data-rule': String(i) },
      h('fieldset', {},
        h('legend', {}, `Rule ${i + 1}: leave out employees whose`),
        h('div', { class: 'scope-row' },
          h('div', { class: 'field' }, h('label', { for: source.id }, 'PeopleHR field', hidden(n)), sourceHint, source),
          h('div', { class: 'field' }, h('label', { for: op.id }, 'Comparison', hidden(n)), op),
          h('div', { class: 'field' }, h('label', { for: values.id }, 'Values', hidden(n)), vHint, values)),
        remove));
  };
  // read takes the rules as typed, values still text.
  const read = () => [...list.children].map((li) => ({
    source: li.querySelector('.scope-source').value.trim(),
    op: li.querySelector('.scope-op').value,
    text: li.querySelector('.scope-values').value,
  }));
  const render = (rs, focusId) => {
    replace(list, rs.map(row));
    empty.hidden = rs.length > 0;
    list.hidden = rs.length === 0;
    add.disabled = rs.length >= maxScopeRules;
    if (focusId) document.getElementById(focusId).focus();
  };
  add.addEventListener('click', () => {
    const rs = read();
    if (rs.length >= maxScopeRules) return;
    rs.push({ source: '', op: 'equals', text: '' });
    render(rs, `scope-${rs.length - 1}-source`);
    loadSources();
  });
  render(rules.map((r) => ({ source: r.source, op: r.op, text: joinValues(r.values || []) })));

  const element = h('fieldset', { class: 'group', id: 'scope-group' },
    h('legend', {}, 'Who is in the programme'),
    h('p', { class: 'hint', id: 'scope-hint' },
      `Everyone in PeopleHR is, unless a rule leaves them out: for example contractors, or a site. An employee who matches any rule is never created, and is counted as out of scope. A member who comes to match one is treated as missing from PeopleHR. Up to ${maxScopeRules} rules.`),
    status, datalist, empty, list,
    h('div', { class: 'actions' }, add));
  // loadSources reads, once, the fields found in the tenant's PeopleHR
  // data for the list a rule's field is chosen from (it can be typed too).
  async function loadSources() {
    if (asked) return;
    asked = true;
    if (!signal) {
      status.textContent = 'Connect PeopleHR to choose from the fields in your data. Until then, type a field’s name, e.g. EmploymentType or Location.';
      return;
    }
    status.textContent = 'Reading your PeopleHR fields…';
    try {
      const found = await api.fields(signal);
      sources = new Map(found.sources.map((f) => [f.path, f.examples]));
      replace(datalist, found.sources.map((f) => h('option', { value: f.path })));
      status.textContent = `Choose from the ${found.sources.length} PeopleHR fields found in your data, or type a field’s name.`;
      for (const input of list.querySelectorAll('.scope-source')) {
        list.querySelector(`#${input.id}-hint`).textContent = examplesText(input.value.trim());
      }
    } catch (err) {
      if (signal.aborted || (err && err.name === 'AbortError') || (err && err.status === 401)) return;
      status.textContent = 'Your PeopleHR fields could not be read just now: type a field’s name, e.g. EmploymentType or Location.';
    }
  }
  if (rules.length) loadSources();

  return {
    element,
    value: () => read().map((r) => ({ source: r.source, op: r.op, values: splitValues(r.text) })),
  };
}

// Step 2: the key goes in a modal dialog and is checked with PeopleHR at once.
// Codes that say nothing against the key itself: the field is not marked
// invalid, so the admin does not go looking for a fault in a good key.
const keyNotAtFault = (code) => code === 'peoplehr_unavailable' || code === 'rate_limited';

async function authorizeStep(ctx, integ, body) {
  const status = h('div', { id: 'key-status', class: 'card' }, keyStatus(integ));
  const opener = h('button', { type: 'button', class: 'button', id: 'open-key-dialog' },
    integ.key ? 'Replace the API key' : 'Enter the API key');
  const next = h('p', { id: 'authorize-next', hidden: !integ.key }, h('a', { href: '#/setup/mapping', class: 'button secondary' }, 'Continue to field mapping'));
  // The listener card, once a key is stored (the key dialog adds it when
  // the first key is accepted).
  const listenerSlot = h('div', { id: 'listener-slot' });
  const keyStored = (i) => {
    if (i.key && !listenerSlot.firstChild) replace(listenerSlot, listenerCard(ctx, i));
  };
  keyStored(integ);
  opener.addEventListener('click', () => keyDialog(ctx, opener, status, next, keyStored));
  replace(body,
    h('p', { class: 'lead' }, 'Connect your PeopleHR account with an API key. The key is checked with PeopleHR at once, stored encrypted and never shown again: only its last 4 characters.'),
    status,
    h('div', { class: 'help' },
      h('h2', {}, 'What key to create'),
      h('p', {}, 'In PeopleHR, go to Settings, then API, and create a key with only what this service uses:'),
      h('ul', {},
        h('li', {}, 'the Employee application’s “Get All Employee Detail” action;'),
        h('li', {}, 'the Query application’s action too, only if you map fields from a custom query.')),
      h('p', {}, 'A key with more actions works as well, but giving it only these is safer.'),
      integ.egressIp ? h('p', { id: 'egress-ip' }, 'If the key only works from listed IP addresses, allow ',
        h('code', {}, integ.egressIp), ': every call this service makes to PeopleHR comes from that one address.') : null),
    h('div', { class: 'actions' }, opener),
    listenerSlot,
    next);
}

// listenerCard offers a listener URL for PeopleHR's change notifications.
// The URL is shown once, in the answer that makes it: the page keeps it in
// this card only (never in storage), and takes it out of the page when the
// admin leaves the step.
function listenerCard(ctx, integ) {
  const tz = integ.settings && integ.settings.timeZone;
  let listener = integ.listener || null; // {createdAt}, never the URL
  const state = h('div', { id: 'listener-state' });
  const result = h('div', { id: 'listener-result', 'aria-live': 'polite' });
  const card = h('section', { class: 'card listener', id: 'listener-card', 'aria-labelledby': 'listener-title' },
    h('h2', { id: 'listener-title' }, 'Changes within a minute'),
    h('p', { id: 'listener-about' }, 'With a listener URL set in PeopleHR, a new starter, a change to someone’s details, a leaver or a deleted employee reaches your members within about a minute. The scheduled import still runs and catches anything missed.'),
    state,
    result);
  // Leaving the step: the URL goes from the page with the card.
  ctx.signal.addEventListener('abort', () => {
    for (const el of card.querySelectorAll('input')) el.value = '';
    card.remove();
  });

  const failed = (err, title) => {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 401) return; // the shell signs the admin out
    const el = errorNotice(err, title);
    replace(result, el);
    el.focus();
  };
  const said = (text) => replace(result, h('p', { id: 'listener-said', class: 'listener-said' }, text));

  const make = async (button, busyText) => busy(button, busyText, async () => {
    let made;
    try {
      made = await api.makeListener();
    } catch (err) {
      return failed(err, 'The listener URL was not made');
    }
    const replaced = !!listener;
    listener = { createdAt: made.createdAt };
    render(made.url);
    said(replaced
      ? 'A new listener URL was made, and the old one stopped working. Paste the new one into PeopleHR now: it is shown only once.'
      : 'Listener URL made. Paste it into PeopleHR now: it is shown only once.');
    const field = state.querySelector('#listener-url');
    field.focus();
    field.select();
  });

  const rotate = async (button) => {
    const yes = await confirmDialog({
      title: 'Make a new listener URL?',
      body: 'The URL set in PeopleHR now stops working at once: PeopleHR’s changes wait for the scheduled import until you paste the new one there.',
      yes: 'Make a new URL',
      danger: true,
    });
    if (yes) await make(button, 'Making a new URL…');
  };

  const stop = async (button) => {
    const yes = await confirmDialog({
      title: 'Stop listening to PeopleHR?',
      body: 'The listener URL stops working at once, and PeopleHR’s changes wait for the scheduled import. You can make a new URL at any time.',
      yes: 'Stop listening',
      danger: true,
    });
    if (!yes) return;
    await busy(button, 'Stopping…', async () => {
      try {
        await api.deleteListener();
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== 404) return failed(err, 'The listener URL was not stopped');
      }
      listener = null;
      render();
      said('Stopped listening: the listener URL no longer works. PeopleHR’s changes reach your members with the scheduled import.');
      state.querySelector('#make-listener').focus();
    });
  };

  // render shows the card's state; url only in the answer that made it.
  function render(url) {
    for (const el of state.querySelectorAll('input')) el.value = '';
    if (!listener) {
      const button = h('button', { type: 'button', class: 'button', id: 'make-listener' }, 'Make a listener URL');
      button.addEventListener('click', () => make(button, 'Making a URL…'));
      replace(state,
        h('p', { id: 'listener-status' }, h('strong', {}, 'Not set up. '), 'PeopleHR’s changes reach your members with the scheduled import.'),
        h('div', { class: 'actions' }, button));
      return;
    }
    const again = h('button', { type: 'button', class: 'button secondary', id: 'rotate-listener' }, 'Make a new URL');
    const off = h('button', { type: 'button', class: 'button secondary', id: 'stop-listener' }, 'Stop listening');
    again.addEventListener('click', () => rotate(again));
    off.addEventListener('click', () => stop(off));
    replace(state,
      url ? urlPanel(url) : null,
      h('p', { id: 'listener-status' }, h('strong', {}, 'Listening. '), `Listener URL made ${when(listener.createdAt, tz)}.`),
      h('div', { class: 'actions' }, again, off));
  }
  render();
  return card;
}

// urlPanel shows a new listener URL, with a copy button and where to
// paste it.
function urlPanel(url) {
  const input = h('input', { type: 'text', id: 'listener-url', readonly: true, value: url, spellcheck: 'false',
    autocomplete: 'off', class: 'listener-url', 'aria-describedby': 'listener-url-hint' });
  const copied = h('span', { id: 'listener-copied', class: 'hint', 'aria-live': 'polite' });
  const copy = h('button', { type: 'button', class: 'button secondary', id: 'copy-listener' },
    'Copy', h('span', { class: 'visually-hidden' }, ' the listener URL'));
  const selectIt = () => {
    input.focus();
    input.select();
    replace(copied, 'Selected: press Ctrl+C (⌘C on a Mac) to copy it.');
  };
  copy.addEventListener('click', async () => {
    if (!navigator.clipboard || !navigator.clipboard.writeText) return selectIt();
    try {
      await navigator.clipboard.writeText(input.value);
      replace(copied, 'Copied.');
    } catch {
      selectIt();
    }
  });
  input.addEventListener('focus', () => input.select());
  return h('div', { class: 'listener-new', id: 'listener-new' },
    h('div', { class: 'field' },
      h('label', { for: 'listener-url' }, 'Your listener URL'),
      h('p', { class: 'hint', id: 'listener-url-hint' },
        'In PeopleHR, go to Settings, then API, and paste this URL as the listener URL (webhook). It is shown only now: if you lose it, make a new one.'),
      h('div', { class: 'copy-row' }, input, copy),
      copied),
    h('p', { id: 'listener-replaces' }, 'Making a new URL stops this one at once.'));
}

function keyStatus(integ) {
  if (!integ.key) return h('p', {}, h('strong', {}, 'Not connected. '), 'No PeopleHR key is stored yet.');
  const warn = integ.state === 'needs_reauthorization'
    ? h('p', { class: 'warning-text' }, 'PeopleHR refused this key on the last imports: enter a new one.') : null;
  return [h('p', {}, h('strong', {}, 'Connected. '), `Key ending ${integ.key.keyLast4}, added ${day(integ.key.addedAt)}.`), warn];
}

function keyDialog(ctx, opener, status, next, keyStored) {
  const titleId = uid('key-title');
  // No name: a form submitted without this script sends nothing.
  const input = h('input', { type: 'password', id: 'apiKey', autocomplete: 'off', spellcheck: 'false',
    autocapitalize: 'off', required: true, 'aria-describedby': 'apiKey-hint' });
  const result = h('div', { id: 'key-result', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'button', id: 'check-key' }, 'Check and save the key');
  const cancel = h('button', { type: 'button', class: 'button secondary', id: 'close-key-dialog' }, 'Cancel');
  const form = h('form', { novalidate: true, id: 'key-form' },
    h('div', { class: 'field' },
      h('label', { for: 'apiKey' }, 'PeopleHR API key'),
      h('p', { class: 'hint', id: 'apiKey-hint' }, 'Paste the whole key. It is hidden as you type and goes only to PeopleHR, to be checked, and to encrypted storage.'),
      input),
    result,
    h('div', { class: 'actions' }, submit, cancel));
  const dialog = h('dialog', { class: 'modal', id: 'key-dialog', 'aria-labelledby': titleId },
    h('h2', { id: titleId }, 'Enter the PeopleHR API key'), form);
  cancel.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    input.value = ''; // the key never stays in the page
    dialog.remove();
    opener.focus();
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const key = input.value.trim();
    if (!key) {
      replace(result, notice('error', 'Enter a key', h('p', {}, 'Paste the API key from PeopleHR first.')));
      input.focus();
      return;
    }
    await busy(submit, 'Checking with PeopleHR…', async () => {
      try {
        const ok = await api.authorize(key);
        input.value = '';
        const { integration: integ } = await api.integration();
        replace(status, keyStatus(integ));
        keyStored(integ);
        opener.textContent = 'Replace the API key';
        next.hidden = false;
        replace(result, notice('success', 'PeopleHR accepted the key',
          h('p', { id: 'key-accepted' }, `It can see ${ok.employeesVisible} ${ok.employeesVisible === 1 ? 'employee' : 'employees'}. The key ending ${ok.keyLast4} is stored encrypted.`)));
        cancel.textContent = 'Close';
        const go = h('button', { type: 'button', class: 'button', id: 'key-continue', onclick: () => { dialog.close(); ctx.navigate('#/setup/mapping'); } }, 'Continue to field mapping');
        submit.after(go);
        submit.hidden = true;
        input.closest('.field').hidden = true;
        go.focus();
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        const detail = err.details.length ? h('p', {}, err.details.map((d) => d.message).join('. ') + '.') : null;
        replace(result, notice('error', label(keyErrorTitles, err.code, 'The key could not be checked'),
          h('p', { id: 'key-error', 'data-code': err.code }, err.message), detail));
        if (keyNotAtFault(err.code)) input.removeAttribute('aria-invalid');
        else input.setAttribute('aria-invalid', 'true');
        input.focus();
      }
    });
  });
  document.body.append(dialog);
  dialog.showModal();
  input.focus();
}

// Step 3.
async function mappingStep(ctx, integ, body, etag) {
  if (!integ.key) {
    replace(body, notice('info', 'Connect PeopleHR first', h('p', {}, 'The fields are read from your PeopleHR data: ',
      h('a', { href: '#/setup/authorize' }, 'enter an API key'), ' first.')));
    return;
  }
  replace(body, h('p', { class: 'loading', role: 'status' }, 'Reading your fields from PeopleHR…'));
  let found;
  try {
    found = await api.fields();
  } catch (err) {
    if (!(err instanceof ApiError) || err.status === 401) throw err;
    replace(body, errorNotice(err, 'The fields could not be read'));
    return;
  }
  if (ctx.signal.aborted) return;
  // Sensitive sources (personal email, date of birth, ...) come with masked
  // examples and a warning, shown beside the field whenever it is chosen.
  const sources = new Map(found.sources.map((s) => [s.path, s]));
  const mapping = integ.mapping || { uniqueKey: 'EmployeeId', fields: {} };
  const rows = found.targets.map((t) => {
    const current = t.name === 'employeeId' ? mapping.uniqueKey : (mapping.fields || {})[t.name] || '';
    const id = `map-${t.name}`;
    const paths = found.sources.map((s) => s.path);
    if (current && !paths.includes(current)) paths.unshift(current);
    const exCell = h('td', { class: 'examples', id: `${id}-examples` });
    const select = h('select', { id, name: t.name, 'aria-required': t.mandatory ? 'true' : false, 'aria-describedby': `${id}-examples` },
      h('option', { value: '' }, t.mandatory ? 'Choose a PeopleHR field' : 'Not mapped'),
      paths.map((p) => h('option', { value: p, selected: p === current },
        !sources.has(p) ? `${p} (not found in your data)` : sources.get(p).sensitive ? `${p} (personal data)` : p)));
    const showExamples = () => {
      const src = sources.get(select.value);
      const ex = src ? src.examples : [];
      replace(exCell, select.value ? (ex.length ? ex.join(' · ') : 'No values in the first records') : '—',
        src && src.sensitive ? h('span', { class: 'warning-text block', id: `${id}-warning` }, src.warning) : null);
    };
    select.addEventListener('change', showExamples);
    showExamples();
    return h('tr', { 'data-target': t.name },
      h('th', { scope: 'row' },
        h('label', { for: id }, label(fieldLabels, t.name)),
        t.mandatory ? h('span', { class: 'required' }, ' required') : null,
        t.date ? h('span', { class: 'hint block' }, 'A date') : null),
      h('td', {}, select),
      exCell);
  });
  const form = h('form', { id: 'mapping-form', novalidate: true },
    h('table', { class: 'mapping' },
      h('caption', {}, 'Member fields and the PeopleHR field each one comes from'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Member field'), h('th', { scope: 'col' }, 'PeopleHR field'), h('th', { scope: 'col' }, 'Examples from your data'))),
      h('tbody', {}, rows)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button', id: 'save-mapping' }, 'Save and continue')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const m = { uniqueKey: form.querySelector('#map-employeeId').value, fields: {} };
    for (const sel of form.querySelectorAll('select')) {
      if (sel.name !== 'employeeId' && sel.value) m.fields[sel.name] = sel.value;
    }
    await busy(form.querySelector('#save-mapping'), 'Saving…', async () => {
      try {
        await api.saveMapping(m, etag);
        ctx.navigate('#/setup/review', 'Mapping saved.');
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (isConflict(err)) return showConflict(ctx, body, form, err);
        showErrors(form, err, 'The mapping needs a change', (f) => {
          if (f === 'uniqueKey' || f === 'fields.employeeId') return form.querySelector('#map-employeeId');
          return form.querySelector(`#map-${CSS.escape(f.replace(/^fields\./, ''))}`);
        });
      }
    });
  });
  replace(body,
    h('p', { class: 'lead' }, `Choose where each member field comes from in PeopleHR. ${found.sources.length} PeopleHR fields were found in your data; the examples are from the first employees. The employee ID and the email address are required.`),
    form);
}

// Step 4.
async function reviewStep(ctx, integ, body) {
  if (!integ.key) {
    replace(body, notice('info', 'Connect PeopleHR first', h('p', {}, 'The review runs against your PeopleHR data: ',
      h('a', { href: '#/setup/authorize' }, 'enter an API key'), ' first.')));
    return;
  }
  replace(body, h('p', { class: 'loading', role: 'status' }, 'Running a dry run against PeopleHR. Nothing is written…'));
  let review;
  try {
    review = await api.review();
  } catch (err) {
    if (!(err instanceof ApiError) || err.status === 401) throw err;
    replace(body, errorNotice(err, 'The dry run could not be done'),
      h('p', {}, h('a', { href: '#/setup/mapping' }, 'Check the field mapping'), ' or ', h('a', { href: '#/setup/settings' }, 'the settings'), '.'));
    return;
  }
  if (ctx.signal.aborted) return;
  const { integration: i, preview: p } = review;
  const s = i.settings;
  const tzName = s.timeZone;
  const publish = h('button', { type: 'button', class: 'button', id: 'publish' }, i.published ? 'Publish again and import now' : 'Publish');
  const result = h('div', { id: 'publish-result' });
  publish.addEventListener('click', () => busy(publish, 'Publishing…', async () => {
    try {
      // The version reviewed, not the one the step read before the dry
      // run: publishing is refused if anything changed since the review.
      await api.publish(versionTag(i.version));
      ctx.navigate('#/', 'Published: imports are on, and the first import has started.');
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      replace(result, saveRefusedNotice(err, 'Not published', ctx.reload));
      result.firstChild.focus();
    }
  }));
  const order = Object.keys(fieldLabels); // the member fields' own order
  const fieldsList = Object.entries(i.mapping.fields || {}).sort(([a], [b]) => order.indexOf(a) - order.indexOf(b));
  replace(body,
    h('p', { class: 'lead' }, 'Check what will happen, then publish: imports start on the schedule and the first one runs at once.'),
    h('section', { 'aria-labelledby': 'review-settings' },
      h('h2', { id: 'review-settings' }, 'Settings ', h('a', { href: '#/setup/settings', class: 'small' }, 'Change', h('span', { class: 'visually-hidden' }, ' settings'))),
      h('dl', { class: 'summary' },
        h('dt', {}, 'Schedule'), h('dd', {}, scheduleText(s)),
        h('dt', {}, 'Date format'), h('dd', {}, s.dateFormat),
        h('dt', {}, 'Welcome emails'), h('dd', { id: 'review-welcome' }, s.welcomeEmail
          ? `On, sent ${(s.welcomeTiming === 'on_start_date' ? 'on the member’s start date' : 'when the member is created')}${s.inviteReminders === false ? ', no reminders' : ', with reminders on the 3rd and 10th day'}` : 'Off'),
        h('dt', {}, 'Left out of the programme'), h('dd', { id: 'review-scope' }, (s.scope || []).length
          ? h('ul', { class: 'plain' }, s.scope.map((r) => h('li', {}, scopeRuleText(r))))
          : 'No one: every employee in PeopleHR is in'),
        h('dt', {}, 'Summary to'), h('dd', {}, ['you', ...(s.summaryRecipients || [])].join(', ')),
        h('dt', {}, 'Members missing from PeopleHR'), h('dd', {}, s.closeMissingMembers ? 'Closed' : 'Reported as warnings'),
        h('dt', {}, 'Held when closing more than'), h('dd', {}, `${s.massChangeThresholdPercent}% of members (at least 5)`))),
    h('section', { 'aria-labelledby': 'review-key' },
      h('h2', { id: 'review-key' }, 'PeopleHR key ', h('a', { href: '#/setup/authorize', class: 'small' }, 'Change', h('span', { class: 'visually-hidden' }, ' the key'))),
      h('p', {}, i.key ? `Key ending ${i.key.keyLast4}, added ${day(i.key.addedAt)}.` : 'Not connected.')),
    h('section', { 'aria-labelledby': 'review-mapping' },
      h('h2', { id: 'review-mapping' }, 'Field mapping ', h('a', { href: '#/setup/mapping', class: 'small' }, 'Change', h('span', { class: 'visually-hidden' }, ' the mapping'))),
      h('dl', { class: 'summary' },
        h('dt', {}, fieldLabels.employeeId), h('dd', {}, i.mapping.uniqueKey),
        fieldsList.map(([t, src]) => [h('dt', {}, label(fieldLabels, t)), h('dd', {}, src)]))),
    h('section', { 'aria-labelledby': 'review-preview', id: 'preview' },
      h('h2', { id: 'review-preview' }, 'Dry run: what the first import would do'),
      h('p', {}, 'Read from PeopleHR just now and compared with your members. Nothing was written.'),
      p.held ? notice('warning', 'This import would be held', h('p', {}, p.heldReason, ' It would change nothing until you approve it.')) : null,
      countsTable(p.counts, 'Counts', 'preview-counts'),
      previewRows('New members', 'preview-creates', p.creates, p.counts.created),
      previewRows('Updated members', 'preview-updates', p.updates, p.counts.updated, true),
      previewRows('Leavers to close', 'preview-closes', p.closes, p.counts.closed),
      previewRows('Reactivated members', 'preview-reactivates', p.reactivates, p.counts.reactivated),
      issuesTable(p.issues, p.counts.errors + p.counts.warnings)),
    h('section', { 'aria-labelledby': 'review-publish' },
      h('h2', { id: 'review-publish' }, 'Publish'),
      i.published
        ? h('p', {}, `Already live. Next import: ${when(i.nextRunAt, tzName, 'not scheduled')}.`)
        : h('p', {}, `Imports will run ${scheduleText(s).replace(/^Every/, 'every')}, and the first one at once.`),
      result,
      h('div', { class: 'actions' }, publish)));
}

function previewRows(title, id, rows, total, withFields = false) {
  if (!rows || rows.length === 0) return null;
  return h('div', { class: 'table-wrap' }, h('table', { id },
    h('caption', {}, rows.length < total ? `${title}: the first ${rows.length} of ${total}` : title),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Row'), h('th', { scope: 'col' }, 'Employee ID'), h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Email'),
      withFields ? h('th', { scope: 'col' }, 'Fields changed') : null)),
    h('tbody', {}, rows.map((r) => h('tr', {},
      h('td', {}, String(r.row || '—')), h('td', {}, r.employeeId), h('td', {}, r.name.trim() || '—'), h('td', {}, r.email),
      withFields ? h('td', {}, (r.fields || []).join(', ')) : null)))));
}

function issuesTable(issues, total) {
  if (!issues || issues.length === 0) return h('p', {}, 'No errors or warnings.');
  return h('div', { class: 'table-wrap' }, h('table', { id: 'preview-issues' },
    h('caption', {}, issues.length < total ? `Errors and warnings: the first ${issues.length} of ${total}` : 'Errors and warnings'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Row'), h('th', { scope: 'col' }, 'Employee ID'), h('th', { scope: 'col' }, 'Field'),
      h('th', { scope: 'col' }, 'Problem'), h('th', { scope: 'col' }, 'Severity'))),
    h('tbody', {}, issues.map((r) => h('tr', {},
      h('td', {}, String(r.row || '—')), h('td', {}, r.employeeId || '—'), h('td', {}, r.field || '—'),
      h('td', {}, r.message), h('td', {}, capital(r.severity)))))));
}
