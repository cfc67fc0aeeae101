// Labels for the API's words. Each table is keyed by the words the API
// sends, one entry a line in this shape: console_test.go parses them and
// compares their keys with the Go vocabularies, so a word added in Go
// without a label here fails the tests. Look words up with label(), never
// by indexing: a word from a newer server then reads as text, not as
// undefined or a TypeError.

export const runStatusLabels = {
  queued: 'Queued',
  running: 'Running',
  held: 'Held for approval',
  succeeded: 'Succeeded',
  succeeded_with_errors: 'Succeeded with errors',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export const triggerLabels = {
  schedule: 'Scheduled',
  manual: 'Import data now',
  approval: 'Approval',
  peoplehr_change: 'Changed in PeopleHR',
};

export const phaseLabels = {
  fetching: 'Reading employees from PeopleHR',
  planning: 'Working out the changes',
  applying: 'Applying changes to members',
  emailing: 'Queuing welcome emails',
};

export const stateLabels = {
  draft: 'Not live',
  live: 'Live',
  needs_reauthorization: 'Needs a new PeopleHR key',
};

// A run's counts, in the order the tables show them.
export const countLabels = {
  created: 'New members',
  updated: 'Updated',
  unchanged: 'Unchanged',
  closed: 'Closed (leavers)',
  reactivated: 'Reactivated',
  skippedLeavers: 'Leavers skipped',
  errors: 'Errors',
  warnings: 'Warnings',
  outOfScope: 'Out of scope',
  total: 'PeopleHR records',
};

// Member fields by their API name, in the members' own order.
export const fieldLabels = {
  employeeId: 'Employee ID (unique key)',
  email: 'Email address',
  firstName: 'First name',
  lastName: 'Last name',
  preferredName: 'Preferred name',
  title: 'Title',
  jobTitle: 'Job title',
  department: 'Department',
  location: 'Location',
  company: 'Company',
  startDate: 'Start date',
  dateOfBirth: 'Date of birth',
  mobile: 'Mobile number',
  managerEmployeeId: 'Manager’s employee ID',
  payrollId: 'Payroll ID',
  custom1: 'Custom field 1',
  custom2: 'Custom field 2',
  custom3: 'Custom field 3',
  custom4: 'Custom field 4',
  custom5: 'Custom field 5',
};

export const memberStatusLabels = {
  invited: 'Invited',
  active: 'Active',
  leaver: 'Leaver',
};

export const welcomeLabels = {
  owed: 'To be sent',
  sending: 'Sending',
  sent: 'Sent',
  not_sent: 'Not sent',
  failed: 'Failed',
  scheduled: 'Waiting for the start date',
};

export const welcomeTimingLabels = {
  on_creation: 'When the member is created',
  on_start_date: 'On the member’s start date',
};

// What an import did to a member, in their provisioning log.
export const logActionLabels = {
  create: 'Created',
  update: 'Updated',
  close: 'Closed',
  reactivate: 'Reactivated',
  relink: 'Moved to a new employee ID',
  skip: 'Skipped',
};

// How bad an import's issue is: an error skipped the record, a warning
// applied it with a caveat.
export const severityLabels = {
  error: 'Error',
  warning: 'Warning',
};

// The admin actions of the audit trail.
export const auditActionLabels = {
  'settings.saved': 'Settings saved',
  'mapping.saved': 'Field mapping saved',
  'key.added': 'PeopleHR key added',
  'key.revoked': 'PeopleHR key revoked',
  'listener.made': 'Listener URL made',
  'listener.revoked': 'Listener URL stopped',
  'import.approved': 'Held import approved',
  'import.discarded': 'Held import discarded',
  'import.started': 'Import started',
  'export.requested': 'Export asked for',
  'integration.published': 'Imports published',
  'integration.unpublished': 'Imports paused',
  'invitation.resent': 'Invitation resent',
};

export const exportKindLabels = {
  members: 'Members',
  audit: 'Audit trail',
  log: 'Provisioning log',
};

export const exportFormatLabels = {
  csv: 'CSV',
  jsonl: 'JSON lines',
};

export const exportStatusLabels = {
  running: 'Being written',
  done: 'Ready',
  failed: 'Failed',
};

// Scope rules leave PeopleHR records out of the programme; in the order
// the comparison is offered.
export const scopeOpLabels = {
  equals: 'is',
  not_equals: 'is not',
  in: 'is one of',
  not_in: 'is not one of',
};

// The date formats an admin may choose, each with an example.
export const dateFormatExamples = {
  'yyyy-MM-dd': '2026-01-31',
  'dd/MM/yyyy': '31/01/2026',
  'MM/dd/yyyy': '01/31/2026',
  'yyyy/MM/dd': '2026/01/31',
  'dd-MM-yyyy': '31-01-2026',
};

// Titles of the API's error codes when a key is checked: only these
// codes; any other gets the dialog's own title.
export const keyErrorTitles = {
  invalid_key: 'PeopleHR did not accept the key',
  missing_permission: 'The key is missing a permission',
  peoplehr_unavailable: 'PeopleHR could not be reached',
  rate_limited: 'PeopleHR is busy: try again in a minute',
  validation_failed: 'That is not a PeopleHR API key',
};

// known reports whether a table labels a word (its own entries only: a
// word such as "constructor" is not one).
export function known(table, word) {
  return typeof word === 'string' && Object.hasOwn(table, word);
}

// label is a word's label, or else the fallback: by default the word
// itself made readable ("paused_by_support" reads "Paused by support"),
// "Unknown" when there is no word at all.
export function label(table, word, fallback = readable(word)) {
  return known(table, word) ? table[word] : fallback;
}

function readable(word) {
  if (word === null || word === undefined || String(word).trim() === '') return 'Unknown';
  const text = String(word).replace(/_/g, ' ').trim();
  return text[0].toUpperCase() + text.slice(1);
}
