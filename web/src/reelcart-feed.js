// <reelcart-feed placement="pdp|collection|home" sku="…" collection="…" api="…" events="…">
// A vertical, shoppable video feed. Posters first, muted autoplay of the item in view, products
// over the video, beacons batched (keepalive requests carrying their body's SHA-256 for the CDN).
// hls.js is loaded only where the browser has no native HLS. The widget renders after the page's
// load event, so it never holds up the page nor becomes its largest paint.

import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

const HERE = new URL('.', import.meta.url).href;
const TOKEN_KEY = 'reelcart_token';
const SAVED_KEY = 'reelcart_saved';
const DAY = 864e5;
// SHA-256 of an empty body: a POST through CloudFront's origin access control names it too.
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const uid = () =>
  crypto.randomUUID
    ? crypto.randomUUID().replace(/-/g, '')
    : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');

const store = (k, v) => {
  try {
    if (v === undefined) return JSON.parse(localStorage.getItem(k));
    localStorage.setItem(k, JSON.stringify(v));
  } catch {
    return null;
  }
};

// The session, and the attribution token the host store puts in the cart: a token Reelcart signed
// (`POST /v1/sessions`, or a creator's link's `rc_token`), kept a day. Only a signed token credits
// orders; '' until one is known.
const SIGNED = /^rc1\.[A-Za-z0-9]{16,40}\.[A-Za-z0-9]{22}$/;
let memToken = '';
export function token() {
  let s = store(TOKEN_KEY);
  // Arriving from a creator's link: that session is the shopper's (its click is a touch).
  const linked = new URLSearchParams(location.search).get('rc_token');
  if (linked && SIGNED.test(linked) && s?.id !== linked) s = { id: linked };
  if (!s || !SIGNED.test(s.id || '') || s.exp < Date.now()) return memToken;
  s.exp = Date.now() + DAY;
  store(TOKEN_KEY, s);
  return (memToken = s.id);
}

// A signed token: the one kept, or a new one from the collector at `base` (asked once).
let asking;
export function session(base) {
  const t = token();
  if (t) return Promise.resolve(t);
  return (asking ||= fetch(`${base}/v1/sessions`, { method: 'POST', headers: { 'x-amz-content-sha256': EMPTY_SHA256 } })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`sessions: ${r.status}`))))
    .then(({ token: t }) => {
      if (!SIGNED.test(t)) throw new Error('sessions: not a token');
      store(TOKEN_KEY, { id: t, exp: Date.now() + DAY });
      return (memToken = t);
    })
    .catch(() => {
      asking = null;
      return '';
    }));
}

// ---------------------------------------------------------------- consent, cart, purchase
// Whether the shopper consented to their purchase being shared with ad platforms: the host page
// says so (its consent banner, or Shopify's Customer Privacy API) with `consent(true)`. Without
// it, the cart carries only the attribution token and no purchase reaches Meta or TikTok.
let consented = false;
export function consent(granted) {
  consented = granted === true;
}

const cookie = (name) => {
  const c = document.cookie.split('; ').find((c) => c.startsWith(name + '='));
  return c ? decodeURIComponent(c.slice(name.length + 1)) : '';
};

// The attributes the host store writes on its cart (they reach the order's `note_attributes`):
// the attribution token; with consent, the consent signal and the platforms' browser ids, which
// the server sends with the purchase (never hashed, as the platforms ask).
export function cartAttributes() {
  const a = {};
  const t = token();
  if (t) a.reelcart_token = t;
  if (consented) {
    a.reelcart_consent = 'granted';
    for (const n of ['_fbp', '_fbc', '_ttp']) if (cookie(n)) a[n] = cookie(n);
    const ttclid = new URLSearchParams(location.search).get('ttclid');
    if (ttclid) a.ttclid = ttclid;
  }
  return a;
}

// On the order confirmation page: the store's Meta and TikTok pixels report the purchase with the
// event id Reelcart's server-side event carries (`shopify:{order id}`), so each platform counts it
// once. Nothing without consent. Returns the event id.
export function purchase({ order_id, value, currency, contents = [] }) {
  const eventId = `shopify:${order_id}`;
  if (!consented) return eventId;
  const data = { value, currency, contents, content_type: 'product' };
  window.fbq?.('track', 'Purchase', data, { eventID: eventId });
  window.ttq?.track?.('Purchase', data, { event_id: eventId });
  return eventId;
}

// ---------------------------------------------------------------- the store's own cart (Shopify)
// With `cart="shopify"` (the theme app extension's block sets it): "Add" puts the variant in the
// store's cart. The attribution attributes go on the cart first (`/cart/update.js` merges them;
// they reach the order's `note_attributes`), then the line: through the theme's standard
// `Shopify.actions.updateCart` where there is one (the theme refreshes its own cart count or
// drawer), else `/cart/add.js` by variant id and a `cart:refresh` event. Cart calls go one at a
// time (Shopify answers 409 to simultaneous ones) and a 409 is retried.
let cartQueue = Promise.resolve();
async function cartPost(path, body) {
  for (let i = 0; ; i++) {
    const r = await fetch((window.Shopify?.routes?.root || '/') + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
    });
    if (r.status !== 409 || i > 2) return r.ok ? r.json() : Promise.reject(new Error((await r.json().catch(() => ({}))).description || `cart ${r.status}`));
    await new Promise((ok) => setTimeout(ok, 250 * (i + 1)));
  }
}
function addToStoreCart(variant, base) {
  const run = async () => {
    await session(base);
    const attributes = cartAttributes();
    if (Object.keys(attributes).length) await cartPost('cart/update.js', { attributes });
    const act = window.Shopify?.actions?.updateCart;
    if (act) {
      const out = await act({ lines: [{ merchandiseId: `gid://shopify/ProductVariant/${variant}`, quantity: 1 }] });
      if (out?.userErrors?.length) throw new Error(out.userErrors[0].message);
    } else {
      await cartPost('cart/add.js', { items: [{ id: +variant, quantity: 1 }] });
      document.dispatchEvent(new CustomEvent('cart:refresh', { bubbles: true }));
    }
  };
  return (cartQueue = cartQueue.catch(() => {}).then(run));
}

globalThis.reelcart = { token, session, consent, cartAttributes, purchase };

// ---------------------------------------------------------------- beacons
const queues = new Map();
let timer = 0;
// Events wait for the session token; without one (the collector unreachable) they carry a local
// id: seen in the funnel, crediting nothing.
const local = 'rc_' + uid();
function flush() {
  clearTimeout(timer);
  timer = 0;
  const id = token() || local;
  for (const [url, q] of queues) {
    while (q.length) {
      const events = q.splice(0, 50).map((e) => ({ ...e, session_id: id }));
      const body = JSON.stringify({ events });
      // The collector sits behind CloudFront's origin access control: Lambda takes a signed body
      // only with its SHA-256 in x-amz-content-sha256 (which sendBeacon cannot send). Hashed
      // synchronously, so a flush on pagehide still leaves with the page.
      const hash = bytesToHex(sha256(utf8ToBytes(body)));
      fetch(url, {
        method: 'POST',
        body,
        keepalive: true,
        headers: { 'content-type': 'text/plain', 'x-amz-content-sha256': hash },
      }).catch(() => {});
    }
  }
}
function track(url, ev) {
  if (!url) return;
  const q = queues.get(url) || [];
  queues.set(url, q);
  q.push({ event_id: uid(), ts: Date.now(), ...ev });
  const base = url.replace(/\/v1\/events$/, '');
  if (q.length >= 20) session(base).then(flush);
  else timer ||= setTimeout(() => session(base).then(flush), 2000);
}
addEventListener('pagehide', flush);
document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && flush());

// ---------------------------------------------------------------- HLS
const native = () => !!document.createElement('video').canPlayType('application/vnd.apple.mpegurl');
let hlsLib;
const loadHls = () =>
  (hlsLib ||= new Promise((ok, fail) => {
    if (window.Hls) return ok(window.Hls);
    const s = document.createElement('script');
    s.src = HERE + 'hls.light.min.js';
    s.async = true;
    s.onload = () => ok(window.Hls);
    s.onerror = fail;
    document.head.append(s);
  }));

// The next item's poster, master playlist, low-rung playlist, init and first segment: in the
// HTTP cache before the swipe.
const warmed = new Set();
async function preload(m) {
  if (!m || warmed.has(m.master)) return;
  warmed.add(m.master);
  new Image().src = m.poster;
  try {
    await fetch(m.master);
    if (!m.low) return;
    const text = await (await fetch(m.low)).text();
    const map = text.match(/#EXT-X-MAP:URI="([^"]+)"/);
    const seg = text.split('\n').find((l) => l && !l.startsWith('#'));
    for (const u of [map && map[1], seg]) if (u) fetch(new URL(u, m.low)).catch(() => {});
  } catch {}
}

function poster(c, url) {
  const img = new Image();
  img.decoding = 'async';
  img.onload = () => {
    const r = c.getBoundingClientRect();
    c.width = r.width || 360;
    c.height = r.height || 640;
    const s = Math.max(c.width / img.width, c.height / img.height);
    const w = img.width * s, h = img.height * s;
    c.getContext('2d').drawImage(img, (c.width - w) / 2, (c.height - h) / 2, w, h);
  };
  img.src = url;
}

const money = (p) => {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: p.currency }).format(p.price);
  } catch {
    return p.price + ' ' + p.currency;
  }
};
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
// Only web addresses go into href and src (a `javascript:` link would run on the store's page).
const web = (u) => (/^https?:\/\/[^\s/?#]/i.test(u || '') ? u : '');

const CSS = `:host{display:block;--h:min(640px,85vh);--w:calc(var(--h)*9/16);font:14px/1.3 system-ui,sans-serif;color:#fff}
.feed{height:var(--h);width:var(--w);max-width:100%;overflow-y:auto;scroll-snap-type:y mandatory;border-radius:12px;background:#111;scrollbar-width:none;outline:none}
.feed:focus-visible,article:focus-visible{outline:3px solid #4af;outline-offset:-3px}
article{position:relative;height:var(--h);scroll-snap-align:start;scroll-snap-stop:always;overflow:hidden}
video,canvas{position:absolute;inset:0;width:100%;height:100%;object-fit:cover;display:block}
video{opacity:0;transition:opacity .15s}video.on{opacity:1}canvas{background:#000}
.meta{position:absolute;left:10px;right:56px;bottom:10px;display:grid;gap:6px}
.by{font-weight:600;text-shadow:0 1px 3px #000}
.card{display:flex;gap:8px;align-items:center;background:#fffe;color:#111;border-radius:10px;padding:6px;text-decoration:none}
.card img{width:44px;height:44px;object-fit:cover;border-radius:6px}
.card b{display:block;font-size:13px}.card span{font-size:12px}
.card button,.side button{border:0;border-radius:999px;cursor:pointer;font:inherit}
.card button{margin-left:auto;background:#111;color:#fff;padding:6px 10px}
.side{position:absolute;right:8px;bottom:14px;display:grid;gap:10px}
.side button{width:40px;height:40px;background:#0008;color:#fff;font-size:18px}
.side button[aria-pressed=true]{background:#e33}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}`;

class ReelcartFeed extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    this.attachShadow({ mode: 'open' });
    this.metrics = {};
    const go = () => (window.requestIdleCallback || setTimeout)(() => this.load(), { timeout: 200 });
    document.readyState === 'complete' ? go() : addEventListener('load', go, { once: true });
  }

  // An attribute, else the page's `window.reelcartConfig` (a Shopify theme's app embed sets the
  // feed and events URLs there once for every block), else the default.
  attr(n, d) {
    return this.getAttribute(n) || window.reelcartConfig?.[n] || d;
  }

  async load() {
    // A base URL as CloudFormation prints it may end in '/': never request '//v1/feed'.
    const base = (u) => u.replace(/\/+$/, '');
    const api = base(this.attr('api', location.origin));
    this.sessions = base(this.attr('events', api));
    this.events = this.sessions + '/v1/events';
    // The shopper's signed session, asked for while the feed loads.
    session(base(this.attr('events', api)));
    this.placement = this.attr('placement', 'home');
    this.campaign = this.attr('campaign') || new URLSearchParams(location.search).get('utm_campaign') || undefined;
    const q = new URLSearchParams({ placement: this.placement, limit: this.attr('limit', '10') });
    for (const k of ['sku', 'collection']) if (this.attr(k)) q.set(k, this.attr(k));
    this.t0 = performance.now();
    let items = [];
    try {
      const r = await fetch(`${api}/v1/feed?${q}`);
      if (r.ok) items = (await r.json()).items;
    } catch {}
    this.items = items;
    if (!items.length) return (this.hidden = true);
    this.render();
  }

  render() {
    const saved = new Set(store(SAVED_KEY) || []);
    const n = this.items.length;
    this.shadowRoot.innerHTML =
      `<style>${CSS}</style><div class=feed role=feed tabindex=0 aria-label="Shoppable videos" aria-busy=false>` +
      this.items
        .map((it, i) => {
          const who = it.author || 'a customer';
          const cards = it.products
            .map(
              (p) =>
                `<a class=card href="${esc(web(p.link) || '#')}" data-sku="${esc(p.sku)}">` +
                (web(p.image) ? `<img src="${esc(p.image)}" alt="" loading=lazy decoding=async>` : '') +
                `<span><b>${esc(p.title)}</b><span>${esc(money(p))}</span></span>` +
                (p.in_stock ? `<button type=button data-add="${esc(p.sku)}" data-variant="${esc(p.variant_id)}" aria-label="Add ${esc(p.title)} to cart">Add</button>` : '') +
                `</a>`,
            )
            .join('');
          return (
            `<article role=article tabindex=-1 aria-posinset=${i + 1} aria-setsize=${n} data-i=${i} id="rc-${esc(it.id)}" aria-label="Video ${i + 1} of ${n} by ${esc(who)}${it.products.length ? ', ' + it.products.length + ' products' : ''}">` +
            `<canvas aria-hidden=true></canvas><video muted playsinline loop preload=none disablepictureinpicture aria-label="${esc(it.caption || 'Video by ' + who)}"></video>` +
            `<div class=meta><div class=by>${esc(who)}</div>${cards}</div>` +
            `<div class=side><button type=button data-save aria-pressed=${saved.has(it.id)} aria-label="Save">♥</button>` +
            `<button type=button data-share aria-label="Share">↗</button></div></article>`
          );
        })
        .join('') +
      `</div><div class=sr aria-live=polite></div>`;
    const root = this.shadowRoot;
    this.feed = root.querySelector('.feed');
    this.live = root.querySelector('.sr');
    this.arts = [...root.querySelectorAll('article')];
    // Posters are drawn on a canvas: a canvas is never a page's largest contentful paint, so the
    // widget cannot become the page's LCP element (a <video poster> or <img> could).
    this.arts.forEach((a, i) => poster(a.querySelector('canvas'), this.items[i].media.poster));
    this.seen = new Set();
    this.viewed = new Set();
    this.timers = new Map();
    const io = new IntersectionObserver((es) => es.forEach((e) => this.visible(e)), { root: this.feed, threshold: [0, 0.5, 0.9] });
    this.arts.forEach((a) => io.observe(a));
    root.addEventListener('click', (e) => this.click(e));
    this.feed.addEventListener('keydown', (e) => this.key(e));
    // A shared link opens on its item.
    const deep = new URLSearchParams(location.hash.slice(1)).get('reelcart');
    const at = this.items.findIndex((it) => it.id === deep);
    if (at > 0) this.arts[at].scrollIntoView({ block: 'start' });
  }

  ev(i, type, extra) {
    const it = this.items[i];
    track(this.events, {
      type,
      ugc_id: it.id,
      platform: { instagram_hashtag: 'instagram', instagram_mention: 'instagram', instagram_tag: 'instagram' }[it.source] || it.source,
      placement: this.placement,
      campaign: this.campaign,
      ...extra,
    });
  }

  visible(e) {
    const i = +e.target.dataset.i;
    if (e.intersectionRatio >= 0.5) {
      // An impression: half of the player in view for a second.
      if (!this.seen.has(i) && !this.timers.has(i))
        this.timers.set(i, setTimeout(() => (this.seen.add(i), this.ev(i, 'impression')), 1000));
      if (e.intersectionRatio >= 0.9 || this.active === undefined) this.activate(i);
    } else {
      clearTimeout(this.timers.get(i));
      this.timers.delete(i);
    }
  }

  activate(i) {
    if (this.active === i) return;
    const prev = this.active;
    this.active = i;
    if (prev !== undefined) this.arts[prev].querySelector('video').pause();
    this.swipeAt = prev === undefined ? this.t0 : performance.now();
    this.play(i);
    preload(this.items[i + 1]?.media);
  }

  async play(i) {
    const v = this.arts[i].querySelector('video');
    const m = this.items[i].media;
    if (!v.dataset.on) {
      v.dataset.on = 1;
      let played = 0, last = 0;
      v.addEventListener('timeupdate', () => {
        const d = v.currentTime - last;
        last = v.currentTime;
        if (d > 0 && d < 1) played += d;
        // A view: three seconds played.
        if (played >= 3 && !this.viewed.has(i)) (this.viewed.add(i), this.ev(i, 'view'));
      });
      v.addEventListener('playing', () => {
        v.classList.add('on');
        if (this.active !== i || v.dataset.measured) return;
        v.dataset.measured = 1;
        const ms = Math.round(performance.now() - this.swipeAt);
        if (this.metrics.firstFrame === undefined) this.metrics.firstFrame = ms;
        else (this.metrics.swipes ||= []).push(ms);
        this.dispatchEvent(new CustomEvent('reelcart:playing', { detail: { index: i, ms } }));
      });
      if (native()) v.src = m.master;
      else {
        const Hls = await loadHls();
        // Start on the lowest rung, never above what the player shows.
        const hls = new Hls({ startLevel: 0, capLevelToPlayerSize: true, maxBufferLength: 8 });
        hls.loadSource(m.master);
        hls.attachMedia(v);
      }
    }
    if (this.active === i) v.play().catch(() => {});
  }

  click(e) {
    const t = e.target.closest('button,a');
    if (!t) return;
    const art = t.closest('article');
    const i = +art.dataset.i;
    const it = this.items[i];
    if (t.dataset.add) {
      e.preventDefault();
      this.ev(i, 'add_to_cart', { sku: t.dataset.add });
      flush();
      // The host store adds to its cart, and writes `attributes` on it (the token, and with
      // consent the consent signal and click ids).
      this.dispatchEvent(
        new CustomEvent('reelcart:add-to-cart', {
          bubbles: true,
          composed: true,
          detail: {
            sku: t.dataset.add,
            quantity: 1,
            ugc_id: it.id,
            variant_id: t.dataset.variant,
            token: token(),
            attributes: cartAttributes(),
          },
        }),
      );
      if (this.attr('cart') === 'shopify' && t.dataset.variant) {
        t.disabled = true;
        addToStoreCart(t.dataset.variant, this.sessions)
          .then(() => this.say('Added to cart'), (err) => this.say('Could not add to cart: ' + err.message))
          .finally(() => (t.disabled = false));
      } else this.say('Added to cart');
    } else if (t.dataset.sku) {
      this.ev(i, 'product_click', { sku: t.dataset.sku });
      flush();
    } else if (t.hasAttribute('data-save')) {
      const saved = new Set(store(SAVED_KEY) || []);
      saved.has(it.id) ? saved.delete(it.id) : saved.add(it.id);
      store(SAVED_KEY, [...saved]);
      t.setAttribute('aria-pressed', saved.has(it.id));
      this.say(saved.has(it.id) ? 'Saved' : 'Removed from saved');
    } else if (t.hasAttribute('data-share')) {
      const url = location.href.split('#')[0] + '#reelcart=' + encodeURIComponent(it.id);
      (navigator.share ? navigator.share({ url }) : navigator.clipboard?.writeText(url))?.catch?.(() => {});
      this.say('Link copied');
    }
  }

  key(e) {
    const step = { ArrowDown: 1, PageDown: 1, j: 1, ArrowUp: -1, PageUp: -1, k: -1 }[e.key];
    const v = this.arts[this.active ?? 0]?.querySelector('video');
    if (step) {
      e.preventDefault();
      this.go((this.active ?? 0) + step);
    } else if (e.key === ' ' && v) {
      e.preventDefault();
      v.paused ? v.play() : v.pause();
    } else if (e.key === 'm' && v) v.muted = !v.muted;
  }

  go(i) {
    const a = this.arts[Math.max(0, Math.min(i, this.arts.length - 1))];
    a.scrollIntoView({ block: 'start' });
    a.focus({ preventScroll: true });
  }

  say(text) {
    this.live.textContent = text;
  }
}

customElements.get('reelcart-feed') || customElements.define('reelcart-feed', ReelcartFeed);
