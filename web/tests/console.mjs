// Drive the moderation console in Debian's Chromium (playwright-core, no browser download): an
// invited admin signs in on the sign-in pages with a password and an authenticator (TOTP) code,
// finds an upload in the queue, watches its HLS preview play, approves it with the keyboard, maps
// it to a SKU found by catalog search, publishes it with the keyboard, checks the audit trail,
// looks at the quarantine, connections and creators tabs, then waits for the item to reach the
// storefront's product-page feed. Prints one JSON line; exits non-zero on any failure.
//
//   node web/tests/console.mjs <stack url> <item id> <sku> <screenshot dir>
import { launchChromium } from './browser.mjs';
import { invite, signInOnIdp } from './idp.mjs';
import { mkdirSync } from 'node:fs';

const [base, itemId, sku, shots] = process.argv.slice(2);
if (!base || !itemId || !sku || !shots) {
  console.error('usage: console.mjs <stack url> <item id> <sku> <screenshot dir>');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

class Failure extends Error {}
const fail = (msg) => {
  throw new Failure(msg);
};
const tid = (t) => `[data-testid="${t}"]`;

const browser = await launchChromium();
const out = { approved: false, published: false, audit: [], storefront_items: [], screenshots: [] };
let step = 'start';
let page;
try {
  page = await browser.newPage({ viewport: { width: 1400, height: 950 } });
  page.on('console', (m) => m.type() === 'error' && console.error('[page]', m.text()));
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  // The consoles run under the content security policy their distribution sends: nothing refused.
  out.csp_violations = [];
  page.on('console', (m) => /Content Security Policy/i.test(m.text()) && out.csp_violations.push(m.text()));
  // The catalog's product links point at the store's domain: answered here.
  await page.route(/\/products\//, (r) => r.fulfill({ status: 200, contentType: 'text/html', body: '<h1>Product</h1>' }));
  const shot = async (name) => {
    const path = `${shots}/${name}.png`;
    await page.screenshot({ path });
    out.screenshots.push(path);
  };
  // Whatever the console shows as the detail's error, for a clear failure message.
  const detailError = async () => ((await page.locator(`${tid('detail')} ${tid('detail-error')}`).textContent().catch(() => '')) || '').trim();
  const waitStatus = async (status, what) => {
    step = what;
    try {
      await page.waitForSelector(`${tid('detail-status')}[data-status="${status}"]`, { timeout: 15000 });
    } catch {
      const now = await page.locator(tid('detail-status')).getAttribute('data-status').catch(() => '?');
      fail(`${what}: the item is ${now}, not ${status}${(await detailError()) ? ` — the console says: ${await detailError()}` : ''}`);
    }
  };

  step = 'sign in';
  // An admin invited with TOTP set up (the template's AdminMfa=required: without it, no admin).
  const email = `admin-${Date.now()}-${process.pid}@brand.example`;
  const admin = await invite(base, { email, groups: ['admin'], totp: true });
  await page.goto(`${base}/web/console/index.html`);
  await page.click(tid('signin-submit'));
  await signInOnIdp(page, { email, totpSecret: admin.totp_secret });
  await page.waitForSelector(tid('whoami'), { state: 'visible', timeout: 10000 });
  const who = (await page.textContent(tid('whoami'))) || '';
  if (!who.includes(email) || !who.includes('admin')) fail(`signed in as "${who}", not ${email} · admin`);

  step = 'filter the queue';
  await page.selectOption(tid('filter-source'), 'upload');
  const row = page.locator(`${tid('queue-item')}[data-id="${itemId}"]`);
  // A filtered page can be short while a cursor remains: load more until the item shows.
  for (let i = 0; ; i++) {
    await page.waitForFunction(() => !document.querySelector('#queue-list')?.hasAttribute('aria-busy'), null, { timeout: 10000 });
    await page.waitForTimeout(150);
    if (await row.count()) break;
    const more = page.locator(tid('queue-more'));
    if (i >= 50 || !(await more.isVisible())) {
      const ids = await page.locator(tid('queue-item')).evaluateAll((els) => els.map((e) => `${e.dataset.id}:${e.dataset.status}`));
      fail(`item ${itemId} is not in the queued uploads (${ids.join(', ') || 'the list is empty'})`);
    }
    await more.click();
  }
  const sources = await page.locator(tid('queue-item')).evaluateAll((els) => els.length);
  out.queue_items = sources;

  step = 'open the item';
  await row.locator(tid('queue-open')).click();
  await page.waitForFunction((id) => document.querySelector('[data-testid="detail-id"]')?.textContent === id, itemId, { timeout: 10000 });
  step = 'play the preview';
  try {
    await page.waitForFunction(() => document.querySelector('[data-testid="detail-video"]')?.currentTime > 0, null, { timeout: 30000 });
  } catch {
    const note = await page.locator(tid('detail-media-note')).textContent().catch(() => null);
    fail(`the preview did not play within 30 s${note ? `: ${note}` : ''}`);
  }
  out.preview_hls = await page.evaluate(() => (document.createElement('video').canPlayType('application/vnd.apple.mpegurl') ? 'native' : window.Hls ? 'hls.js' : 'none'));
  // The same preview through hls.js, as a browser without native HLS plays it: its requests
  // for the signed playlists and segments go to the bucket cross-origin (CORS, the CSP).
  if (out.preview_hls === 'native') {
    step = 'play the preview with hls.js';
    await page.evaluate(() => {
      const native = HTMLMediaElement.prototype.canPlayType;
      HTMLMediaElement.prototype.canPlayType = function (type) {
        return /mpegurl/i.test(type) ? '' : native.call(this, type);
      };
    });
    await row.locator(tid('queue-open')).click();
    try {
      await page.waitForFunction(() => window.Hls && document.querySelector('[data-testid="detail-video"]')?.currentTime > 0, null, { timeout: 30000 });
    } catch {
      const note = await page.locator(tid('detail-media-note')).textContent().catch(() => null);
      fail(`the preview did not play with hls.js within 30 s${note ? `: ${note}` : ''}`);
    }
    out.preview_hlsjs = true;
  }
  await shot('console-item');

  step = 'approve with the keyboard';
  await row.locator(tid('queue-open')).focus();
  await page.keyboard.press('a');
  await waitStatus('approved', 'approve (a)');
  out.approved = true;

  step = 'map to the SKU';
  await page.keyboard.press('m');
  const focused = await page.evaluate(() => document.activeElement?.dataset?.testid);
  if (focused !== 'sku-search') fail(`m focused ${focused || 'nothing'}, not the SKU search`);
  await page.keyboard.type(sku);
  const result = page.locator(`${tid('sku-result')}[data-sku="${sku}"]`);
  try {
    await result.waitFor({ timeout: 10000 });
  } catch {
    const shown = await page.locator(tid('sku-results')).textContent().catch(() => '');
    fail(`catalog search for ${sku} did not list it: ${shown.trim() || 'no results'}`);
  }
  await page.selectOption(tid('map-placement'), 'pdp');
  await result.locator(tid('sku-map')).click();
  try {
    await page.waitForSelector(`${tid('mapping')}[data-sku="${sku}"][data-placement="pdp"]`, { timeout: 10000 });
  } catch {
    fail(`the mapping to ${sku} (pdp) did not show${(await detailError()) ? `: ${await detailError()}` : ''}`);
  }

  step = 'publish with the keyboard';
  await page.locator(tid('detail')).focus();
  await page.keyboard.press('p');
  await waitStatus('published', 'publish (p)');
  out.published = true;

  step = 'audit';
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="audit-entry"]')].some((e) => e.dataset.to === 'published'), null, { timeout: 10000 }).catch(() => {});
  out.audit = await page.locator(tid('audit-entry')).evaluateAll((els) => els.map((e) => e.dataset.to));
  for (const to of ['approved', 'published']) if (!out.audit.includes(to)) fail(`the audit history has no "${to}" entry: ${JSON.stringify(out.audit)}`);
  await shot('console-published');

  step = 'quarantine tab';
  await page.click(tid('tab-quarantine'));
  await page.waitForFunction(
    () => ['quarantine-report', 'sync-runs'].every((t) => {
      const el = document.querySelector(`[data-testid="${t}"]`);
      return el && !el.hasAttribute('aria-busy') && el.children.length;
    }),
    null,
    { timeout: 10000 },
  );
  out.quarantined = await page.locator(tid('quarantine-item-row')).count();
  await shot('console-quarantine');

  step = 'connections tab';
  await page.click(tid('tab-connections'));
  await page.waitForSelector(`${tid('connections-list')}:not([aria-busy]) > *:not(p.muted)`, { timeout: 10000 });
  // The brand's own Shopify app connects without a consent screen (client credentials).
  await page.click(tid('connect-shopify-app'));
  await page.waitForSelector(`${tid('connection')}[data-id="shopify#reelcart-demo.myshopify.com"]`, { timeout: 10000 });
  out.connections = await page.locator(tid('connection')).evaluateAll((els) => els.map((e) => `${e.dataset.id}:${e.dataset.status}`));
  await shot('console-connections');

  step = 'creators tab';
  await page.click(tid('tab-creators'));
  await page.waitForFunction(
    () => ['creators-list', 'payouts-report', 'product-requests'].every((t) => {
      const el = document.querySelector(`[data-testid="${t}"]`);
      return el && el.children.length && !el.querySelector(':scope > p.muted');
    }),
    null,
    { timeout: 10000 },
  );
  await shot('console-creators');

  // The creator's product request: approved, with a note back.
  step = 'product request';
  const decision = page.locator(`${tid('product-requests')} [data-request]`).first();
  if (await decision.count()) {
    await decision.locator(tid('pr-note')).fill('Shipping Monday');
    await decision.locator(tid('pr-approved')).click();
    await page.waitForFunction(
      () => ![...document.querySelectorAll('[data-testid="product-requests"] [data-request]')].length
        || document.querySelector('[data-testid="product-requests-status"]')?.value !== 'requested',
      null,
      { timeout: 10000 },
    );
    out.product_request = 'approved';
  }

  // The creator's discount code: approved, so the store makes it.
  step = 'discount code';
  await page.locator(`${tid('code-requests')} :is(table, .notice)`).first().waitFor({ timeout: 10000 });
  out.codes_approved = [];
  for (const row of await page.locator(`${tid('code-requests')} [data-code]`).all()) {
    out.codes_approved.push(await row.getAttribute('data-code'));
  }
  for (const code of out.codes_approved) {
    await page.locator(`${tid('code-requests')} [data-code="${code}"] ${tid('code-approve')}`).click();
    await page.locator(`${tid('code-requests')} [data-code="${code}"]`).waitFor({ state: 'detached', timeout: 10000 });
  }

  step = 'storefront';
  // The feed caches for 30 s per instance: reload every 2 s for up to 45 s.
  const url = `${base}/web/demo/index.html?page=product&sku=${encodeURIComponent(sku)}`;
  const deadline = Date.now() + 45000;
  for (;;) {
    await page.goto(url);
    await page
      .waitForFunction(() => {
        const f = document.querySelector('reelcart-feed');
        return f && (f.hidden || Array.isArray(f.items));
      }, null, { timeout: 10000 })
      .catch(() => {});
    out.storefront_items = await page.evaluate(() => (document.querySelector('reelcart-feed')?.items || []).map((i) => i.id));
    if (out.storefront_items.includes(itemId)) break;
    if (Date.now() > deadline) fail(`the storefront's ${sku} feed did not show ${itemId} within 45 s (it shows ${JSON.stringify(out.storefront_items)})`);
    await page.waitForTimeout(2000);
  }
  await shot('storefront');
} catch (e) {
  const msg = e instanceof Failure ? e.message : `${e.message?.split('\n')[0]}`;
  console.error(`console test failed at "${step}": ${msg}`);
  try {
    await page?.screenshot({ path: `${shots}/failure.png` });
    console.error(`screenshot: ${shots}/failure.png`);
  } catch {}
  await browser.close();
  process.exit(1);
}
await browser.close();
console.log(JSON.stringify(out));
