// Reelcart moderation console: a dependency-free ES module. Every API text is put into the page
// as text nodes (never innerHTML), every URL from the API is checked to be http(s) first.

import { Session, SessionError } from '../auth/session.js';

// ---------------------------------------------------------------------------------------------
// Helpers

const $ = (sel, root = document) => root.querySelector(sel);

/** An element: `props` are attributes (`class`, `text`, `testid`, `on<event>`, booleans as properties). */
function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'testid') el.dataset.testid = v;
    // Through the CSSOM: the content security policy allows no inline style attributes.
    else if (k === 'style') el.style.cssText = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (typeof v === 'boolean' && k in el) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid == null || kid === false) continue;
    el.append(kid instanceof Node ? kid : String(kid));
  }
  return el;
}

/** A URL from the API, only when it is http(s). */
function safeUrl(u) {
  if (typeof u !== 'string' || !u) return null;
  try {
    const url = new URL(u, location.href);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

const pad = (n) => String(n).padStart(2, '0');
/** Unix seconds as `YYYY-MM-DD HH:MM UTC`. */
function fmtTime(t) {
  if (t == null) return '—';
  const d = new Date(t * 1000);
  if (Number.isNaN(d.getTime())) return String(t);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}
/** Unix seconds relative to now: `in 3 d`, `2 h ago`. */
function fmtRel(t) {
  if (t == null) return 'never';
  const s = t - Date.now() / 1000;
  const a = Math.abs(s);
  const v = a < 3600 ? `${Math.round(a / 60)} min` : a < 172800 ? `${Math.round(a / 3600)} h` : `${Math.round(a / 86400)} d`;
  return s >= 0 ? `in ${v}` : `${v} ago`;
}
const today = () => new Date().toISOString().slice(0, 10);
const label = (s) => String(s ?? '').replaceAll('_', ' ');
const debounce = (fn, ms) => {
  let t;
  return (...a) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...a), ms);
  };
};

/** Replace an element's children; null, undefined and false are skipped. */
function put(el, ...kids) {
  el.replaceChildren(...kids.flat(Infinity).filter((k) => k != null && k !== false).map((k) => (k instanceof Node ? k : String(k))));
}

function badge(text, tone = '', title) {
  return h('span', { class: `badge ${tone}`, title }, text);
}

// ---------------------------------------------------------------------------------------------
// Toasts

let toastTimer;
function toast(msg) {
  $('#toast-alert').textContent = '';
  const el = $('#toast-status');
  el.textContent = msg;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.textContent = ''), 4000);
}
let alertTimer;
function alertToast(msg) {
  const el = $('#toast-alert');
  el.textContent = msg;
  clearTimeout(alertTimer);
  alertTimer = setTimeout(() => (el.textContent = ''), 9000);
}
function errorText(e) {
  if (e instanceof ApiError) return e.code ? `${e.message} (${e.code})` : e.message;
  return e?.message || String(e);
}

// ---------------------------------------------------------------------------------------------
// API

class ApiError extends Error {
  constructor(status, code, message, problems) {
    super(message);
    this.status = status;
    this.code = code;
    this.problems = problems;
  }
}

// Sign-in: authorization code + PKCE against the identity provider `config.json` names.
const session = new Session('reelcart_console', { onEnd: (message) => showSignIn(message) });

async function api(method, path, body, { raw = false } = {}) {
  const headers = {};
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await session.fetch(path, { method, headers, body: payload });
  } catch (e) {
    if (e instanceof SessionError) throw new ApiError(401, 'unauthorized', e.message);
    throw new ApiError(0, 'network', `The API could not be reached (${e.message})`);
  }
  if (!res.ok) {
    let data = null;
    try {
      data = await res.json();
    } catch {}
    const err = data?.error;
    throw new ApiError(res.status, err?.code || `http_${res.status}`, err?.message || data?.message || res.statusText || `HTTP ${res.status}`, err?.problems);
  }
  if (raw) return res;
  if (res.status === 204) return null;
  return res.json();
}
const enc = encodeURIComponent;

// ---------------------------------------------------------------------------------------------
// Session

const isAdmin = () => session.groups.includes('admin');
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
function showSignIn(message) {
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
function selectTab(name) {
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
// Queue

const state = { items: [], cursor: null, selected: new Map(), current: null, detail: null, loading: false, gen: 0 };
const SOURCES = { instagram_hashtag: 'IG hashtag', instagram_mention: 'IG mention', instagram_tag: 'IG tag', tiktok: 'TikTok', upload: 'Upload', review: 'Review' };

function filters() {
  const f = new FormData($('#filters'));
  return { status: f.get('status') || 'queued', source: f.get('source') || '', rights: f.get('rights') || '', flagged: f.get('flagged') || '' };
}

/** Whether an item matches the filters (the API filters; this keeps an older API's answer honest). */
function matches(item, f) {
  if (item.status !== f.status) return false;
  if (f.source && item.source !== f.source) return false;
  if (f.flagged === 'true' && !(item.flags || []).length) return false;
  if (f.flagged === 'false' && (item.flags || []).length) return false;
  if (f.rights && item.summary && item.summary.rights !== f.rights) return false;
  return true;
}

async function loadQueue(reset) {
  const f = filters();
  const gen = reset ? ++state.gen : state.gen;
  if (reset) {
    state.items = [];
    state.cursor = null;
  }
  const q = new URLSearchParams({ status: f.status, limit: '20' });
  for (const k of ['source', 'rights', 'flagged']) if (f[k]) q.set(k, f[k]);
  if (!reset && state.cursor) q.set('cursor', state.cursor);
  const more = $('#queue-more');
  more.disabled = true;
  state.loading = true;
  $('#queue-list').setAttribute('aria-busy', 'true');
  try {
    const out = await api('GET', `/v1/moderation/items?${q}`);
    if (gen !== state.gen) return;
    const seen = new Set(state.items.map((i) => i.id));
    state.items.push(...(out.items || []).filter((i) => matches(i, f) && !seen.has(i.id)));
    state.cursor = out.cursor || null;
    renderQueue();
  } catch (e) {
    if (gen === state.gen) alertToast(`Queue: ${errorText(e)}`);
  } finally {
    state.loading = false;
    more.disabled = false;
    $('#queue-list').removeAttribute('aria-busy');
  }
}

function queueItem(item) {
  const s = item.summary || {};
  const poster = safeUrl(s.poster);
  const author = item.author?.handle ? `@${item.author.handle}` : item.author?.creator_id ? `creator ${item.author.creator_id}` : 'unknown author';
  const rights = s.rights === 'valid' ? badge(`rights: ${(s.valid_channels || []).join(', ') || 'valid'}`, 'ok') : s.rights === 'requested' ? badge('rights requested', 'warn') : s.rights === 'none' ? badge('no rights', 'bad') : null;
  const media = s.media === undefined ? null : s.media === 'transcoded' ? badge('transcoded', 'ok') : s.media === 'failed' ? badge('media failed', 'bad') : s.media ? badge(s.media, 'info') : badge('no media');
  const maps = typeof s.mappings === 'number' ? (s.mappings ? badge(`${s.mappings} mapping${s.mappings === 1 ? '' : 's'}`, 'info') : badge('unmapped', 'warn')) : null;
  const selected = state.selected.has(item.id);
  const caption = item.caption?.trim() || '(no caption)';
  const li = h(
    'li',
    { class: `qi${item.id === state.current ? ' current' : ''}${selected ? ' selected' : ''}`, testid: 'queue-item', 'data-id': item.id, 'data-status': item.status },
    h('input', {
      type: 'checkbox',
      checked: selected,
      testid: 'queue-select',
      'aria-label': `Select “${caption.slice(0, 60)}” for bulk mapping`,
      onchange: (e) => toggleSelect(item.id, e.target.checked),
    }),
    poster ? h('img', { class: 'thumb', src: poster, alt: '', loading: 'lazy', decoding: 'async' }) : h('div', { class: 'thumb', 'aria-hidden': 'true' }),
    h(
      'button',
      { type: 'button', class: 'open', testid: 'queue-open', 'aria-current': item.id === state.current ? 'true' : null, onclick: () => openItem(item.id) },
      h('span', { class: 'cap' }, caption),
      h('span', { class: 'meta' }, `${SOURCES[item.source] || label(item.source)} · ${author} · ${fmtRel(item.updated_at)}`),
      h(
        'span',
        { class: 'badges' },
        badge(item.status, item.status === 'published' ? 'ok' : item.status === 'rejected' ? 'bad' : ''),
        rights,
        media,
        maps,
        (item.flags || []).map((f) => badge(`⚑ ${f}`, 'warn', 'flagged by the automated checks')),
      ),
    ),
  );
  return li;
}

function renderQueue() {
  const list = $('#queue-list');
  put(list, ...state.items.map(queueItem));
  $('#queue-more').hidden = !state.cursor;
  const f = filters();
  const n = state.items.length;
  $('#queue-summary').textContent = n
    ? `${n} ${f.status} item${n === 1 ? '' : 's'}${state.cursor ? ' — more to load' : ''}`
    : state.cursor
      ? 'No matching items on this page — load more to keep looking.'
      : `No ${f.status} items match.`;
  renderBulk();
}

function updateQueueItem(item) {
  const i = state.items.findIndex((x) => x.id === item.id);
  if (i < 0) return;
  state.items[i] = { ...state.items[i], ...item, summary: item.summary || state.items[i].summary };
  const old = $(`#queue-list [data-id="${CSS.escape(item.id)}"]`);
  old?.replaceWith(queueItem(state.items[i]));
}

function markCurrent() {
  for (const li of document.querySelectorAll('#queue-list .qi')) {
    const on = li.dataset.id === state.current;
    li.classList.toggle('current', on);
    const b = li.querySelector('.open');
    if (on) b.setAttribute('aria-current', 'true');
    else b.removeAttribute('aria-current');
  }
}

function toggleSelect(id, on = !state.selected.has(id)) {
  const item = state.items.find((i) => i.id === id) || (state.detail?.item.id === id ? state.detail.item : null);
  if (on) state.selected.set(id, item?.caption || id);
  else state.selected.delete(id);
  const li = $(`#queue-list [data-id="${CSS.escape(id)}"]`);
  if (li) {
    li.classList.toggle('selected', on);
    li.querySelector('input[type=checkbox]').checked = on;
  }
  renderBulk();
}

function renderBulk() {
  $('#bulk').hidden = state.selected.size === 0;
  $('#bulk-count').textContent = String(state.selected.size);
}

function initQueue() {
  $('#filters').addEventListener('submit', (e) => {
    e.preventDefault();
    loadQueue(true);
  });
  for (const s of $('#filters').querySelectorAll('select')) s.addEventListener('change', () => loadQueue(true));
  $('#queue-more').addEventListener('click', () => loadQueue(false));
  $('#bulk-clear').addEventListener('click', () => {
    for (const id of [...state.selected.keys()]) toggleSelect(id, false);
    put($('#bulk-problems'));
  });
  const skuInput = $('[data-testid="bulk-sku"]');
  skuInput.addEventListener(
    'input',
    debounce(async () => {
      const q = skuInput.value.trim();
      if (q.length < 2) return;
      try {
        const out = await api('GET', `/v1/catalog/products?q=${enc(q)}&limit=20`);
        put($('#bulk-skus'), ...(out.products || []).flatMap((p) => (p.variants || []).map((v) => h('option', { value: v.sku }, `${p.title} — ${v.title || v.sku}`))));
      } catch {}
    }, 250),
  );
  $('#bulk-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const ids = [...state.selected.keys()];
    const rows = ids.map((item_id) => ({ item_id, sku: String(f.get('sku')).trim(), placement: f.get('placement'), pinned: f.get('pinned') === 'on' }));
    const problems = $('#bulk-problems');
    put(problems);
    const btn = $('[data-testid="bulk-submit"]');
    btn.disabled = true;
    try {
      const out = await api('POST', '/v1/moderation/mappings', rows);
      toast(`Mapped ${out.mapped ?? rows.length} item(s) to ${rows[0].sku} (${rows[0].placement}).`);
      for (const id of ids) toggleSelect(id, false);
      loadQueue(true);
      if (state.current && ids.includes(state.current)) refreshDetail();
    } catch (err) {
      alertToast(`Bulk mapping: ${errorText(err)}`);
      const list = err.problems || [];
      put(problems, 
        ...(list.length ? list : [{ message: errorText(err) }]).map((p) => {
          const id = p.row != null ? ids[p.row] : null;
          return h('li', { testid: 'bulk-problem', 'data-row': p.row }, id ? `${String(state.selected.get(id) || id).slice(0, 40)} (${id}): ` : '', p.message || p.code);
        }),
      );
    } finally {
      btn.disabled = false;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Item detail

const REASONS = [
  'Off-brand or not relevant',
  'Low video or audio quality',
  'Inappropriate or unsafe content',
  'Shows a competitor’s product',
  'Personal data visible',
  'Duplicate of another item',
  'No rights obtainable',
];
const NEXT = {
  queued: ['reviewing', 'rejected'],
  reviewing: ['approved', 'rejected'],
  approved: ['published', 'rejected'],
  published: ['archived'],
  archived: [],
  rejected: [],
};
const CHANNELS = ['site', 'email', 'ads', 'instagram', 'tiktok'];

let player = null; // {hls, video}
function destroyPlayer() {
  if (!player) return;
  try {
    player.hls?.destroy();
  } catch {}
  player.video.removeAttribute('src');
  player.video.load();
  player = null;
}

let hlsPromise = null;
function loadHls() {
  if (window.Hls) return Promise.resolve(window.Hls);
  hlsPromise ||= new Promise((ok, fail) => {
    const s = document.createElement('script');
    s.src = new URL('../dist/hls.light.min.js', import.meta.url).href;
    s.async = true;
    s.onload = () => (window.Hls ? ok(window.Hls) : fail(new Error('hls.js did not load')));
    s.onerror = () => {
      hlsPromise = null;
      fail(new Error('hls.js could not be loaded'));
    };
    document.head.append(s);
  });
  return hlsPromise;
}

/** The preview: native HLS where the browser has it, else hls.js (loaded on first use); poster fallback. */
function buildPlayer(detail) {
  const m = detail.media?.manifest;
  const master = safeUrl(m?.master);
  const poster = safeUrl(m?.poster) || safeUrl(detail.item.summary?.poster);
  const box = h('div', { class: 'player', testid: 'detail-player' });
  if (!master) {
    const status = detail.media?.status;
    const why = detail.media?.failure ? `Media failed: ${detail.media.failure.message}` : status ? `Media ${status}…` : detail.item.media_type === 'video' ? 'No media record yet' : `${label(detail.item.media_type)} (no video preview)`;
    box.append(poster ? h('img', { src: poster, alt: 'Poster' }) : h('div'), h('div', { class: 'note', testid: 'detail-media-note' }, why));
    return box;
  }
  const video = h('video', { testid: 'detail-video', controls: true, muted: true, playsinline: true, loop: true, preload: 'auto', poster, 'aria-label': 'Preview of the item' });
  video.muted = true;
  box.append(video);
  const note = (text) => box.append(h('div', { class: 'note', testid: 'detail-media-note' }, text));
  const me = { hls: null, video };
  player = me;
  const start = () => video.play().catch(() => {});
  if (video.canPlayType('application/vnd.apple.mpegurl')) {
    video.src = master;
    start();
  } else {
    loadHls()
      .then((Hls) => {
        if (player !== me) return;
        if (!Hls.isSupported()) return note('This browser cannot play HLS.');
        const hls = new Hls({ capLevelToPlayerSize: true, maxBufferLength: 10 });
        me.hls = hls;
        hls.on(Hls.Events.ERROR, (_e, data) => {
          if (data.fatal) {
            note(`Playback failed (${data.details}).`);
            hls.destroy();
          }
        });
        hls.loadSource(master);
        hls.attachMedia(video);
        hls.on(Hls.Events.MANIFEST_PARSED, start);
      })
      .catch((e) => note(e.message));
  }
  return box;
}

async function openItem(id, { focus = false } = {}) {
  if (!id) return;
  state.current = id;
  markCurrent();
  history.replaceState(null, '', `#item=${enc(id)}`);
  const detail = $('#detail');
  destroyPlayer();
  detail.setAttribute('aria-busy', 'true');
  put(detail, h('p', { class: 'muted empty' }, 'Loading…'));
  try {
    const d = await api('GET', `/v1/moderation/items/${enc(id)}`);
    if (state.current !== id) return;
    const listed = state.items.find((i) => i.id === id);
    if (listed?.summary && !d.item.summary) d.item.summary = listed.summary;
    state.detail = d;
    buildDetail(d);
    if (focus) detail.focus({ preventScroll: true });
    loadRequests(id);
  } catch (e) {
    if (state.current !== id) return;
    state.detail = null;
    put(detail, h('div', { class: 'err', role: 'alert', testid: 'detail-error' }, `Could not load ${id}: ${errorText(e)}`));
  } finally {
    detail.removeAttribute('aria-busy');
  }
}

async function refreshDetail() {
  const id = state.current;
  if (!id) return;
  try {
    const d = await api('GET', `/v1/moderation/items/${enc(id)}`);
    if (state.current !== id) return;
    d.item.summary = state.detail?.item.summary;
    state.detail = d;
    fillDetail(d);
    updateQueueItem({ ...d.item, summary: d.item.summary && { ...d.item.summary, mappings: d.mappings.length } });
  } catch (e) {
    showDetailError(e);
  }
}

function showDetailError(e) {
  const el = $('[data-testid="detail-error"]');
  if (el) el.textContent = errorText(e);
  alertToast(errorText(e));
}

/** The skeleton of an opened item: the player and forms persist; `fillDetail` refreshes the rest. */
function buildDetail(d) {
  const item = d.item;
  const reasonText = h('input', { testid: 'reject-reason', name: 'reason', placeholder: 'Reason (required to reject)', autocomplete: 'off' });
  const reasonPreset = h(
    'select',
    {
      testid: 'reject-reason-preset',
      'aria-label': 'Common rejection reasons',
      onchange: (e) => {
        if (e.target.value) reasonText.value = e.target.value;
      },
    },
    h('option', { value: '' }, 'Choose a reason…'),
    REASONS.map((r) => h('option', { value: r }, r)),
  );
  reasonText.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      doTransition('rejected');
    }
  });
  const act = (to, text, cls, testid) => h('button', { type: 'button', class: cls, testid, 'data-to': to, onclick: () => (to === 'approved' ? approve() : doTransition(to)) }, text);

  // Mapping search
  const skuSearch = h('input', { type: 'search', testid: 'sku-search', name: 'q', placeholder: 'Search the catalog by title or SKU', autocomplete: 'off', 'aria-label': 'Search the catalog' });
  const placement = h('select', { testid: 'map-placement', name: 'placement', 'aria-label': 'Placement' }, ['pdp', 'collection', 'home'].map((p) => h('option', { value: p }, p)));
  const pinned = h('input', { type: 'checkbox', testid: 'map-pinned', name: 'pinned' });
  const results = h('ul', { class: 'results', testid: 'sku-results', 'aria-label': 'Catalog results', 'aria-live': 'polite' });
  const search = async () => {
    const q = skuSearch.value.trim();
    if (!q) return put(results);
    try {
      const out = await api('GET', `/v1/catalog/products?q=${enc(q)}&limit=20`);
      if (skuSearch.value.trim() !== q) return;
      const rows = (out.products || []).flatMap((p) => (p.variants?.length ? p.variants : [{ sku: p.product_id, title: '' }]).map((v) => ({ p, v })));
      put(results, 
        ...(rows.length
          ? rows.slice(0, 40).map(({ p, v }) =>
              h(
                'li',
                { testid: 'sku-result', 'data-sku': v.sku },
                safeUrl(p.image) ? h('img', { src: safeUrl(p.image), alt: '', loading: 'lazy', onerror: (e) => (e.target.style.visibility = 'hidden') }) : h('span', { class: 'thumb' }),
                h('div', { class: 'grow' }, h('div', {}, p.title, v.title && v.title !== p.title ? ` — ${v.title}` : ''), h('div', { class: 'muted small' }, h('code', {}, v.sku), v.price ? ` · ${v.price}${v.currency ? ` ${v.currency}` : ''}` : '', p.status && p.status !== 'active' ? ` · ${p.status}` : '')),
                h('button', { type: 'button', class: 'primary', testid: 'sku-map', onclick: () => mapSku(v.sku, placement.value, pinned.checked) }, 'Map'),
              ),
            )
          : [h('li', { class: 'muted' }, 'No product matches.')]),
      );
    } catch (e) {
      if (e.status === 404 && e.code === 'not_found') {
        put(results, 
          h('li', { testid: 'sku-result', 'data-sku': q }, h('span', { class: 'grow muted' }, 'Catalog search is not available on this API. Map the exact SKU: '), h('button', { type: 'button', class: 'primary', testid: 'sku-map', onclick: () => mapSku(q, placement.value, pinned.checked) }, `Map ${q}`)),
        );
      } else put(results, h('li', { class: 'err' }, errorText(e)));
    }
  };
  const debounced = debounce(search, 250);
  skuSearch.addEventListener('input', debounced);
  const searchForm = h(
    'form',
    {
      class: 'row',
      testid: 'map-form',
      onsubmit: (e) => {
        e.preventDefault();
        search();
      },
    },
    h('label', { class: 'grow' }, 'Catalog', skuSearch),
    h('label', {}, 'Placement', placement),
    h('label', { class: 'check' }, pinned, 'pinned'),
    h('button', { type: 'submit' }, 'Search'),
  );

  // Rights request form (Instagram items only: the request is a comment on the post).
  const ig = String(item.source).startsWith('instagram');
  const reqForm = ig
    ? h(
        'form',
        { class: 'stack', testid: 'rights-request-form', onsubmit: requestRights },
        h('label', {}, 'License', h('input', { name: 'license', required: true, maxlength: 200, value: 'Display on our website, emails and social channels' })),
        h('fieldset', { class: 'row', style: 'border:0;padding:0;margin:0' }, h('legend', { class: 'muted small' }, 'Channels'), CHANNELS.map((c) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'channels', value: c, checked: c === 'site' || c === 'email' }), c))),
        h('div', { class: 'row' }, h('label', {}, 'Duration (days, empty = no end)', h('input', { name: 'duration_days', type: 'number', min: 1, max: 3650, value: 365 })), h('button', { type: 'submit', class: 'primary', testid: 'rights-request-submit' }, 'Request rights')),
      )
    : h('p', { class: 'muted small' }, `${SOURCES[item.source] || label(item.source)} items carry consent through the creator portal’s terms or a recorded agreement; there is no comment to post.`);

  const detail = $('#detail');
  put(detail, 
    h('div', { class: 'row', style: 'justify-content:space-between;align-items:flex-start' }, h('div', {}, h('h1', { testid: 'detail-caption', id: 'detail-h' }), h('div', { class: 'muted small' }, h('code', { testid: 'detail-id' }, item.id))), h('span', { testid: 'detail-status-wrap' })),
    h('div', { class: 'err', role: 'alert', testid: 'detail-error' }),
    h(
      'div',
      { class: 'detail-grid' },
      h('div', {}, buildPlayer(d), h('div', { testid: 'detail-checks', style: 'margin-top:8px' })),
      h(
        'div',
        {},
        h('dl', { class: 'kv', testid: 'detail-info' }),
        h(
          'div',
          { class: 'actions', role: 'group', 'aria-label': 'Moderation' },
          h('div', { class: 'row' }, act('reviewing', 'Move to reviewing', '', 'action-review'), act('approved', 'Approve (a)', 'ok', 'action-approve'), act('published', 'Publish (p)', 'primary', 'action-publish'), act('archived', 'Archive', '', 'action-archive')),
          h('div', { class: 'row' }, h('label', {}, 'Rejection reason', reasonPreset), h('label', { class: 'grow' }, 'Details', reasonText), act('rejected', 'Reject (r)', 'danger', 'action-reject')),
        ),
        h('section', { class: 'box', 'aria-labelledby': 'map-h' }, h('h2', { id: 'map-h' }, 'Products'), h('ul', { class: 'list', testid: 'mappings-list' }), searchForm, results),
        h('section', { class: 'box', 'aria-labelledby': 'rights-h' }, h('h2', { id: 'rights-h' }, 'Rights'), h('ul', { class: 'list', testid: 'rights-list' }), h('h3', {}, 'Rights requests'), h('div', { testid: 'rights-request-result' }), h('ul', { class: 'list', testid: 'rights-requests' }), reqForm),
        h('section', { class: 'box', 'aria-labelledby': 'audit-h' }, h('h2', { id: 'audit-h' }, 'Audit history'), h('ol', { class: 'list', testid: 'audit-list' })),
      ),
    ),
  );
  detail.setAttribute('aria-labelledby', 'detail-h');
  fillDetail(d);
}

function fillDetail(d) {
  const item = d.item;
  const root = $('#detail');
  const q = (t) => root.querySelector(`[data-testid="${t}"]`);
  q('detail-caption').textContent = item.caption?.trim() || '(no caption)';
  put(q('detail-status-wrap'), h('span', { class: `badge ${item.status === 'published' ? 'ok' : item.status === 'rejected' ? 'bad' : 'info'}`, testid: 'detail-status', 'data-status': item.status, style: 'font-size:13px;padding:3px 10px' }, item.status));
  const permalink = safeUrl(item.permalink);
  const author = item.author?.handle ? `@${item.author.handle}` : '—';
  const media = d.media;
  const kv = [
    ['Source', SOURCES[item.source] || label(item.source)],
    ['Author', author],
    item.author?.creator_id && ['Creator', item.author.creator_id],
    ['Permalink', permalink ? h('a', { href: permalink, target: '_blank', rel: 'noopener noreferrer', testid: 'detail-permalink' }, permalink) : '—'],
    ['Media', media ? `${label(media.status)}${media.manifest ? ` · ${media.manifest.aspect_ratio} · ${Number(media.manifest.duration_secs).toFixed(1)} s · ${media.manifest.width}×${media.manifest.height}${media.manifest.has_audio ? '' : ' · silent'}` : ''}${media.failure ? ` — ${media.failure.message}` : ''}` : `${label(item.media_type)}, no media record`],
    ['Shoppable', item.shoppable ? 'yes (publishing needs a product mapping)' : 'no'],
    ['Created', fmtTime(item.created_at)],
    ['Updated', fmtTime(item.updated_at)],
    item.publish_at && ['Publishes at', fmtTime(item.publish_at)],
    item.rejection && ['Rejected because', item.rejection],
    (item.flags || []).length && ['Flags', h('span', { class: 'badges' }, item.flags.map((f) => badge(`⚑ ${f}`, 'warn')))],
  ].filter(Boolean);
  put(q('detail-info'), ...kv.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));

  const c = d.checks || {};
  put(q('detail-checks'), 
    h('strong', {}, 'Automated checks: '),
    c.verdict === 'pass' ? badge('pass', 'ok') : c.verdict === 'flag' ? badge('flag', 'warn') : c.verdict === 'reject' ? badge('reject', 'bad') : badge('unknown'),
    c.reason ? h('div', { class: 'small' }, c.reason) : null,
  );

  const next = NEXT[item.status] || [];
  for (const b of root.querySelectorAll('.actions button[data-to]')) {
    const to = b.dataset.to;
    const ok = next.includes(to) || (to === 'approved' && item.status === 'queued');
    b.disabled = !ok;
    b.title = ok ? '' : `Not possible from ${item.status}`;
  }
  for (const el of [q('reject-reason'), q('reject-reason-preset')]) el.disabled = !next.includes('rejected');

  // Mappings
  put(q('mappings-list'), 
    ...(d.mappings.length
      ? d.mappings.map((m) =>
          h(
            'li',
            { testid: 'mapping', 'data-sku': m.sku, 'data-placement': m.placement, class: 'row', style: 'align-items:center' },
            h('code', {}, m.sku),
            badge(m.placement, 'info'),
            m.pinned ? badge('pinned', 'ok') : null,
            m.confidence < 1 ? badge(`confidence ${Math.round(m.confidence * 100)}%`) : null,
            h('span', { class: 'grow' }),
            h('button', { type: 'button', class: 'ghost', testid: 'mapping-delete', 'aria-label': `Remove ${m.sku} (${m.placement})`, onclick: () => unmap(m) }, 'Remove'),
          ),
        )
      : [h('li', { class: 'muted' }, item.shoppable ? 'Not mapped to a product yet: publishing needs one.' : 'Not mapped.')]),
  );

  // Rights
  put(q('rights-list'), 
    ...(d.rights.length
      ? d.rights.map(({ rights: r, valid_now_for: valid }) =>
          h(
            'li',
            { testid: 'rights-record', 'data-valid': valid.join(',') },
            h('div', {}, h('strong', {}, r.license), ' ', valid.length ? badge(`valid now: ${valid.join(', ')}`, 'ok') : badge('not valid now', 'bad')),
            h('div', { class: 'muted small' }, `Channels ${[...(r.channels || [])].join(', ')} · from ${fmtTime(r.starts_at)} · ${r.expires_at ? `expires ${fmtTime(r.expires_at)} (${fmtRel(r.expires_at)})` : 'no end date'}${r.revoked_at ? ` · revoked ${fmtTime(r.revoked_at)}` : ''} · consent: ${label(r.consent?.kind)}`),
          ),
        )
      : [h('li', { testid: 'rights-none' }, badge('no rights', 'bad'), ' Nothing can be published until rights are obtained.')]),
  );

  // Audit
  put(q('audit-list'), 
    ...(d.audit.length
      ? d.audit.map((a) => h('li', { testid: 'audit-entry', 'data-from': a.from, 'data-to': a.to }, h('strong', {}, `${a.from} → ${a.to}`), ` by ${a.actor} · ${fmtTime(a.at)}`, a.reason ? h('div', { class: 'small' }, `Reason: ${a.reason}`) : null))
      : [h('li', { class: 'muted' }, 'No changes yet.')]),
  );
}

async function loadRequests(id) {
  const ul = $('#detail [data-testid="rights-requests"]');
  if (!ul) return;
  try {
    const out = await api('GET', `/v1/moderation/items/${enc(id)}/rights-requests`);
    if (state.current !== id) return;
    const reqs = out.requests || [];
    put(ul, 
      ...(reqs.length
        ? reqs.map((r) => {
            const st = r.state?.state || 'pending';
            return h(
              'li',
              { testid: 'rights-request', 'data-state': st },
              badge(st, st === 'granted' ? 'ok' : st === 'failed' ? 'bad' : 'warn'),
              ` ${r.terms?.license || ''} · ${(r.terms?.channels || []).join(', ')} · asked by ${r.requested_by} ${fmtRel(r.requested_at)} · ${r.delivery?.kind === 'manual' ? 'to post by hand' : 'posted by the API'}`,
              st === 'failed' && r.state.reason ? h('div', { class: 'small err' }, r.state.reason) : null,
              st === 'pending' && r.delivery?.kind === 'manual' ? manualBox(r) : null,
            );
          })
        : [h('li', { class: 'muted' }, 'None.')]),
    );
  } catch (e) {
    put(ul, h('li', { class: 'muted' }, `Could not list requests: ${errorText(e)}`));
  }
}

function manualBox(r) {
  const link = safeUrl(r.permalink);
  return h(
    'div',
    { class: 'manual', testid: 'rights-manual' },
    h('div', {}, 'Instagram allows no API comment here: post this as the brand', link ? [' on ', h('a', { href: link, target: '_blank', rel: 'noopener noreferrer', testid: 'rights-manual-link' }, 'the post')] : '', ':'),
    h('pre', { testid: 'rights-manual-text' }, r.text),
    h(
      'button',
      {
        type: 'button',
        onclick: async () => {
          try {
            await navigator.clipboard.writeText(r.text);
            toast('Comment copied.');
          } catch {
            alertToast('Copy failed: select the text instead.');
          }
        },
      },
      'Copy text',
    ),
  );
}

async function requestRights(e) {
  e.preventDefault();
  const id = state.current;
  const f = new FormData(e.target);
  const channels = f.getAll('channels');
  const out = $('#detail [data-testid="rights-request-result"]');
  if (!channels.length) return (put(out, h('div', { class: 'err' }, 'Choose at least one channel.')), undefined);
  const days = String(f.get('duration_days') || '').trim();
  const body = { license: String(f.get('license')).trim(), channels, duration_days: days ? Number(days) : null };
  try {
    const res = await api('POST', `/v1/moderation/items/${enc(id)}/rights-requests`, body);
    if (state.current !== id) return;
    put(out, h('p', { testid: 'rights-request-next', class: res.request?.delivery?.kind === 'manual' ? 'manual' : null }, res.next || 'Requested.'));
    toast('Rights requested.');
    loadRequests(id);
  } catch (err) {
    put(out, h('div', { class: 'err', role: 'alert' }, errorText(err)));
  }
}

let busy = false;
async function doTransition(to, { quiet = false } = {}) {
  const d = state.detail;
  if (!d || busy) return false;
  const id = d.item.id;
  const body = { to };
  if (to === 'rejected') {
    const reason = $('#detail [data-testid="reject-reason"]').value.trim();
    if (!reason) {
      showDetailError(new ApiError(0, 'reason_required', 'A rejection needs a reason: pick one or write it.'));
      $('#detail [data-testid="reject-reason-preset"]').focus();
      return false;
    }
    body.reason = reason;
  }
  busy = true;
  $('#detail [data-testid="detail-error"]').textContent = '';
  let ok = false;
  try {
    const out = await api('POST', `/v1/moderation/items/${enc(id)}/transitions`, body);
    ok = true;
    if (!quiet) toast(`${label(to)[0].toUpperCase()}${label(to).slice(1)}: ${d.item.caption?.slice(0, 40) || id}`);
    if (state.current === id) {
      state.detail.item = { ...out.item, summary: d.item.summary };
    }
    updateQueueItem(out.item);
    return true;
  } catch (e) {
    // Someone else moved it: show what it is now, then why this step failed.
    if (e.code === 'conflict' && state.current === id) await refreshDetail();
    if (state.current === id) showDetailError(e);
    else alertToast(errorText(e));
    return false;
  } finally {
    busy = false;
    if (ok && !quiet && state.current === id) await refreshDetail();
  }
}

/** Approve: a queued item goes through reviewing first (the state machine has no shortcut). */
async function approve() {
  const d = state.detail;
  if (!d) return;
  if (d.item.status === 'queued' && !(await doTransition('reviewing', { quiet: true }))) return;
  await doTransition('approved');
}

async function mapSku(sku, placement, pinned) {
  const id = state.current;
  $('#detail [data-testid="detail-error"]').textContent = '';
  try {
    await api('PUT', `/v1/moderation/items/${enc(id)}/mappings`, { sku, placement, pinned });
    toast(`Mapped to ${sku} (${placement}).`);
    await refreshDetail();
  } catch (e) {
    showDetailError(e);
  }
}

async function unmap(m) {
  const id = state.current;
  try {
    await api('DELETE', `/v1/moderation/items/${enc(id)}/mappings/${enc(m.placement)}/${enc(m.sku)}`);
    toast(`Removed ${m.sku} (${m.placement}).`);
    await refreshDetail();
  } catch (e) {
    showDetailError(e);
  }
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
// Reports

function notice(text, testid) {
  return h('div', { class: 'notice', testid }, text);
}
function loadingInto(el) {
  el.setAttribute('aria-busy', 'true');
  put(el, h('p', { class: 'muted' }, 'Loading…'));
}
function failInto(el, e, what) {
  el.removeAttribute('aria-busy');
  if (e.status === 403) return put(el, notice(`${what}: admins only.`, 'admins-only'));
  if (e.status === 404) return put(el, notice(`${what} is not available on this API yet.`, 'not-available'));
  put(el, h('div', { class: 'err', role: 'alert' }, `${what}: ${errorText(e)}`));
}
function table(cols, rows, testid) {
  return h(
    'table',
    { testid },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))),
    h('tbody', {}, rows.map((r) => h('tr', { testid: `${testid}-row` }, cols.map((c) => h('td', { class: c.num ? 'num' : null }, c.get(r) ?? '—'))))),
  );
}

async function loadQa() {
  const el = $('#qa-body');
  loadingInto(el);
  try {
    const out = await api('GET', '/v1/moderation/qa');
    const open = (id) => h('button', { type: 'button', class: 'link', testid: 'qa-open', onclick: () => (selectTab('queue'), openItem(id, { focus: true })) }, id);
    const a = out.published_without_mapping || [];
    const b = out.mapped_to_missing_sku || [];
    put(el, 
      h('h2', {}, `Published without a product mapping (${a.length})`),
      a.length ? h('ul', { class: 'list card', testid: 'qa-unmapped' }, a.map((r) => h('li', {}, open(r.item_id)))) : notice('None.', 'qa-unmapped-none'),
      h('h2', {}, `Mapped to a SKU the catalog no longer has (${b.length})`),
      b.length ? table([{ label: 'Item', get: (r) => open(r.item_id) }, { label: 'Status', get: (r) => r.status }, { label: 'SKU', get: (r) => h('code', {}, r.sku) }, { label: 'Placement', get: (r) => r.placement }], b, 'qa-missing') : notice('None.', 'qa-missing-none'),
    );
    el.removeAttribute('aria-busy');
  } catch (e) {
    failInto(el, e, 'QA report');
  }
}

async function loadQuarantine() {
  const sync = $('#sync-body');
  const quar = $('#quarantine-body');
  loadingInto(sync);
  loadingInto(quar);
  api('GET', '/v1/catalog/sync')
    .then((out) => {
      const runs = Object.entries(out.runs || {});
      put(sync, 
        table(
          [
            { label: 'Channel', get: ([c]) => c },
            { label: 'Status', get: ([, r]) => (r ? badge(r.status, r.status === 'finished' ? 'ok' : r.status === 'failed' ? 'bad' : r.status === 'running' ? 'info' : 'warn') : 'never run') },
            { label: 'Started', get: ([, r]) => r && fmtTime(r.started_at) },
            { label: 'Finished', get: ([, r]) => r?.finished_at && fmtTime(r.finished_at) },
            { label: 'Done / planned', num: true, get: ([, r]) => r && `${r.done ?? 0} / ${r.planned ?? 0}` },
            { label: 'Batches', num: true, get: ([, r]) => r?.batches },
            { label: 'Last error', get: ([, r]) => r?.last_error },
          ],
          runs,
          'sync-run',
        ),
      );
      sync.removeAttribute('aria-busy');
    })
    .catch((e) => failInto(sync, e, 'Sync runs'));
  try {
    const out = await api('GET', '/v1/catalog/quarantine');
    const chans = Object.entries(out.quarantine || {});
    put(quar, 
      ...chans.map(([channel, items]) =>
        h(
          'section',
          { testid: 'quarantine-channel', 'data-channel': channel },
          h('h3', {}, `${channel} — ${items.length} held back`),
          items.length
            ? table(
                [
                  { label: 'Key', get: (i) => h('code', {}, i.key) },
                  { label: 'Product', get: (i) => i.product_id },
                  { label: 'Why', get: (i) => h('ul', { class: 'list' }, (i.problems || []).map((p) => h('li', {}, h('code', {}, p.field), ' ', badge(p.code, 'bad'), ` ${p.message}`))) },
                  { label: 'By', get: (i) => (i.source === 'platform' ? 'platform refusal' : 'our validation') },
                  { label: 'Since', get: (i) => fmtTime(i.since) },
                ],
                items.slice(0, 500),
                'quarantine-item',
              )
            : notice('Nothing held back.'),
          items.length > 500 ? h('p', { class: 'muted small' }, `Showing 500 of ${items.length}.`) : null,
        ),
      ),
    );
    quar.removeAttribute('aria-busy');
  } catch (e) {
    failInto(quar, e, 'Quarantine');
  }
}

const REAUTH = new Set(['needs_reauth', 'refresh_exhausted', 'revoked']);
async function loadConnections() {
  const el = $('#connections-body');
  if (!isAdmin()) return put(el, notice('Connections are for admins only.', 'connections-admins-only'));
  loadingInto(el);
  try {
    const out = await api('GET', '/v1/connections');
    const conns = out.connections || [];
    el.removeAttribute('aria-busy');
    const bad = conns.filter((c) => REAUTH.has(c.status));
    put(el,
      connectBar(),
      conns.length ? null : notice('No platform account is connected yet.'),
      bad.length ? h('p', { class: 'attention', testid: 'connections-attention' }, h('strong', {}, `${bad.length} connection${bad.length === 1 ? ' needs' : 's need'} re-authorization.`), ' Until then nothing syncs or posts through them.') : null,
      ...conns.map((c) => {
        const reauth = REAUTH.has(c.status);
        const err = c.last_error;
        return h(
          'section',
          { class: reauth ? 'attention' : 'box', testid: 'connection', 'data-status': c.status, 'data-id': c.id },
          h('div', { class: 'row', style: 'align-items:center' }, h('strong', {}, c.id), badge(label(c.status), reauth ? 'bad' : c.needs_attention ? 'warn' : 'ok'), reauth ? [h('strong', { testid: 'connection-reauth' }, 'Needs re-auth'), h('button', { type: 'button', testid: 'connection-reconnect', onclick: () => connect(c.platform) }, 'Connect again')] : c.needs_attention ? badge('refresh failing', 'warn') : null),
          (reauth || c.needs_attention) && (c.remediation || err?.remediation) ? h('p', { testid: 'connection-remediation' }, c.remediation || err.remediation) : null,
          h(
            'dl',
            { class: 'kv' },
            h('dt', {}, 'Platform'),
            h('dd', {}, `${c.platform} · account ${c.account_id}`),
            h('dt', {}, 'Access token'),
            h('dd', {}, c.expires_at ? `expires ${fmtTime(c.expires_at)} (${fmtRel(c.expires_at)})` : 'does not expire'),
            h('dt', {}, 'Refresh token'),
            h('dd', {}, c.refresh_expires_at ? `expires ${fmtTime(c.refresh_expires_at)} (${fmtRel(c.refresh_expires_at)})` : 'none'),
            h('dt', {}, 'Last refreshed'),
            h('dd', {}, c.last_refreshed_at ? fmtTime(c.last_refreshed_at) : '—'),
            c.failures ? [h('dt', {}, 'Failures'), h('dd', {}, `${c.failures}${c.retry_after ? ` · next try ${fmtRel(c.retry_after)}` : ''}`)] : null,
            err ? [h('dt', {}, 'Last error'), h('dd', { testid: 'connection-error' }, `${err.code}: ${err.message} (${fmtTime(err.at)})`)] : null,
            h('dt', {}, 'Scopes'),
            h('dd', { class: 'small' }, (c.scopes || []).join(', ') || '—'),
          ),
        );
      }),
    );
  } catch (e) {
    failInto(el, e, 'Connections');
  }
}

/** Connect (or connect again) an account: off to the platform's consent screen. */
const CONNECTABLE = [
  ['shopify', 'Shopify store'],
  ['meta', 'Meta (catalog)'],
  ['instagram', 'Instagram'],
  ['tiktok-shop', 'TikTok Shop'],
  ['tiktok', 'TikTok'],
];
async function connect(platform, grant) {
  try {
    const out = await api('POST', `/v1/connections/${enc(platform)}/authorize${grant ? `?grant=${enc(grant)}` : ''}`);
    if (out?.authorize_url && safeUrl(out.authorize_url)) return location.assign(out.authorize_url);
    toast(`Connected ${out?.connection?.id || platform}.`);
    loadConnections();
  } catch (e) {
    alertToast(`Could not connect ${platform}: ${errorText(e)}`);
  }
}
function connectBar() {
  return h(
    'div',
    { class: 'row', testid: 'connect-bar' },
    h('span', { class: 'muted' }, 'Connect:'),
    CONNECTABLE.map(([p, name]) => h('button', { type: 'button', testid: `connect-${p}`, onclick: () => connect(p) }, name)),
    h('button', { type: 'button', class: 'ghost', testid: 'connect-shopify-app', title: "A Dev Dashboard app of the brand's own organization: no consent screen", onclick: () => connect('shopify', 'client_credentials') }, 'Shopify (own app)'),
  );
}

// Creators (admin)
async function loadCreators() {
  const el = $('#creators-body');
  if (!isAdmin()) return put(el, notice('Creators, payouts and product requests are for admins only.', 'creators-admins-only'));
  const month = today().slice(0, 8) + '01';
  const list = h('div', { testid: 'creators-list' }, h('p', { class: 'muted' }, 'Loading…'));
  const payFrom = h('input', { type: 'date', name: 'from', value: month, testid: 'payouts-from', required: true });
  const payTo = h('input', { type: 'date', name: 'to', value: today(), testid: 'payouts-to', required: true });
  const payOut = h('div', { testid: 'payouts-report' });
  const prStatus = h('select', { testid: 'product-requests-status', 'aria-label': 'Request status', onchange: () => loadProductRequests(prStatus.value, prOut) }, ['requested', 'approved', 'declined', 'shipped', ''].map((s) => h('option', { value: s }, s || 'any')));
  const prOut = h('div', { testid: 'product-requests' });
  const codesOut = h('div', { testid: 'code-requests' });
  put(el, 
    h('h2', {}, 'Creators'),
    list,
    h('h2', {}, 'Payouts'),
    h(
      'form',
      {
        class: 'row',
        testid: 'payouts-form',
        onsubmit: (e) => {
          e.preventDefault();
          loadPayouts(payFrom.value, payTo.value, payOut);
        },
      },
      h('label', {}, 'From', payFrom),
      h('label', {}, 'To', payTo),
      h('button', { type: 'submit', class: 'primary', testid: 'payouts-load' }, 'Show report'),
      h('button', { type: 'button', testid: 'payouts-csv', onclick: (e) => downloadPayouts(payFrom.value, payTo.value, e.target) }, 'Download CSV'),
    ),
    payOut,
    h('div', { class: 'row', style: 'align-items:flex-end;justify-content:space-between' }, h('h2', {}, 'Product requests'), h('label', {}, 'Status', prStatus)),
    prOut,
    h('h2', {}, 'Discount codes awaiting approval'),
    codesOut,
  );
  loadProductRequests('requested', prOut);
  loadCodeRequests(codesOut);
  loadPayouts(payFrom.value, payTo.value, payOut);
  try {
    const out = await api('GET', '/v1/creators');
    const cs = out.creators || [];
    put(list, 
      cs.length
        ? table(
            [
              { label: 'Name', get: (c) => c.display_name },
              { label: 'Id', get: (c) => h('code', {}, c.id) },
              { label: 'Handles', get: (c) => Object.entries(c.handles || {}).map(([p, v]) => `${p}: @${v}`).join(', ') || '—' },
              { label: 'Commission', num: true, get: (c) => (c.commission_rate != null ? `${Math.round(Number(c.commission_rate) * 1000) / 10}%` : '—') },
              { label: 'Terms', get: (c) => c.terms_version || badge('not accepted', 'warn') },
              { label: 'Joined', get: (c) => fmtTime(c.created_at) },
            ],
            cs,
            'creator',
          )
        : notice('No creator has onboarded yet.'),
    );
  } catch (e) {
    failInto(list, e, 'Creators');
  }
}

async function loadPayouts(from, to, out) {
  if (!from || !to) return;
  put(out, h('p', { class: 'muted' }, 'Loading…'));
  try {
    const r = await api('GET', `/v1/creators/payouts?from=${enc(from)}&to=${enc(to)}`);
    const rows = r.rows || [];
    put(out, 
      rows.length
        ? table(
            [
              { label: 'Creator', get: (x) => x.display_name || x.creator_id },
              { label: 'Orders', num: true, get: (x) => x.orders },
              { label: 'Currency', get: (x) => x.currency || '—' },
              { label: 'Attributed revenue', num: true, get: (x) => x.attributed_revenue },
              { label: 'Margin', num: true, get: (x) => x.margin },
              { label: 'Rate', num: true, get: (x) => (x.commission_rate != null ? `${Math.round(Number(x.commission_rate) * 1000) / 10}% of ${x.commission_basis || 'revenue'}` : '—') },
              { label: 'Payout', num: true, get: (x) => x.payout },
            ],
            rows,
            'payout',
          )
        : notice(`No attributed revenue from ${r.from || from} to ${r.to || to}.`),
      (r.totals_by_currency || []).length
        ? h('p', { testid: 'payouts-totals' }, ...r.totals_by_currency.map((t, i) => [
            i ? ' · ' : '',
            h('strong', {}, `Total payout ${t.payout}${t.currency ? ` ${t.currency}` : ''}`),
            ` on attributed revenue ${t.attributed_revenue}`,
          ]).flat())
        : null,
    );
  } catch (e) {
    failInto(out, e, 'Payouts');
  }
}

async function downloadPayouts(from, to, btn) {
  btn.disabled = true;
  try {
    const res = await api('GET', `/v1/creators/payouts?from=${enc(from)}&to=${enc(to)}&format=csv`, undefined, { raw: true });
    const blob = await res.blob();
    const url = URL.createObjectURL(new Blob([blob], { type: 'text/csv' }));
    const a = h('a', { href: url, download: `payouts-${from}-to-${to}.csv`, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    toast('Payout CSV downloaded.');
  } catch (e) {
    alertToast(`Payout CSV: ${errorText(e)}`);
  } finally {
    btn.disabled = false;
  }
}

/** Creators' codes waiting for the brand: approving makes the code in the store. */
async function loadCodeRequests(out) {
  put(out, h('p', { class: 'muted' }, 'Loading…'));
  try {
    const codes = (await api('GET', '/v1/creators/codes?status=requested')).codes || [];
    if (!codes.length) return put(out, notice('No codes are waiting.'));
    const decide = (x, decision) => async (e) => {
      e.target.disabled = true;
      try {
        await api('POST', `/v1/creators/codes/${enc(x.code)}`, { decision });
        toast(decision === 'approve' ? `${x.code} is now in the store.` : `${x.code} declined.`);
        loadCodeRequests(out);
      } catch (err) {
        e.target.disabled = false;
        alertToast(`Code ${x.code}: ${errorText(err)}`);
      }
    };
    put(out,
      table(
        [
          { label: 'Creator', get: (x) => h('code', {}, x.creator_id) },
          { label: 'Code', get: (x) => h('code', {}, x.code) },
          { label: 'Discount', get: (x) => `${x.percent}%` },
          { label: 'Campaign', get: (x) => x.campaign || '—' },
          { label: 'Asked', get: (x) => fmtTime(x.created_at) },
          {
            label: 'Decision',
            get: (x) => h('div', { class: 'row', 'data-code': x.code }, h('button', { type: 'button', class: 'ok', testid: 'code-approve', onclick: decide(x, 'approve') }, 'Approve'), h('button', { type: 'button', class: 'danger', testid: 'code-decline', onclick: decide(x, 'decline') }, 'Decline')),
          },
        ],
        codes,
        'code-request',
      ),
    );
  } catch (e) {
    failInto(out, e, 'Discount codes');
  }
}

const PR_NEXT = { requested: ['approved', 'declined'], approved: ['shipped'], declined: [], shipped: [] };
async function loadProductRequests(status, out) {
  put(out, h('p', { class: 'muted' }, 'Loading…'));
  try {
    const r = await api('GET', `/v1/creators/product-requests${status ? `?status=${enc(status)}` : ''}`);
    const reqs = r.requests || [];
    if (!reqs.length) return put(out, notice(`No ${status || ''} product requests.`));
    put(out, 
      table(
        [
          { label: 'Creator', get: (x) => h('code', {}, x.creator_id) },
          { label: 'Product', get: (x) => [x.product_title || '', ' ', h('code', {}, x.sku)] },
          { label: 'Note', get: (x) => x.note },
          { label: 'Status', get: (x) => [badge(x.status, x.status === 'declined' ? 'bad' : x.status === 'requested' ? 'warn' : 'ok'), x.decision_note ? h('div', { class: 'small' }, x.decision_note) : null] },
          { label: 'Asked', get: (x) => fmtTime(x.created_at) },
          {
            label: 'Decision',
            get: (x) => {
              const next = PR_NEXT[x.status] || [];
              if (!next.length) return '—';
              const note = h('input', { placeholder: 'Note (optional)', 'aria-label': 'Decision note', testid: 'pr-note', style: 'width:140px' });
              return h(
                'div',
                { class: 'row', 'data-request': x.id },
                note,
                next.map((to) =>
                  h(
                    'button',
                    {
                      type: 'button',
                      class: to === 'declined' ? 'danger' : 'ok',
                      testid: `pr-${to}`,
                      onclick: async (e) => {
                        e.target.disabled = true;
                        try {
                          await api('POST', `/v1/creators/product-requests/${enc(x.creator_id)}/${enc(x.id)}`, { status: to, ...(note.value.trim() ? { note: note.value.trim() } : {}) });
                          toast(`Request ${to}.`);
                          loadProductRequests(status, out);
                        } catch (err) {
                          e.target.disabled = false;
                          alertToast(`Product request: ${errorText(err)}`);
                        }
                      },
                    },
                    { approved: 'Approve', declined: 'Decline', shipped: 'Mark shipped' }[to],
                  ),
                ),
              );
            },
          },
        ],
        reqs,
        'product-request',
      ),
    );
  } catch (e) {
    failInto(out, e, 'Product requests');
  }
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
