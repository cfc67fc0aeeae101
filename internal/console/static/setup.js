// The four setup steps: settings, authorize, mapping, review and publish.
import { api, ApiError } from './api.js';
import {
  h, replace, notice, errorNotice, busy, uid, scheduleText, when, day, weekdayNames, capital, countsTable,
} from './ui.js';

const steps = [
  ['settings', 'Settings'],
  ['authorize', 'Connect PeopleHR'],
  ['mapping', 'Field mapping'],
  ['review', 'Review and publish'],
];

export async function setupView(ctx) {
  const [step] = ctx.params;
  const integ = await api.integration();
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
  await view(ctx, integ, body);
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
      // summaryRecipients[1] is the second line of its field.
      const line = /\[(\d+)\]$/.exec(d.field);
      const msg = line ? `line ${Number(line[1]) + 1} ${d.message}` : d.message;
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

function conflictNotice(err) {
  return notice('error', 'Someone else saved first',
    h('p', {}, err.message),
    h('p', {}, h('button', { type: 'button', class: 'button secondary', onclick: () => location.reload() }, 'Reload the page')));
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

const dateFormats = [
  ['yyyy-MM-dd', '2026-01-31'],
  ['dd/MM/yyyy', '31/01/2026'],
  ['MM/dd/yyyy', '01/31/2026'],
  ['yyyy/MM/dd', '2026/01/31'],
  ['dd-MM-yyyy', '31-01-2026'],
];

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
async function settingsStep(ctx, integ, body) {
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
      dateFormats.map(([f, ex]) => h('option', { value: f, selected: f === s.dateFormat }, `${f} (e.g. ${ex})`))),
    'Used for dates in custom columns. Standard PeopleHR dates are always read as yyyy-MM-dd.'),
    h('fieldset', { class: 'group' },
      h('legend', {}, 'Emails'),
      checkbox('welcomeEmail', 'Send new members a welcome email', s.welcomeEmail,
        'With a one-time link to set their password. When off, new members are created active with no email.'),
      field('summaryRecipients', 'Also send the import summary to', h('textarea', { id: 'summaryRecipients', name: 'summaryRecipients', rows: '3', autocomplete: 'off', spellcheck: 'false' },
        (s.summaryRecipients || []).join('\n')),
      `You get the summary of every import. Add other addresses here, one per line.`),
      checkbox('emailWhenNothingChanged', 'Email the summary even when nothing changed', s.emailWhenNothingChanged)),
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
      closeMissingMembers: form.querySelector('#closeMissingMembers').checked,
      massChangeThresholdPercent: /^-?\d+(\.\d+)?$/.test(threshold) ? Number(threshold) : threshold,
    };
    if (frequency === 'weekly') settings.weekday = weekday.value;
    await busy(form.querySelector('#save-settings'), 'Saving…', async () => {
      try {
        await api.saveSettings(settings);
        ctx.navigate('#/setup/authorize', 'Settings saved.');
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (err.status === 409) return replace(body, conflictNotice(err), form);
        showErrors(form, err, 'Some settings need a change', (f) => {
          const name = f.replace(/\[\d+\]$/, '');
          if (name === 'frequency') return form.querySelector('input[name=frequency]:checked') || form.querySelector('#frequency-hourly');
          return form.querySelector(`#${CSS.escape(name)}`);
        });
      }
    });
  });
  replace(body,
    h('p', { class: 'lead' }, 'When imports run, how dates are read, and who hears about them.'),
    form);
}

// Step 2: the key goes in a modal dialog and is checked with PeopleHR at once.
const keyTitles = {
  invalid_key: 'PeopleHR did not accept the key',
  missing_permission: 'The key is missing a permission',
  peoplehr_unavailable: 'PeopleHR could not be reached',
  validation_failed: 'That is not a PeopleHR API key',
};

async function authorizeStep(ctx, integ, body) {
  const status = h('div', { id: 'key-status', class: 'card' }, keyStatus(integ));
  const opener = h('button', { type: 'button', class: 'button', id: 'open-key-dialog' },
    integ.key ? 'Replace the API key' : 'Enter the API key');
  const next = h('p', { id: 'authorize-next', hidden: !integ.key }, h('a', { href: '#/setup/mapping', class: 'button secondary' }, 'Continue to field mapping'));
  opener.addEventListener('click', () => keyDialog(ctx, opener, status, next));
  replace(body,
    h('p', { class: 'lead' }, 'Connect your PeopleHR account with an API key. The key is checked with PeopleHR at once, stored encrypted and never shown again: only its last 4 characters.'),
    status,
    h('div', { class: 'help' },
      h('h2', {}, 'What key to create'),
      h('p', {}, 'In PeopleHR, go to Settings, then API, and create a key with only what this service uses:'),
      h('ul', {},
        h('li', {}, 'the Employee application’s “Get All Employee Detail” action;'),
        h('li', {}, 'the Query application’s action too, only if you map fields from a custom query.')),
      h('p', {}, 'A key with more actions works as well, but giving it only these is safer.')),
    h('div', { class: 'actions' }, opener),
    next);
}

function keyStatus(integ) {
  if (!integ.key) return h('p', {}, h('strong', {}, 'Not connected. '), 'No PeopleHR key is stored yet.');
  const warn = integ.state === 'needs_reauthorization'
    ? h('p', { class: 'warning-text' }, 'PeopleHR refused this key on the last imports: enter a new one.') : null;
  return [h('p', {}, h('strong', {}, 'Connected. '), `Key ending ${integ.key.keyLast4}, added ${day(integ.key.addedAt)}.`), warn];
}

function keyDialog(ctx, opener, status, next) {
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
        const integ = await api.integration();
        replace(status, keyStatus(integ));
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
        replace(result, notice('error', keyTitles[err.code] || 'The key could not be checked',
          h('p', { id: 'key-error', 'data-code': err.code }, err.message), detail));
        input.setAttribute('aria-invalid', 'true');
        input.focus();
      }
    });
  });
  document.body.append(dialog);
  dialog.showModal();
  input.focus();
}

// Step 3.
const targetLabels = {
  employeeId: 'Employee ID (unique key)', email: 'Email address', firstName: 'First name', lastName: 'Last name',
  preferredName: 'Preferred name', title: 'Title', jobTitle: 'Job title', department: 'Department', location: 'Location',
  company: 'Company', startDate: 'Start date', dateOfBirth: 'Date of birth', mobile: 'Mobile number',
  managerEmployeeId: 'Manager’s employee ID', payrollId: 'Payroll ID',
  custom1: 'Custom field 1', custom2: 'Custom field 2', custom3: 'Custom field 3', custom4: 'Custom field 4', custom5: 'Custom field 5',
};

async function mappingStep(ctx, integ, body) {
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
  const examples = new Map(found.sources.map((s) => [s.path, s.examples]));
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
        examples.has(p) ? p : `${p} (not found in your data)`)));
    const showExamples = () => {
      const ex = examples.get(select.value) || [];
      replace(exCell, select.value ? (ex.length ? ex.join(' · ') : 'No values in the first records') : '—');
    };
    select.addEventListener('change', showExamples);
    showExamples();
    return h('tr', { 'data-target': t.name },
      h('th', { scope: 'row' },
        h('label', { for: id }, targetLabels[t.name] || t.name),
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
        await api.saveMapping(m);
        ctx.navigate('#/setup/review', 'Mapping saved.');
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (err.status === 409) return replace(body, conflictNotice(err), form);
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
      await api.publish(i.version); // 409 if anything changed since this review
      ctx.navigate('#/', 'Published: imports are on, and the first import has started.');
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      replace(result, errorNotice(err, 'Not published'));
      result.firstChild.focus();
    }
  }));
  const order = Object.keys(targetLabels); // the member fields' own order
  const fieldsList = Object.entries(i.mapping.fields || {}).sort(([a], [b]) => order.indexOf(a) - order.indexOf(b));
  replace(body,
    h('p', { class: 'lead' }, 'Check what will happen, then publish: imports start on the schedule and the first one runs at once.'),
    h('section', { 'aria-labelledby': 'review-settings' },
      h('h2', { id: 'review-settings' }, 'Settings ', h('a', { href: '#/setup/settings', class: 'small' }, 'Change', h('span', { class: 'visually-hidden' }, ' settings'))),
      h('dl', { class: 'summary' },
        h('dt', {}, 'Schedule'), h('dd', {}, scheduleText(s)),
        h('dt', {}, 'Date format'), h('dd', {}, s.dateFormat),
        h('dt', {}, 'Welcome emails'), h('dd', {}, s.welcomeEmail ? 'On' : 'Off'),
        h('dt', {}, 'Summary to'), h('dd', {}, ['you', ...(s.summaryRecipients || [])].join(', ')),
        h('dt', {}, 'Members missing from PeopleHR'), h('dd', {}, s.closeMissingMembers ? 'Closed' : 'Reported as warnings'),
        h('dt', {}, 'Held when closing more than'), h('dd', {}, `${s.massChangeThresholdPercent}% of members (at least 5)`))),
    h('section', { 'aria-labelledby': 'review-key' },
      h('h2', { id: 'review-key' }, 'PeopleHR key ', h('a', { href: '#/setup/authorize', class: 'small' }, 'Change', h('span', { class: 'visually-hidden' }, ' the key'))),
      h('p', {}, i.key ? `Key ending ${i.key.keyLast4}, added ${day(i.key.addedAt)}.` : 'Not connected.')),
    h('section', { 'aria-labelledby': 'review-mapping' },
      h('h2', { id: 'review-mapping' }, 'Field mapping ', h('a', { href: '#/setup/mapping', class: 'small' }, 'Change', h('span', { class: 'visually-hidden' }, ' the mapping'))),
      h('dl', { class: 'summary' },
        h('dt', {}, targetLabels.employeeId), h('dd', {}, i.mapping.uniqueKey),
        fieldsList.map(([t, src]) => [h('dt', {}, targetLabels[t] || t), h('dd', {}, src)]))),
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
