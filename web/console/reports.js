// The admin and moderator reports: QA, connections, catalog sync and quarantine, creators,
// commissions, codes, product requests and payouts.

import { isAdmin, selectTab } from './console.js';
import { openItem } from './item.js';
import { $, alertToast, api, badge, enc, errorText, fmtRel, fmtTime, h, label, put, safeUrl, toast, today } from './ui.js';

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

export async function loadQa() {
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

export async function loadQuarantine() {
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
export async function loadConnections() {
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
export async function loadCreators() {
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
