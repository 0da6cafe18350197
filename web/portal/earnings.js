// What a creator earns from: links and codes, product requests, the dashboard and payouts.

import { state } from './portal.js';
import { $, WORD_RE, announce, api, fmtDate, fmtInt, fmtNum, fmtPct, friendly, h, safeUrl, setError, show, today } from './ui.js';

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

export function emptyItem(text) {
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

export async function loadLinksAndCodes() {
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

export async function createLink(ev) {
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

export async function createCode(ev) {
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

export async function loadRequests() {
  setError('request-error', null);
  try {
    const data = await api('GET', '/v1/creators/me/product-requests');
    renderRequests(data.requests || []);
  } catch (e) {
    $('requests-list').replaceChildren();
    setError('request-error', e);
  }
}

export async function createRequest(ev) {
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

export async function loadDashboard() {
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

export function initPayouts() {
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

export async function loadPayouts(ev) {
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

export async function downloadCsv() {
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
