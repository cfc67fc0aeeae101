// Calls to the peoplesync API, same origin, with the admin's bearer token.
// The token lives in this tab's sessionStorage only: it goes when the tab
// closes, and nothing else about the admin is stored in the browser.

const TOKEN_KEY = 'peoplesync.token';

// takeTokenFromFragment removes a token handed over in the address
// fragment (#token=...) from the address bar and the history, so it is
// never bookmarked, shared or sent anywhere, and answers it ('' when there
// is none). It stores nothing: a link can come from anyone, so whether its
// token may replace the tab's session is for the shell to settle.
export function takeTokenFromFragment() {
  const m = /^#(?:.*&)?token=([^&]+)/.exec(location.hash);
  if (!m) return '';
  history.replaceState(null, '', location.pathname + location.search + '#/');
  try {
    return decodeURIComponent(m[1]).trim();
  } catch {
    return ''; // a broken escape: no token, rather than a broken page
  }
}

export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token.trim());
}

// sessionToken is the token the tab is signed in with, '' when none.
export function sessionToken() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function hasToken() {
  return !!sessionToken();
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
}

// tokenIdentity reads the tenant and the admin's address from a token (the
// session's by default), '' for either it does not hold, for display
// only: the API verifies the token, the page never trusts what it reads
// here.
export function tokenIdentity(token = sessionToken()) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(part));
    const text = (v) => (typeof v === 'string' ? v : '');
    return { tenant: text(claims.tenant_id), email: text(claims.email) };
  } catch {
    return { tenant: '', email: '' };
  }
}

// ApiError is an answer in the API's error envelope, or a network failure
// (status 0).
export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `The service answered ${status}.`);
    this.status = status;
    this.code = e.code || (status === 0 ? 'network' : 'unknown');
    this.details = Array.isArray(e.details) ? e.details : [];
    this.requestId = (body && body.requestId) || '';
  }
}

let onSignedOut = () => {};

// whenSignedOut sets what happens when the API refuses the token.
export function whenSignedOut(fn) {
  onSignedOut = fn;
}

// isConflict reports whether a save was refused because someone saved the
// integration after the page read it.
export function isConflict(err) {
  return err instanceof ApiError && err.code === 'conflict';
}

// versionTag is the ETag of an integration's version, as GET /integration
// sends it, for a page that read the version from a body instead.
export function versionTag(version) {
  return `"${version}"`;
}

// request sends one request and answers the decoded JSON body with the
// answer's ETag. ifMatch, when given, is sent as If-Match: the ETag the
// caller read, so a save over someone else's is refused (409) instead of
// lost. It is the caller's to keep: nothing here remembers a version.
async function request(method, path, { body, ifMatch, signal } = {}) {
  const headers = { Accept: 'application/json' };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = 'Bearer ' + token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (ifMatch !== undefined) headers['If-Match'] = ifMatch;
  let resp;
  try {
    resp = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      signal,
    });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, { error: { message: 'The service could not be reached. Check your connection and try again.' } });
  }
  const text = await resp.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!resp.ok) {
    const err = new ApiError(resp.status, data);
    if (resp.status === 401) onSignedOut(err);
    throw err;
  }
  return { data, etag: resp.headers.get('ETag') || '' };
}

async function call(method, path, options) {
  return (await request(method, path, options)).data;
}

// save changes the integration, if it is still at the version etag names.
// A save without one would overwrite whatever is stored: refused here.
async function save(method, path, etag, body) {
  if (!etag) throw new TypeError(`${method} ${path}: a save needs the ETag of the integration it changes`);
  return call(method, path, { body, ifMatch: etag });
}

// query leaves out the parameters without a value.
function query(params) {
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== '' && v !== undefined && v !== null));
}

export const api = {
  // The integration and its ETag, which every save of it takes.
  integration: async () => {
    const { data, etag } = await request('GET', '/integration');
    return { integration: data, etag };
  },
  // Saves: etag is the ETag of the integration the page showed.
  saveSettings: (settings, etag) => save('PUT', '/integration/settings', etag, settings),
  saveMapping: (mapping, etag) => save('PUT', '/integration/mapping', etag, mapping),
  publish: (etag) => save('POST', '/integration/publish', etag),
  unpublish: (etag) => save('POST', '/integration/unpublish', etag),
  revoke: (etag) => save('DELETE', '/integration/authorization', etag),
  // A new key replaces whatever is stored, whoever saved last: the key is
  // checked with PeopleHR, not against what the page read.
  authorize: (apiKey) => call('POST', '/integration/authorization', { body: { apiKey } }),
  // The listener URL for PeopleHR's change notifications: a new one
  // replaces any other, which stops working at once. The answer's url is
  // the only time it is shown: the caller shows it and keeps it nowhere.
  makeListener: () => call('POST', '/integration/listener'),
  deleteListener: () => call('DELETE', '/integration/listener'),
  fields: (signal) => call('GET', '/integration/fields', { signal }),
  review: () => call('GET', '/integration/review'),
  importNow: () => call('POST', '/imports'),
  imports: (cursor, limit = 20) =>
    call('GET', '/imports?' + new URLSearchParams(cursor ? { cursor, limit } : { limit })),
  run: (runId, signal) => call('GET', '/imports/' + encodeURIComponent(runId), { signal }),
  errorFileLink: (runId) => call('GET', '/imports/' + encodeURIComponent(runId) + '/errors'),
  // A page of a run's errors and warnings (severity '' for both).
  issues: (runId, severity, cursor, limit = 25, signal) =>
    call('GET', '/imports/' + encodeURIComponent(runId) + '/issues?' + new URLSearchParams(query({ severity, cursor, limit })), { signal }),
  // A page of a held run's planned changes (action '' for all), with the
  // count of each action.
  heldChanges: (runId, action, cursor, limit = 10, signal) =>
    call('GET', '/imports/' + encodeURIComponent(runId) + '/changes?' + new URLSearchParams(query({ action, cursor, limit })), { signal }),
  approve: (runId) => call('POST', '/imports/' + encodeURIComponent(runId) + '/approve'),
  discard: (runId) => call('POST', '/imports/' + encodeURIComponent(runId) + '/discard'),
  // status: '' for every member, or invited, active, leaver.
  members: (status, cursor, limit = 25, signal) => {
    const q = { limit };
    if (status) q.status = status;
    if (cursor) q.cursor = cursor;
    return call('GET', '/members?' + new URLSearchParams(q), { signal });
  },
  // Members whose surname, given name, email or employee ID starts with q.
  searchMembers: (q, cursor, limit = 25, signal) =>
    call('GET', '/members?' + new URLSearchParams(cursor ? { q, cursor, limit } : { q, limit }), { signal }),
  member: (employeeId, signal) => call('GET', '/members/' + encodeURIComponent(employeeId), { signal }),
  // Invitations sent again with a fresh link: one member's, or everyone's
  // who has not joined (answers {resent, skipped, complete}).
  resendInvitation: (employeeId) => call('POST', '/members/' + encodeURIComponent(employeeId) + '/invitation'),
  resendAll: () => call('POST', '/invitations/resend'),
  // A member's provisioning log, newest first. It holds personal values
  // for the admin's eyes: shown on the page, never kept by the browser.
  memberLog: (employeeId, cursor, limit = 20, signal) =>
    call('GET', '/members/' + encodeURIComponent(employeeId) + '/log?' + new URLSearchParams(cursor ? { cursor, limit } : { limit }), { signal }),
  // Exports (kind: members or audit): written by the request, which
  // answers the done export and its 5-minute link; the list shows the
  // progress of one being written.
  // body: { kind, and for the log: from, to (days), format (csv, jsonl) }.
  createExport: (body) => call('POST', '/exports', { body }),
  exports: (limit = 20) => call('GET', '/exports?' + new URLSearchParams({ limit })),
  // The audit trail of admin actions, newest first.
  auditTrail: (cursor, limit = 25, signal) =>
    call('GET', '/audit?' + new URLSearchParams(cursor ? { cursor, limit } : { limit }), { signal }),
};
