// The console's shell: sign-in, navigation and a small hash router.
import { takeTokenFromFragment, hasToken, sessionToken, setToken, signOut, tokenIdentity, whenSignedOut } from './api.js';
import { h, replace, notice, confirmDialog } from './ui.js';
import { dashboardView, importView } from './dashboard.js';
import { setupView } from './setup.js';
import { historyView } from './history.js';
import { membersView, memberLogView } from './members.js';
import { auditView } from './audit.js';

const main = document.getElementById('main');

const routes = [
  { re: /^#\/?$/, nav: 'dashboard', view: dashboardView },
  { re: /^#\/setup\/(settings|authorize|mapping|review)$/, nav: 'setup', view: setupView },
  { re: /^#\/setup\/?$/, redirect: '#/setup/settings' },
  { re: /^#\/history$/, nav: 'history', view: historyView },
  { re: /^#\/imports\/([A-Za-z0-9_=-]{1,64})(?:\/(issues))?$/, nav: 'history', view: importView },
  { re: /^#\/members(?:\?status=(invited|active|leaver))?$/, nav: 'members', view: membersView },
  { re: /^#\/members\/([^/?#]{1,400})\/log$/, nav: 'members', view: memberLogView },
  { re: /^#\/audit$/, nav: 'audit', view: auditView },
];

let current = null; // the AbortController of the view on screen
let flash = null; // a message for the next view

// navigate goes to a route, with an optional message shown there.
export function navigate(hash, message) {
  flash = message || null;
  if (location.hash === hash) render();
  else location.hash = hash;
}

function setNav(active) {
  for (const a of document.querySelectorAll('#main-nav a')) {
    if (a.dataset.nav === active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function signedIn(show) {
  document.getElementById('main-nav').hidden = !show;
  document.getElementById('who').hidden = !show;
  document.getElementById('who-email').textContent = show ? tokenIdentity().email : '';
}

function signInView(reason) {
  signedIn(false);
  setNav('');
  document.title = 'Sign in · peoplesync';
  // No name: a form submitted without this script sends nothing.
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false',
    required: true, 'aria-describedby': 'token-hint' });
  const form = h('form', { class: 'card', id: 'sign-in-form', novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: 'token' }, 'Admin token'),
      h('p', { class: 'hint', id: 'token-hint' },
        'Open the console from your benefits platform. On a local stack, open the console address that make local prints, or paste a token from make token.'),
      input),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button', id: 'sign-in' }, 'Sign in')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!input.value.trim()) {
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    setToken(input.value);
    input.value = '';
    navigate('#/');
  });
  replace(main,
    h('h1', { tabindex: '-1' }, 'Sign in'),
    reason ? notice('error', 'Signed out', h('p', {}, reason)) : null,
    form);
  (main.querySelector('[role=alert]') || main.querySelector('h1')).focus();
}

async function render() {
  if (current) current.abort();
  current = new AbortController();
  const ctrl = current;
  if (!hasToken()) {
    signInView();
    return;
  }
  const hash = location.hash || '#/';
  const route = routes.find((r) => r.re.test(hash));
  if (!route) {
    navigate('#/');
    return;
  }
  if (route.redirect) {
    location.replace(route.redirect);
    return;
  }
  signedIn(true);
  setNav(route.nav);
  const message = flash;
  flash = null;
  const params = hash.match(route.re).slice(1).filter((p) => p !== undefined);
  main.setAttribute('aria-busy', 'true');
  try {
    // reload shows the view again from fresh reads, e.g. after a save was
    // refused because someone else saved first.
    await route.view({ main, params, signal: ctrl.signal, navigate, message, reload: () => navigate(hash) });
  } catch (err) {
    if (ctrl.signal.aborted || (err && err.name === 'AbortError')) return;
    if (err && err.status === 401) return; // the sign-in view is up
    replace(main, h('h1', { tabindex: '-1' }, 'Something went wrong'),
      notice('error', 'The page could not be shown', h('p', {}, (err && err.message) || String(err)),
        err && err.requestId ? h('p', { class: 'hint' }, `Request id: ${err.requestId}`) : null),
      h('p', {}, h('a', { href: '#/' }, 'Back to the dashboard')));
  } finally {
    if (!ctrl.signal.aborted) main.removeAttribute('aria-busy');
  }
  if (ctrl.signal.aborted) return;
  const h1 = main.querySelector('h1');
  document.title = `${h1 ? h1.textContent : 'Console'} · peoplesync`;
  // A view may name what a link to it is for (data-focus), after alerts.
  const focus = main.querySelector('.notice[role=alert]') || main.querySelector('[data-focus]') || main.querySelector('.notice[tabindex]') || h1;
  if (focus) focus.focus({ preventScroll: false });
}

// adoptLinkToken signs in with the token of a link (#token=...). A link can
// come from anyone, so in a tab already signed in a different token
// replaces the session only once the admin has read who each one signs in
// as and said so; Cancel, the default, keeps the session. Without that, an
// attacker's link would quietly switch the tab to the attacker's tenant,
// where the admin might paste their PeopleHR key.
async function adoptLinkToken() {
  const token = takeTokenFromFragment();
  const current = sessionToken();
  if (!token || token === current) return;
  if (current && !(await confirmSwitch(tokenIdentity(current), tokenIdentity(token)))) return;
  setToken(token);
}

function confirmSwitch(from, to) {
  const who = (id) => `${id.email || 'an unknown admin'} for tenant ${id.tenant ? `“${id.tenant}”` : 'unknown'}`;
  return confirmDialog({
    title: 'Sign in as someone else?',
    body: `You are signed in as ${who(from)}. This link signs you in as ${who(to)}. Switch?`,
    yes: 'Switch',
  });
}

async function boot() {
  whenSignedOut(() => {
    signOut();
    if (current) current.abort();
    signInView('Your session has ended or the token was refused. Sign in again.');
  });
  document.getElementById('sign-out').addEventListener('click', () => {
    signOut();
    if (current) current.abort();
    signInView();
  });
  document.getElementById('skip-link').addEventListener('click', (e) => {
    e.preventDefault();
    main.focus();
  });
  window.addEventListener('hashchange', async () => {
    await adoptLinkToken();
    render();
  });
  await adoptLinkToken();
  render();
}

boot();
