// Reelcart creator portal: a dependency-free single page over the creator API (/v1/creators/me/…).
// All text from the API goes into the page through textContent / attributes, never as HTML; the
// dashboard's server-made SVG chart is shown as an <img> from a data: URL (scripts in it never run).

import { loadCalendar, loadSubmissions, renderUpload, shiftMonth, stopPolling, upload } from './content.js';
import { createCode, createLink, createRequest, downloadCsv, initPayouts, loadDashboard, loadLinksAndCodes, loadPayouts, loadRequests } from './earnings.js';
import { $, announce, api, fmtPct, safeUrl, session, setError, show } from './ui.js';

// ---------- state and routing ----------

export const state = {
  me: null,
  // Signed in, but not as a creator (a moderator's account, say).
  refused: false, // GET /v1/creators/me, or {onboarded: false}
  view: null,
  month: new Date().toISOString().slice(0, 7),
  newLink: null,
  newCode: null,
  newRequest: null,
  submissions: [],
  pollTimer: null,
  // Unix seconds of an upload that has not shown up in the submissions yet (null: none).
  awaitingSince: null,
};

const onboarded = () => !!state.me?.creator;
export const termsAccepted = () => !!state.me?.terms?.accepted;

const VIEWS = {
  profile: loadProfile,
  links: loadLinksAndCodes,
  upload: renderUpload,
  submissions: loadSubmissions,
  calendar: loadCalendar,
  requests: loadRequests,
  dashboard: loadDashboard,
  payouts: initPayouts,
};

export function renderShell() {
  const signedIn = session.signedIn;
  show($('whoami-box'), signedIn);
  show($('nav'), signedIn && !!state.me && !state.refused);
  if (signedIn) $('whoami').textContent = session.name || 'signed in';
  for (const a of document.querySelectorAll('[data-testid="nav"] a[data-needs]')) show(a, onboarded());
  route();
}

function route() {
  let view = location.hash.slice(1) || 'profile';
  if (!session.signedIn) view = 'signin';
  else if (state.refused) view = 'refused';
  else if (!state.me) view = null; // still loading
  else if (!VIEWS[view] || (!onboarded() && view !== 'profile')) view = 'profile';
  for (const s of document.querySelectorAll('[data-view]')) show(s, s.dataset.view === view);
  for (const a of document.querySelectorAll('[data-testid="nav"] a')) {
    if (a.getAttribute('href') === `#${view}`) {
      a.setAttribute('aria-current', 'page');
      a.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    }
    else a.removeAttribute('aria-current');
  }
  const changed = view !== state.view;
  state.view = view;
  if (view !== 'submissions') stopPolling();
  if (view && VIEWS[view] && changed) {
    VIEWS[view]();
    document.getElementById('main').focus({ preventScroll: true });
  }
}

async function start() {
  setError('global-error', null);
  state.me = null;
  state.view = null;
  // Only creators use the portal; anyone else gets a page that says so.
  state.refused = session.signedIn && !session.groups.includes('creator');
  if (state.refused) $('refused-who').textContent = session.name;
  renderShell();
  if (!session.signedIn || state.refused) return;
  try {
    state.me = await api('GET', '/v1/creators/me');
  } catch (e) {
    if (e.code === 'not_onboarded') state.me = { onboarded: false };
    else if (e.status === 401) return;
    else {
      if (e.status === 403) {
        state.refused = true;
        $('refused-who').textContent = session.name;
        return renderShell();
      }
      setError('global-error', e);
      return;
    }
  }
  renderShell();
}

// ---------- profile, sign-up, terms ----------

const HANDLE_PLATFORMS = ['instagram', 'tiktok', 'youtube'];
const PAYOUT_FIELDS = ['paypal_email', 'iban'];

function loadProfile() {
  const form = $('profile-form');
  const c = state.me?.creator;
  form.dataset.onboarded = String(!!c);
  $('profile-heading').textContent = c ? 'Your profile' : 'Join as a creator';
  show($('signup-intro'), !c);
  $('profile-save').textContent = c ? 'Save profile' : 'Create my profile';
  setError('profile-error', null);
  form.elements.display_name.value = c?.display_name || '';
  for (const p of HANDLE_PLATFORMS) form.elements[p].value = c?.handles?.[p] || '';
  const set = new Set(c?.payout_fields || []);
  for (const f of PAYOUT_FIELDS) {
    show($(`payout-set-${f}`), set.has(f));
    const input = form.elements[f];
    input.value = '';
    input.placeholder = set.has(f) ? 'Saved — leave blank to keep' : '';
  }
  const others = [...set].filter((f) => !PAYOUT_FIELDS.includes(f));
  $('payout-other').textContent = others.length ? `Also on file: ${others.join(', ')}.` : '';
  show($('payout-other'), others.length > 0);
  const rate = c?.commission_rate;
  const basis = c?.commission_basis === 'margin' ? 'the margin (revenue less unit cost) of your attributed sales' : 'attributed revenue';
  $('commission').textContent = rate !== undefined ? `Your commission: ${fmtPct(rate)} of ${basis}.` : '';
  show($('commission'), rate !== undefined);
  renderTerms();
}

function renderTerms() {
  const t = state.me?.terms;
  const box = $('terms');
  show(box, !!t && onboarded());
  if (!t) return;
  $('terms-version').textContent = t.version;
  const link = $('terms-link');
  const url = safeUrl(t.url);
  if (url) link.href = url;
  else link.removeAttribute('href');
  const status = $('terms-status');
  status.dataset.accepted = String(!!t.accepted);
  status.textContent = t.accepted
    ? '✓ Accepted — you can upload.'
    : t.accepted_version
      ? `You accepted version ${t.accepted_version}; the terms have changed since. Accept the new version to keep uploading.`
      : 'Not accepted yet. You need to accept these terms before you can upload.';
  status.className = `status ${t.accepted ? 'ok' : 'warn'}`;
  show($('terms-accept'), !t.accepted);
}

async function saveProfile(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  setError('profile-error', null);
  if (!form.checkValidity()) {
    form.reportValidity();
    return setError('profile-error', 'Check the highlighted fields: handles use letters, digits, _ . and -.');
  }
  const handles = {};
  // Keep handles on platforms this form does not show.
  for (const [p, v] of Object.entries(state.me?.creator?.handles || {})) if (!HANDLE_PLATFORMS.includes(p)) handles[p] = v;
  for (const p of HANDLE_PLATFORMS) {
    const v = form.elements[p].value.trim().replace(/^@/, '');
    if (v) handles[p] = v;
  }
  const body = { display_name: form.elements.display_name.value.trim(), handles };
  const payout = {};
  for (const f of PAYOUT_FIELDS) {
    const v = form.elements[f].value.trim();
    if (v) payout[f] = v;
  }
  if (Object.keys(payout).length) body.payout = payout; // absent = keep what is on file
  if (!body.display_name) return setError('profile-error', 'Enter a display name.');
  const btn = $('profile-save');
  btn.disabled = true;
  try {
    const first = !onboarded();
    state.me = await api('PUT', '/v1/creators/me', body);
    $('profile-status').textContent = first ? 'Profile created.' : 'Saved.';
    announce(first ? 'Profile created. Now read and accept the content terms.' : 'Profile saved.');
    renderShell();
    loadProfile();
  } catch (e) {
    setError('profile-error', e);
  } finally {
    btn.disabled = false;
  }
}

async function acceptTerms() {
  setError('terms-error', null);
  const btn = $('terms-accept');
  btn.disabled = true;
  try {
    state.me = await api('POST', '/v1/creators/me/terms', { version: state.me.terms.version });
    announce('Terms accepted. You can upload now.');
  } catch (e) {
    setError('terms-error', e);
    if (e.code === 'terms_changed') {
      try {
        state.me = await api('GET', '/v1/creators/me');
      } catch {}
    }
  } finally {
    btn.disabled = false;
    renderTerms();
  }
}

// ---------- wiring ----------

function beginSignIn(signUp) {
  setError('global-error', null);
  session.signIn({ signUp }).catch((e) => setError('global-error', `Sign-in could not start: ${e.message}`));
}

$('signin-submit').addEventListener('click', () => beginSignIn(false));
$('signup-submit').addEventListener('click', () => beginSignIn(true));
for (const b of [$('signout'), $('refused-signout')]) b.addEventListener('click', () => session.signOut());
$('profile-form').addEventListener('submit', saveProfile);
$('terms-accept').addEventListener('click', acceptTerms);
$('link-form').addEventListener('submit', createLink);
$('code-form').addEventListener('submit', createCode);
$('upload-form').addEventListener('submit', upload);
$('submissions-refresh').addEventListener('click', loadSubmissions);
$('calendar-prev').addEventListener('click', () => {
  state.month = shiftMonth(state.month, -1);
  loadCalendar();
});
$('calendar-next').addEventListener('click', () => {
  state.month = shiftMonth(state.month, 1);
  loadCalendar();
});
$('request-form').addEventListener('submit', createRequest);
$('dashboard-days').addEventListener('change', loadDashboard);
$('payouts-form').addEventListener('submit', loadPayouts);
$('payouts-csv').addEventListener('click', downloadCsv);
window.addEventListener('hashchange', route);
document.addEventListener('visibilitychange', () => {
  if (!document.hidden && state.view === 'submissions' && !state.pollTimer) loadSubmissions();
});

session
  .start()
  .then(start)
  .catch((e) => {
    setError('global-error', e.message);
    renderShell();
  });
