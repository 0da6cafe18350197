// One item in detail: its media (HLS through hls.js where the browser has none), rights, rights
// requests, product mappings, transitions and audit history.

import { SOURCES, markCurrent, matches, state, updateQueueItem } from './queue.js';
import { $, ApiError, alertToast, api, badge, debounce, enc, errorText, fmtRel, fmtTime, h, label, put, safeUrl, toast } from './ui.js';

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
export function destroyPlayer() {
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

/**
 * The preview: the CDN serves an item's media only once it is published, so the player plays
 * links the API signs for an hour (`/preview`). Native HLS where the browser has it, else hls.js
 * (loaded on first use); the poster while it loads, or when there is no video.
 */
function buildPlayer(detail) {
  const m = detail.media?.manifest;
  const poster = safeUrl(detail.item.summary?.poster);
  const box = h('div', { class: 'player', testid: 'detail-player' });
  if (!m) {
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
  api('GET', `/v1/moderation/items/${enc(detail.item.id)}/preview`)
    .then((links) => {
      if (player !== me) return;
      const master = safeUrl(links.master);
      if (!master) return note('No playable media.');
      const still = safeUrl(links.poster);
      if (still) video.poster = still;
      if (video.canPlayType('application/vnd.apple.mpegurl')) {
        video.src = master;
        start();
        return;
      }
      return loadHls().then((Hls) => {
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
      });
    })
    .catch((e) => {
      if (player === me) note(`Could not load the media: ${errorText(e)}`);
    });
  return box;
}

export async function openItem(id, { focus = false } = {}) {
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

export async function refreshDetail() {
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
export async function doTransition(to, { quiet = false } = {}) {
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
export async function approve() {
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
