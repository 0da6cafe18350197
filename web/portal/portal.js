// Reelcart creator portal: a dependency-free single page over the creator API (/v1/creators/me/…).
// All text from the API goes into the page through textContent / attributes, never as HTML; the
// dashboard's server-made SVG chart is shown as an <img> from a data: URL (scripts in it never run).

import { Session, SessionError } from '../auth/session.js';

const UPLOAD_TYPES = {
  mp4: 'video/mp4', m4v: 'video/mp4', mov: 'video/quicktime', webm: 'video/webm',
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png',
};
const DEFAULT_MAX_BYTES = 300 * 1024 * 1024; // MAX_VIDEO_MB's default; the form's max_bytes wins.
const STEPS = ['queued', 'reviewing', 'approved', 'published'];
const FINAL = new Set(['published', 'rejected', 'archived']);
const POLL_MS = 4000;
const WORD_RE = /^[A-Za-z0-9_.-]{1,64}$/;

// ---------- small helpers ----------

const $ = (id, root = document) => root.querySelector(`[data-testid="${id}"]`);

/** An element; `text` sets textContent, `on*` adds listeners, other keys are attributes. */
function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

function show(node, on = true) {
  node.hidden = !on;
}

function setError(id, err) {
  const box = $(id);
  if (!err) {
    box.textContent = '';
    show(box, false);
    return;
  }
  box.textContent = typeof err === 'string' ? err : friendly(err);
  box.dataset.code = err?.code || '';
  show(box, true);
}

function announce(msg) {
  const a = $('announce');
  a.textContent = '';
  setTimeout(() => (a.textContent = msg), 30);
}

const fmtInt = (n) => (Number.isFinite(Number(n)) ? Number(n).toLocaleString('en-US') : '–');
const fmtNum = (n) => (Number.isFinite(Number(n)) ? Number(n).toLocaleString('en-US', { maximumFractionDigits: 2 }) : '–');
const fmtPct = (r) => (r === null || r === undefined ? '–' : `${(Number(r) * 100).toLocaleString('en-US', { maximumFractionDigits: 2 })}%`);
const fmtDate = (unix) => (unix ? new Date(unix * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '');
const fmtBytes = (b) => (b >= 1048576 ? `${(b / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(b / 1024))} KB`);
const today = () => new Date().toISOString().slice(0, 10);

/** Only http(s) URLs become links or images. */
function safeUrl(u) {
  if (typeof u !== 'string' || !u) return null;
  try {
    const url = new URL(u, location.href);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

// ---------- API ----------

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const MESSAGES = {
  network: 'Could not reach Reelcart. Check your connection and try again.',
  forbidden: 'This account is not a creator account.',
  terms_required: 'Accept the current content terms before uploading.',
  terms_changed: 'The terms have just changed: please read the new version and accept it.',
  unknown_sku: 'No active product has this SKU. Check it with the brand.',
  codes_unavailable: 'Discount codes are not available for this store right now.',
  unavailable: 'This feature is not available on this server yet.',
  not_onboarded: 'Complete your profile first.',
};

function friendly(err) {
  if (err instanceof ApiError) {
    if (MESSAGES[err.code]) return MESSAGES[err.code];
    if (err.status === 403) return MESSAGES.forbidden;
    if (err.status >= 500) return 'Something went wrong on our side. Please try again in a moment.';
    return err.message || `Request failed (${err.status}).`;
  }
  return String(err?.message || err);
}

// Sign-in: authorization code + PKCE against the identity provider `config.json` names.
const session = new Session('reelcart_portal', { onEnd: (message) => signedOut(message) });

/** Call the API: JSON in, JSON out (or the raw response with `raw`); errors as ApiError. */
async function api(method, path, body, { raw = false } = {}) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let r;
  try {
    r = await session.fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    if (e instanceof SessionError) throw new ApiError(401, 'unauthorized', e.message);
    throw new ApiError(0, 'network', MESSAGES.network);
  }
  if (r.ok && raw) return r;
  let data = null;
  try {
    data = await r.json();
  } catch {}
  if (!r.ok) {
    const e = data?.error || {};
    // A route this server does not have yet (the gateway's own 404).
    const code = r.status === 404 && (e.code === 'not_found' || !e.code) ? 'unavailable' : e.code || `http_${r.status}`;
    throw new ApiError(r.status, code, e.message || `Request failed (${r.status})`);
  }
  return data;
}

// ---------- session ----------

/** The session ended (refresh refused) or never began: the sign-in, with a message if due. */
function signedOut(message) {
  state.me = null;
  state.refused = false;
  stopPolling();
  if (message) setError('global-error', message);
  renderShell();
}

// ---------- state and routing ----------

const state = {
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
const termsAccepted = () => !!state.me?.terms?.accepted;

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

function renderShell() {
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

// ---------- links and codes ----------

async function copy(text, button) {
  let ok = false;
  try {
    await navigator.clipboard.writeText(text);
    ok = true;
  } catch {
    const t = h('textarea', { class: 'offscreen', readonly: true });
    t.value = text;
    document.body.append(t);
    t.select();
    try {
      ok = document.execCommand('copy');
    } catch {}
    t.remove();
  }
  const label = button.textContent;
  button.textContent = ok ? 'Copied' : 'Copy failed';
  announce(ok ? 'Copied to the clipboard.' : 'Could not copy; select the text instead.');
  setTimeout(() => (button.textContent = label), 1500);
}

function copyButton(text, what, testid) {
  return h('button', { type: 'button', class: 'secondary small', 'data-testid': testid, 'aria-label': `Copy ${what}`, text: 'Copy', onclick: (e) => copy(text, e.currentTarget) });
}

function emptyItem(text) {
  return h('li', { class: 'empty', text });
}

function renderLinks(links) {
  const list = $('links-list');
  list.replaceChildren();
  const sorted = [...links].sort((a, b) => (b.link?.created_at || 0) - (a.link?.created_at || 0));
  if (!sorted.length) list.append(emptyItem('No links yet. Create one above and share it in your posts.'));
  for (const l of sorted) {
    const url = safeUrl(l.url);
    const isNew = state.newLink && l.code === state.newLink;
    list.append(
      h('li', { 'data-testid': 'link-row', 'data-sku': l.link?.sku, 'data-campaign': l.link?.campaign || '', 'data-new': isNew ? 'true' : null, class: isNew ? 'new' : null },
        h('div', { class: 'meta' },
          h('strong', { text: l.link?.sku || '' }),
          l.link?.campaign ? h('span', { class: 'badge', text: l.link.campaign }) : null,
          h('span', { class: 'hint', text: fmtDate(l.link?.created_at) })),
        h('div', { class: 'copyrow' },
          url ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', class: 'mono', 'data-testid': 'link-url', text: l.url }) : h('span', { class: 'mono', 'data-testid': 'link-url', text: l.url }),
          copyButton(l.url, 'link URL', 'copy-url')),
        h('div', { class: 'copyrow' },
          h('span', { class: 'hint', text: 'Code' }),
          h('code', { 'data-testid': 'link-code', text: l.code }),
          copyButton(l.code, 'link code', 'copy-code'))));
  }
}

function renderCodes(codes) {
  const list = $('codes-list');
  list.replaceChildren();
  const sorted = [...codes].sort((a, b) => (b.created_at || 0) - (a.created_at || 0));
  if (!sorted.length) list.append(emptyItem('No discount codes yet.'));
  for (const c of sorted) {
    const isNew = state.newCode && c.code === state.newCode;
    list.append(
      h('li', { 'data-testid': 'code-row', 'data-campaign': c.campaign || '', 'data-new': isNew ? 'true' : null, class: isNew ? 'new' : null },
        h('div', { class: 'copyrow' },
          h('code', { class: 'big', 'data-testid': 'code-value', text: c.code }),
          copyButton(c.code, 'discount code', 'copy-code-value')),
        h('div', { class: 'meta' },
          c.status === 'requested' ? h('span', { class: 'badge', 'data-testid': 'code-status', 'data-status': 'requested', text: 'awaiting the brand’s approval' }) : null,
          c.status === 'declined' ? h('span', { class: 'badge', 'data-testid': 'code-status', 'data-status': 'declined', text: `declined${c.note ? `: ${c.note}` : ''}` }) : null,
          c.percent !== undefined ? h('span', { class: 'badge ok', text: `${c.percent}% off` }) : null,
          c.campaign ? h('span', { class: 'badge', text: c.campaign }) : null,
          h('span', { class: 'hint', text: fmtDate(c.created_at) }))));
  }
}

function codesMessage(e) {
  const m = $('codes-message');
  m.textContent = e ? friendly(e) : '';
  m.dataset.code = e?.code || '';
  show(m, !!e);
}

async function loadLinksAndCodes() {
  setError('link-error', null);
  setError('code-error', null);
  const [links, codes] = await Promise.allSettled([api('GET', '/v1/creators/me/links'), api('GET', '/v1/creators/me/codes')]);
  if (links.status === 'fulfilled') renderLinks(links.value.links || []);
  else setError('link-error', links.reason);
  $('code-create').disabled = codes.status === 'rejected' && codes.reason.code === 'unavailable';
  if (codes.status === 'fulfilled') {
    codesMessage(null);
    renderCodes(codes.value.codes || []);
  } else {
    $('codes-list').replaceChildren();
    codesMessage(codes.reason);
  }
}

function campaignOf(input) {
  const v = input.value.trim();
  return v || undefined;
}

async function createLink(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  setError('link-error', null);
  const sku = form.elements.sku.value.trim();
  const campaign = campaignOf(form.elements.campaign);
  if (!WORD_RE.test(sku)) return setError('link-error', 'Enter the product SKU (letters, digits, _ . -).');
  if (campaign && !WORD_RE.test(campaign)) return setError('link-error', 'Campaign names use letters, digits, _ . and - (up to 64).');
  const btn = $('link-create');
  btn.disabled = true;
  try {
    const made = await api('POST', '/v1/creators/me/links', { sku, campaign });
    state.newLink = made.code;
    announce('Link created.');
    await loadLinksAndCodes();
  } catch (e) {
    setError('link-error', e);
  } finally {
    btn.disabled = false;
  }
}

async function createCode(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  setError('code-error', null);
  const campaign = campaignOf(form.elements.campaign);
  if (campaign && !WORD_RE.test(campaign)) return setError('code-error', 'Campaign names use letters, digits, _ . and - (up to 64).');
  const btn = $('code-create');
  btn.disabled = true;
  try {
    const made = await api('POST', '/v1/creators/me/codes', campaign ? { campaign } : {});
    state.newCode = made.code?.code;
    announce(`Discount code ${state.newCode} created.`);
    await loadLinksAndCodes();
  } catch (e) {
    setError('code-error', e);
  } finally {
    btn.disabled = false;
  }
}

// ---------- upload ----------

function renderUpload() {
  const ok = termsAccepted();
  $('upload-fieldset').disabled = !ok;
  show($('upload-terms-note'), !ok);
}

function typeOf(file) {
  if (Object.values(UPLOAD_TYPES).includes(file.type)) return file.type;
  const ext = file.name.split('.').pop().toLowerCase();
  return file.type ? null : UPLOAD_TYPES[ext] || null; // an unknown reported type is refused
}

function uploadState(s, text) {
  const st = $('upload-status');
  st.dataset.state = s;
  st.textContent = text;
}

async function upload(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  setError('upload-error', null);
  const file = form.elements.file.files[0];
  const caption = form.elements.caption.value.trim();
  if (!file) return setError('upload-error', 'Choose a video to upload.');
  const type = typeOf(file);
  if (!type) return setError('upload-error', 'This file type cannot be uploaded: use MP4, MOV or WebM video (or a JPEG/PNG photo).');
  if (file.size === 0) return setError('upload-error', 'This file is empty.');
  if ([...caption].length > 500) return setError('upload-error', 'Captions are at most 500 characters.');
  const fieldset = $('upload-fieldset');
  const box = $('upload-progress-box');
  const bar = $('upload-progress');
  fieldset.disabled = true;
  try {
    uploadState('requesting', 'Preparing the upload…');
    const up = await api('POST', '/v1/creators/me/uploads', { content_type: type, caption });
    const max = up.form?.max_bytes || DEFAULT_MAX_BYTES;
    if (file.size > max) throw new Error(`This file is ${fmtBytes(file.size)}; the limit is ${fmtBytes(max)}.`);
    const fd = new FormData();
    for (const [k, v] of Object.entries(up.form.fields)) fd.append(k, v);
    fd.append('file', file, file.name);
    bar.removeAttribute('value');
    show(box, true);
    uploadState('uploading', `Uploading ${fmtBytes(file.size)}… keep this page open.`);
    // Straight to the bucket (its CORS rule allows the POST); XHR, for the progress bar.
    const sent = await new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', up.form.url);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) {
          bar.max = e.total;
          bar.value = e.loaded;
        }
      };
      xhr.onload = () => resolve({ status: xhr.status, body: xhr.responseText || '' });
      xhr.onerror = () => reject(new Error('The upload was interrupted. Check your connection and try again.'));
      xhr.send(fd);
    });
    if (sent.status < 200 || sent.status >= 300) {
      // S3 answers errors as XML: its code says which (EntityTooLarge, AccessDenied: the form expired…).
      const code = /<Code>([^<]{1,64})<\/Code>/.exec(sent.body)?.[1] || `HTTP ${sent.status}`;
      const why = code === 'EntityTooLarge' ? 'the file is over the limit' : code === 'AccessDenied' ? 'the upload form expired or does not fit this file' : code;
      throw new Error(`The upload was refused (${why}). Try again.`);
    }
    bar.max = 1;
    bar.value = 1;
    state.awaitingSince = Math.floor(Date.now() / 1000);
    uploadState('done', 'Uploaded — processing. It will appear in Submissions in a moment.');
    $('upload-status').append(' ', h('a', { href: '#submissions', 'data-testid': 'upload-to-submissions', text: 'See submissions' }));
    announce('Uploaded. Processing has started.');
    form.reset();
  } catch (e) {
    show(box, false);
    uploadState('error', '');
    setError('upload-error', e);
  } finally {
    fieldset.disabled = !termsAccepted();
  }
}

// ---------- submissions ----------

function stopPolling() {
  clearTimeout(state.pollTimer);
  state.pollTimer = null;
}

function steps(s) {
  const rejected = s.status === 'rejected';
  const at = STEPS.indexOf(s.status);
  const ol = h('ol', { class: 'steps', 'aria-label': 'Moderation progress' });
  STEPS.forEach((name, i) => {
    let cls = 'todo';
    if (rejected) cls = i === 0 ? 'done' : 'todo';
    else if (i < at || (i === at && FINAL.has(name))) cls = 'done';
    else if (i === at) cls = 'current';
    ol.append(h('li', { class: cls, 'aria-current': i === at ? 'step' : null, text: name }));
  });
  if (rejected) ol.append(h('li', { class: 'rejected', 'aria-current': 'step', text: 'rejected' }));
  if (s.status === 'archived') ol.append(h('li', { class: 'current', 'aria-current': 'step', text: 'archived' }));
  return ol;
}

const MEDIA_TEXT = { transcoding: 'Processing video…', submitted: 'Processing video…', transcoded: 'Video ready', failed: 'Video could not be processed' };

const noPoster = () => h('div', { class: 'poster none', 'aria-hidden': 'true', text: '▶' });

/** `media_failure`: {code, message} from the transcoder (a string is accepted too). */
function failureText(f) {
  const m = typeof f === 'string' ? f : f?.message || f?.code;
  return m ? `: ${m}` : '';
}

function renderSubmissions(list) {
  const ul = $('submissions-list');
  ul.replaceChildren();
  if (!list.length) ul.append(emptyItem('Nothing yet. Your uploads appear here as soon as they arrive.'));
  for (const s of list) {
    const poster = safeUrl(s.poster);
    const media = s.media || '';
    ul.append(
      h('li', { class: `sub ${s.status}`, 'data-testid': 'submission', 'data-item-id': s.item_id, 'data-status': s.status, 'data-media': media },
        poster ? h('img', { class: 'poster', src: poster, alt: '', loading: 'lazy', width: 90, height: 160, onerror: (e) => e.currentTarget.replaceWith(noPoster()) }) : noPoster(),
        h('div', { class: 'body' },
          h('p', { class: 'caption', 'data-testid': 'submission-caption', text: s.caption || '(no caption)' }),
          steps(s),
          h('p', { class: 'meta' },
            h('span', { class: `badge st-${s.status}`, 'data-testid': 'submission-status', text: s.status }),
            media ? h('span', { class: `badge media-${media}`, 'data-testid': 'submission-media', title: MEDIA_TEXT[media] || media, text: media }) : null,
            h('span', { class: 'hint', text: fmtDate(s.created_at) })),
          s.status === 'rejected' ? h('p', { class: 'reason', 'data-testid': 'submission-reason', text: `Reason: ${s.rejection || 'not given'}` }) : null,
          s.publish_at && s.status !== 'published' ? h('p', { class: 'hint', text: `Scheduled for ${fmtDate(s.publish_at)}` }) : null,
          media === 'failed'
            ? h('p', { class: 'reason', 'data-testid': 'submission-media-failure', text: `${MEDIA_TEXT.failed}${failureText(s.media_failure)}. Try exporting it again as MP4 and re-uploading.` })
            : null)));
  }
  ul.dataset.loaded = 'true';
}

// Transcoding takes seconds: look often. Moderation can take days: look now and then.
const transcoding = (s) => s.media === 'transcoding' || s.media === 'submitted' || (!s.media && s.status === 'queued');
const pending = (s) => !FINAL.has(s.status) || transcoding(s);
const SLOW_POLL_MS = 30_000;

async function loadSubmissions() {
  stopPolling();
  try {
    const data = await api('GET', '/v1/creators/me/submissions');
    const list = [...(data.submissions || [])].sort((a, b) => (b.created_at || 0) - (a.created_at || 0));
    state.submissions = list;
    setError('submissions-error', null);
    renderSubmissions(list);
    // An upload is ingested seconds after it lands: look for it until it shows (10 min at most;
    // a minute of slack for this device's clock).
    if (state.awaitingSince) {
      const arrived = list.some((s) => s.source === 'upload' && s.created_at >= state.awaitingSince - 60);
      if (arrived || Date.now() / 1000 - state.awaitingSince > 600) state.awaitingSince = null;
    }
    const busy = list.some(pending) || !!state.awaitingSince;
    show($('submissions-auto'), busy);
    const delay = list.some(transcoding) || state.awaitingSince ? POLL_MS : SLOW_POLL_MS;
    if (busy && state.view === 'submissions') state.pollTimer = setTimeout(poll, delay);
  } catch (e) {
    setError('submissions-error', e);
    $('submissions-list').dataset.loaded = 'error';
    // Keep trying while the view is open, unless the route does not exist.
    if (e.code !== 'unavailable' && e.status !== 401 && state.view === 'submissions') state.pollTimer = setTimeout(poll, POLL_MS * 2);
  }
}

function poll() {
  if (state.view !== 'submissions') return;
  if (document.hidden) state.pollTimer = setTimeout(poll, POLL_MS);
  else loadSubmissions();
}

// ---------- calendar ----------

function shiftMonth(ym, d) {
  const [y, m] = ym.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1 + d, 1));
  return t.toISOString().slice(0, 7);
}

function monthTitle(ym) {
  const [y, m] = ym.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, 1)).toLocaleDateString(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' });
}

function renderCalendar(ym, days) {
  const [y, m] = ym.split('-').map(Number);
  const byDate = new Map(days.map((d) => [d.date, d.entries || []]));
  const first = new Date(Date.UTC(y, m - 1, 1));
  const count = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const lead = (first.getUTCDay() + 6) % 7; // Monday first
  const table = $('calendar-grid');
  const names = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  const full = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
  const body = h('tbody');
  let row = h('tr');
  for (let i = 0; i < lead; i++) row.append(h('td', { class: 'pad' }));
  const todayStr = today();
  const agenda = $('calendar-agenda');
  agenda.replaceChildren();
  for (let d = 1; d <= count; d++) {
    const date = `${ym}-${String(d).padStart(2, '0')}`;
    const entries = byDate.get(date) || [];
    const cell = h('td', { class: date === todayStr ? 'today' : null, 'data-date': date },
      h('span', { class: 'day', text: String(d) }),
      entries.length
        ? h('ul', { class: 'entries' }, entries.map((e) =>
            h('li', { class: `entry ${e.kind}`, 'data-testid': 'calendar-entry', 'data-kind': e.kind, 'data-item-id': e.item_id, title: `${e.kind}: ${e.caption || ''}` },
              h('span', { class: 'sr-only', text: `${e.kind}: ` }), e.caption || e.item_id)))
        : null);
    if (date === todayStr) cell.setAttribute('aria-current', 'date');
    row.append(cell);
    if ((lead + d) % 7 === 0) {
      body.append(row);
      row = h('tr');
    }
    for (const e of entries) {
      agenda.append(h('li', { class: `entry-row ${e.kind}` },
        h('span', { class: `badge ${e.kind === 'published' ? 'ok' : 'info'}`, text: e.kind }),
        h('span', { class: 'when', text: e.at ? new Date(e.at * 1000).toLocaleString(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }) : new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' }) }),
        h('span', { class: 'caption', text: e.caption || e.item_id })));
    }
  }
  if (row.children.length) {
    while (row.children.length < 7) row.append(h('td', { class: 'pad' }));
    body.append(row);
  }
  if (!agenda.children.length) agenda.append(emptyItem('Nothing scheduled or published this month.'));
  table.replaceChildren(
    h('caption', { class: 'sr-only', text: monthTitle(ym) }),
    h('thead', {}, h('tr', {}, names.map((n, i) => h('th', { scope: 'col', abbr: full[i], text: n })))),
    body);
}

async function loadCalendar() {
  const ym = state.month;
  $('calendar-month').textContent = monthTitle(ym);
  const wrap = $('calendar');
  wrap.dataset.loaded = 'false';
  try {
    const data = await api('GET', `/v1/creators/me/calendar?month=${encodeURIComponent(ym)}`);
    if (ym !== state.month) return;
    setError('calendar-error', null);
    renderCalendar(ym, data.days || []);
    wrap.dataset.loaded = 'true';
  } catch (e) {
    if (ym !== state.month) return;
    renderCalendar(ym, []);
    setError('calendar-error', e);
    wrap.dataset.loaded = 'error';
  }
}

// ---------- product requests ----------

const REQUEST_BADGE = { requested: 'info', approved: 'ok', shipped: 'ok', declined: 'bad' };

function renderRequests(list) {
  const ul = $('requests-list');
  ul.replaceChildren();
  const sorted = [...list].sort((a, b) => (b.created_at || 0) - (a.created_at || 0));
  if (!sorted.length) ul.append(emptyItem('No requests yet.'));
  for (const r of sorted) {
    ul.append(
      h('li', { 'data-testid': 'request-row', 'data-status': r.status, 'data-new': r.id === state.newRequest ? 'true' : null, class: r.id === state.newRequest ? 'new' : null },
        h('div', { class: 'meta' },
          h('strong', { text: r.product_title || r.sku }),
          h('span', { class: 'mono hint', text: r.sku }),
          h('span', { class: `badge ${REQUEST_BADGE[r.status] || ''}`, 'data-testid': 'request-status', text: r.status })),
        r.note ? h('p', { class: 'hint', text: `Your note: ${r.note}` }) : null,
        r.decision_note ? h('p', { text: `Brand: ${r.decision_note}` }) : null,
        h('p', { class: 'hint', text: `Requested ${fmtDate(r.created_at)}${r.updated_at && r.updated_at !== r.created_at ? ` · updated ${fmtDate(r.updated_at)}` : ''}` })));
  }
}

async function loadRequests() {
  setError('request-error', null);
  try {
    const data = await api('GET', '/v1/creators/me/product-requests');
    renderRequests(data.requests || []);
  } catch (e) {
    $('requests-list').replaceChildren();
    setError('request-error', e);
  }
}

async function createRequest(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  setError('request-error', null);
  const sku = form.elements.sku.value.trim();
  const note = form.elements.note.value.trim();
  if (!WORD_RE.test(sku)) return setError('request-error', 'Enter the product SKU (letters, digits, _ . -).');
  const btn = $('request-submit');
  btn.disabled = true;
  try {
    const made = await api('POST', '/v1/creators/me/product-requests', note ? { sku, note } : { sku });
    state.newRequest = made.request?.id;
    announce('Request sent to the brand.');
    form.reset();
    await loadRequests();
  } catch (e) {
    setError('request-error', e);
  } finally {
    btn.disabled = false;
  }
}

// ---------- dashboard ----------

const COLUMNS = [
  ['impressions', 'Impressions', fmtInt],
  ['views', 'Views', fmtInt],
  ['product_clicks', 'Clicks', fmtInt],
  ['add_to_carts', 'Adds to cart', fmtInt],
  ['orders', 'Orders', fmtNum],
  ['revenue', 'Revenue', (v) => v ?? '–'],
  ['conversion_rate', 'Conversion', fmtPct],
];

function renderTable(table, first, rows, keyText) {
  const head = h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: first }), COLUMNS.map(([, label]) => h('th', { scope: 'col', class: 'num', text: label }))));
  const body = h('tbody');
  for (const r of rows) {
    body.append(h('tr', {}, h('th', { scope: 'row', class: 'mono', text: keyText(r.key) }), COLUMNS.map(([k, , f]) => h('td', { class: 'num', text: f(r[k]) }))));
  }
  if (!rows.length) body.append(h('tr', {}, h('td', { colspan: COLUMNS.length + 1, class: 'empty', text: 'No activity in this period.' })));
  table.replaceChildren(head, body);
}

async function loadDashboard() {
  // Content rows are named by their captions when the submissions are at hand.
  if (!state.submissions.length) {
    try {
      state.submissions = (await api('GET', '/v1/creators/me/submissions')).submissions || [];
    } catch {}
  }
  const days = $('dashboard-days').value;
  const box = $('dashboard');
  box.dataset.loaded = 'false';
  try {
    const d = await api('GET', `/v1/creators/me/dashboard?days=${encodeURIComponent(days)}`);
    if (days !== $('dashboard-days').value) return;
    setError('dashboard-error', null);
    const t = d.totals || {};
    $('dashboard-range').textContent = d.from && d.to ? `${d.from} – ${d.to} (UTC)` : '';
    $('total-impressions').textContent = fmtInt(t.impressions ?? 0);
    $('total-views').textContent = fmtInt(t.views ?? 0);
    $('total-clicks').textContent = fmtInt(t.product_clicks ?? 0);
    $('total-add_to_carts').textContent = fmtInt(t.add_to_carts ?? 0);
    $('total-orders').textContent = fmtNum(t.orders ?? 0);
    $('total-revenue').textContent = t.revenue ?? '0.00';
    $('total-conversion').textContent = fmtPct(t.conversion_rate);
    // The server's SVG as an image from a data: URL: its text is never parsed into this page, and
    // opened on its own it has no origin (a Blob URL would have this page's, and its token).
    const img = $('dashboard-chart');
    if (typeof d.chart_svg === 'string' && d.chart_svg.trim().startsWith('<svg')) {
      img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(d.chart_svg)}`;
      img.alt = `Chart of views and orders per day, ${d.from} to ${d.to}. The same figures are in the tables below.`;
      show(img, true);
    } else show(img, false);
    const captions = new Map(state.submissions.map((s) => [s.item_id, s.caption]));
    renderTable($('by-content'), 'Content', d.by_content || [], (k) => (k ? captions.get(k) || k : '(links, no video)'));
    renderTable($('by-campaign'), 'Campaign', d.by_campaign || [], (k) => k || '(no campaign)');
    box.dataset.loaded = 'true';
  } catch (e) {
    setError('dashboard-error', e);
    box.dataset.loaded = 'error';
  }
}

// ---------- payouts ----------

function initPayouts() {
  const from = $('payouts-from');
  const to = $('payouts-to');
  if (!to.value) to.value = today();
  if (!from.value) from.value = `${today().slice(0, 8)}01`;
  to.max = today();
}

function period() {
  const from = $('payouts-from').value;
  const to = $('payouts-to').value;
  if (!from || !to) throw new Error('Choose both dates.');
  if (from > to) throw new Error('"From" is after "To".');
  return `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
}

async function loadPayouts(ev) {
  ev?.preventDefault();
  setError('payouts-error', null);
  const out = $('payouts-result');
  try {
    const p = await api('GET', `/v1/creators/me/payouts?${period()}`);
    // One currency: its figures; several: each currency's (amounts are never added across them).
    const lines = p.by_currency?.length ? p.by_currency : [p];
    const each = (f) => lines.map((l) => (l.currency ? `${l[f]} ${l.currency}` : l[f])).join(' · ');
    $('payout-orders').textContent = fmtNum(lines.reduce((n, l) => n + Number(l.orders || 0), 0));
    $('payout-revenue').textContent = each('attributed_revenue');
    $('payout-margin').textContent = each('margin');
    $('payout-rate').textContent = `${fmtPct(p.commission_rate)} of ${p.commission_basis === 'margin' ? 'margin' : 'revenue'}`;
    $('payout-amount').textContent = each('payout');
    out.dataset.loaded = 'true';
    show(out, true);
  } catch (e) {
    setError('payouts-error', e);
  }
}

async function downloadCsv() {
  setError('payouts-error', null);
  try {
    const q = period();
    const r = await api('GET', `/v1/creators/me/payouts?${q}&format=csv`, undefined, { raw: true });
    const blob = await r.blob();
    const url = URL.createObjectURL(new Blob([blob], { type: 'text/csv' }));
    const a = h('a', { href: url, download: `reelcart-payouts-${$('payouts-from').value}-${$('payouts-to').value}.csv`, class: 'offscreen' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (e) {
    setError('payouts-error', e);
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
