// Reelcart moderation console: a dependency-free ES module. Every API text is put into the page
// as text nodes (never innerHTML), every URL from the API is checked to be http(s) first.

import { Session } from '../auth/session.js';
import { approve, destroyPlayer, doTransition, openItem } from './item.js';
import { initQueue, loadQueue, state, toggleSelect } from './queue.js';
import { loadConnections, loadCreators, loadQa, loadQuarantine } from './reports.js';
import { $, alertToast, h, put, session, toast } from './ui.js';

// ---------------------------------------------------------------------------------------------
// Session

export const isAdmin = () => session.groups.includes('admin');
const isModerator = () => isAdmin() || session.groups.includes('moderator');

/** The signed-in console: tabs this role may use (admins' screens only for admins). */
function showApp() {
  $('#signin').hidden = true;
  $('#refused').hidden = true;
  $('#who').hidden = false;
  const role = isAdmin() ? 'admin' : isModerator() ? 'moderator' : 'no console role';
  $('#whoami').textContent = `${session.name} · ${role}`;
  if (!isModerator()) return showRefused();
  for (const t of document.querySelectorAll('[role=tab][data-admin]')) t.hidden = !isAdmin();
  $('[data-testid="tabs"]').hidden = false;
  const m = /^#item=(.+)$/.exec(location.hash);
  selectTab('queue');
  loadQueue(true);
  if (m) {
    let id = null;
    try {
      id = decodeURIComponent(m[1]);
    } catch {
      alertToast('That link names no item.');
    }
    if (id) openItem(id);
  }
}

/** Signed in, but not as a moderator or admin (a creator, say): a page that says so. */
function showRefused() {
  $('[data-testid="tabs"]').hidden = true;
  for (const p of document.querySelectorAll('[role=tabpanel]')) p.hidden = true;
  $('#refused-who').textContent = session.name;
  $('#refused').hidden = false;
  $('#refused-h').focus();
}

/** Forget this page's state and show the sign-in, with a message when one is due. */
export function showSignIn(message) {
  // A link's `#item=` stays: signing in comes back to it.
  destroyPlayer();
  state.items = [];
  state.selected.clear();
  state.current = null;
  state.detail = null;
  for (const p of document.querySelectorAll('[role=tabpanel]')) p.hidden = true;
  $('[data-testid="tabs"]').hidden = true;
  $('#who').hidden = true;
  $('#refused').hidden = true;
  $('#signin').hidden = false;
  put($('#queue-list'));
  put($('#detail'), h('p', { class: 'muted empty' }, 'Select an item.'));
  const msg = $('#signin-message');
  msg.textContent = message || '';
  msg.hidden = !message;
  $('[data-testid="signin-submit"]').focus();
}

function initSignIn() {
  const go = (e) => {
    e.target.disabled = true;
    session.signIn().catch((err) => {
      e.target.disabled = false;
      showSignIn(`Sign-in could not start: ${err.message}`);
    });
  };
  $('[data-testid="signin-submit"]').addEventListener('click', go);
  $('#signout').addEventListener('click', () => session.signOut());
  $('#refused-signout').addEventListener('click', () => session.signOut());
}

// ---------------------------------------------------------------------------------------------
// Tabs

const loaders = { queue: () => {}, qa: loadQa, quarantine: loadQuarantine, connections: loadConnections, creators: loadCreators };
let activeTab = 'queue';
export function selectTab(name) {
  activeTab = name;
  for (const t of document.querySelectorAll('[role=tab]')) {
    const on = t.dataset.tab === name;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    $(`#panel-${t.dataset.tab}`).hidden = !on;
  }
  loaders[name]();
}
function initTabs() {
  const all = [...document.querySelectorAll('[role=tab]')];
  for (const t of all) {
    t.addEventListener('click', () => selectTab(t.dataset.tab));
    t.addEventListener('keydown', (e) => {
      // Only the tabs this role sees.
      const tabs = all.filter((x) => !x.hidden);
      const i = tabs.indexOf(t);
      const to = e.key === 'ArrowRight' ? tabs[(i + 1) % tabs.length] : e.key === 'ArrowLeft' ? tabs[(i - 1 + tabs.length) % tabs.length] : null;
      if (to) {
        e.preventDefault();
        to.focus();
        selectTab(to.dataset.tab);
      }
    });
  }
  for (const b of document.querySelectorAll('[data-refresh]')) b.addEventListener('click', () => loaders[b.dataset.refresh]());
}

// ---------------------------------------------------------------------------------------------
// Keyboard

function typing(el) {
  if (!el) return false;
  if (el.isContentEditable) return true;
  if (el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') return true;
  return el.tagName === 'INPUT' && !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color'].includes(el.type);
}

function step(delta) {
  if (!state.items.length) return;
  let i = state.items.findIndex((x) => x.id === state.current);
  i = i < 0 ? (delta > 0 ? 0 : state.items.length - 1) : Math.min(state.items.length - 1, Math.max(0, i + delta));
  const id = state.items[i].id;
  if (id === state.current) {
    if (delta > 0 && state.cursor && !state.loading) loadQueue(false);
    return;
  }
  openItem(id);
  const li = $(`#queue-list [data-id="${CSS.escape(id)}"]`);
  li?.querySelector('.open').focus({ preventScroll: true });
  li?.scrollIntoView({ block: 'nearest' });
}

function initKeys() {
  document.addEventListener('keydown', (e) => {
    if (!session.signedIn || !isModerator() || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === 'Escape' && typing(e.target)) {
      e.target.blur();
      return;
    }
    if (typing(e.target) || $('#help').open) return;
    const inQueue = activeTab === 'queue';
    const key = e.key;
    const run = {
      j: () => inQueue && step(1),
      k: () => inQueue && step(-1),
      a: () => inQueue && approve(),
      r: () => {
        if (!inQueue || !state.detail) return;
        const el = $('#detail [data-testid="reject-reason-preset"]');
        el.scrollIntoView({ block: 'nearest' });
        el.focus();
      },
      p: () => inQueue && doTransition('published'),
      m: () => {
        if (!inQueue) return;
        const el = $('#detail [data-testid="sku-search"]');
        el?.scrollIntoView({ block: 'nearest' });
        el?.focus();
      },
      x: () => inQueue && state.current && toggleSelect(state.current),
      '/': () => {
        selectTab('queue');
        $('#filter-status').focus();
      },
      '?': () => $('#help').showModal(),
    }[key];
    if (!run) return;
    e.preventDefault();
    run();
  });
  $('#help-open').addEventListener('click', () => $('#help').showModal());
}

// ---------------------------------------------------------------------------------------------
// Start

initSignIn();
initTabs();
initQueue();
initKeys();
/** Back from connecting an account (`CONNECT_RETURN_URL`): say how it went, on the Connections tab. */
function connectReturn() {
  const q = new URLSearchParams(location.search);
  if (!q.has('connection') && !(q.has('error') && !q.has('state'))) return;
  history.replaceState(null, '', location.pathname + location.hash);
  if (!session.signedIn || !isAdmin()) return;
  if (q.get('status') === 'connected') toast(`Connected ${q.get('connection')}.`);
  else alertToast(`The connection did not complete (${q.get('error') || 'unknown error'}). Try again.`);
  selectTab('connections');
}

session
  .start()
  .then(() => (session.signedIn ? showApp() : showSignIn()))
  .then(connectReturn)
  .catch((e) => showSignIn(e.message));
