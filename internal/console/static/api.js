// Calls to the peoplesync API, same origin, with the admin's bearer token.
// The token lives in this tab's sessionStorage only: it goes when the tab
// closes, and nothing else about the admin is stored in the browser.

const TOKEN_KEY = 'peoplesync.token';

// takeTokenFromFragment moves a token handed over in the address fragment
// (#token=...) into sessionStorage and removes it from the address bar
// and the history, so it is never bookmarked, shared or sent anywhere.
export function takeTokenFromFragment() {
  const m = /^#(?:.*&)?token=([^&]+)/.exec(location.hash);
  if (!m) return false;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
  history.replaceState(null, '', location.pathname + location.search + '#/');
  return true;
}

export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token.trim());
}

export function hasToken() {
  return !!sessionStorage.getItem(TOKEN_KEY);
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
}

// email reads the admin's address from the token, for display only: the
// API verifies the token, the page never trusts what it reads here.
export function tokenEmail() {
  const t = sessionStorage.getItem(TOKEN_KEY) || '';
  try {
    const part = t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(part));
    return typeof claims.email === 'string' ? claims.email : '';
  } catch {
    return '';
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

// The version of the integration last read, sent as If-Match with every
// save so a save over someone else's is refused (409) instead of lost.
let etag = '';

export function currentETag() {
  return etag;
}

// call sends one request and answers the decoded JSON body. Saves of the
// integration carry If-Match (the last ETag read, or the one given); every
// answer with an ETag updates it.
export async function call(method, path, { body, ifMatch = false, signal } = {}) {
  const headers = { Accept: 'application/json' };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = 'Bearer ' + token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (typeof ifMatch === 'string') headers['If-Match'] = ifMatch;
  else if (ifMatch && etag) headers['If-Match'] = etag;
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
  const tag = resp.headers.get('ETag');
  if (tag) etag = tag;
  return data;
}

export const api = {
  integration: () => call('GET', '/integration'),
  saveSettings: (settings) => call('PUT', '/integration/settings', { body: settings, ifMatch: true }),
  authorize: (apiKey) => call('POST', '/integration/authorization', { body: { apiKey } }),
  revoke: () => call('DELETE', '/integration/authorization', { ifMatch: true }),
  fields: (signal) => call('GET', '/integration/fields', { signal }),
  saveMapping: (mapping) => call('PUT', '/integration/mapping', { body: mapping, ifMatch: true }),
  review: () => call('GET', '/integration/review'),
  // version: the integration's version the admin reviewed.
  publish: (version) => call('POST', '/integration/publish', { ifMatch: version === undefined ? true : `"${version}"` }),
  unpublish: () => call('POST', '/integration/unpublish', { ifMatch: true }),
  importNow: () => call('POST', '/imports'),
  imports: (cursor, limit = 20) =>
    call('GET', '/imports?' + new URLSearchParams(cursor ? { cursor, limit } : { limit })),
  run: (runId, signal) => call('GET', '/imports/' + encodeURIComponent(runId), { signal }),
  errorFileLink: (runId) => call('GET', '/imports/' + encodeURIComponent(runId) + '/errors'),
  approve: (runId) => call('POST', '/imports/' + encodeURIComponent(runId) + '/approve'),
  discard: (runId) => call('POST', '/imports/' + encodeURIComponent(runId) + '/discard'),
  // status: '' for every member, or invited, active, leaver.
  members: (status, cursor, limit = 25, signal) => {
    const q = { limit };
    if (status) q.status = status;
    if (cursor) q.cursor = cursor;
    return call('GET', '/members?' + new URLSearchParams(q), { signal });
  },
  member: (employeeId, signal) => call('GET', '/members/' + encodeURIComponent(employeeId), { signal }),
  // A member's provisioning log, newest first. It holds personal values
  // for the admin's eyes: shown on the page, never kept by the browser.
  memberLog: (employeeId, cursor, limit = 20, signal) =>
    call('GET', '/members/' + encodeURIComponent(employeeId) + '/log?' + new URLSearchParams(cursor ? { cursor, limit } : { limit }), { signal }),
};
