// The moderation queue: filters, paging, selection and bulk actions.

import { openItem, refreshDetail } from './item.js';
import { $, alertToast, api, badge, debounce, enc, errorText, fmtRel, h, label, put, safeUrl, toast } from './ui.js';

// ---------------------------------------------------------------------------------------------
// Queue

export const state = { items: [], cursor: null, selected: new Map(), current: null, detail: null, loading: false, gen: 0 };
export const SOURCES = { instagram_hashtag: 'IG hashtag', instagram_mention: 'IG mention', instagram_tag: 'IG tag', tiktok: 'TikTok', upload: 'Upload', review: 'Review' };

function filters() {
  const f = new FormData($('#filters'));
  return { status: f.get('status') || 'queued', source: f.get('source') || '', rights: f.get('rights') || '', flagged: f.get('flagged') || '' };
}

/** Whether an item matches the filters (the API filters; this keeps an older API's answer honest). */
export function matches(item, f) {
  if (item.status !== f.status) return false;
  if (f.source && item.source !== f.source) return false;
  if (f.flagged === 'true' && !(item.flags || []).length) return false;
  if (f.flagged === 'false' && (item.flags || []).length) return false;
  if (f.rights && item.summary && item.summary.rights !== f.rights) return false;
  return true;
}

export async function loadQueue(reset) {
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

export function updateQueueItem(item) {
  const i = state.items.findIndex((x) => x.id === item.id);
  if (i < 0) return;
  state.items[i] = { ...state.items[i], ...item, summary: item.summary || state.items[i].summary };
  const old = $(`#queue-list [data-id="${CSS.escape(item.id)}"]`);
  old?.replaceWith(queueItem(state.items[i]));
}

export function markCurrent() {
  for (const li of document.querySelectorAll('#queue-list .qi')) {
    const on = li.dataset.id === state.current;
    li.classList.toggle('current', on);
    const b = li.querySelector('.open');
    if (on) b.setAttribute('aria-current', 'true');
    else b.removeAttribute('aria-current');
  }
}

export function toggleSelect(id, on = !state.selected.has(id)) {
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

export function initQueue() {
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
