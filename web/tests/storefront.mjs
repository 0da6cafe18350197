// Drive the demo storefront in Debian's Chromium (playwright-core, no browser download): the
// product page's feed plays transcoded HLS, a swipe plays the next video, a product card is
// clicked and added to the cart. Prints one JSON line: the attribution token, the timings, the
// beacons the page sent, the screenshots taken.
//
//   node web/tests/storefront.mjs <stack url> <sku> <screenshot dir>
import { launchChromium } from './browser.mjs';
import { mkdirSync } from 'node:fs';

const [base, sku, shots] = process.argv.slice(2);
if (!base || !sku || !shots) {
  console.error('usage: storefront.mjs <stack url> <sku> <screenshot dir>');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
const fail = (msg) => {
  console.error(msg);
  process.exit(1);
};

const browser = await launchChromium();
const out = { beacons: [], screenshots: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => m.type() === 'error' && console.error('[page]', m.text()));
  // The catalog's product links point at the store's domain: answered here.
  await page.route(/\/products\//, (r) => r.fulfill({ status: 200, contentType: 'text/html', body: '<h1>Product</h1>' }));
  const hlsOnNative = [];
  page.on('request', (r) => r.url().includes('hls.light') && hlsOnNative.push(r.url()));
  page.on('request', (r) => {
    if (r.url().endsWith('/v1/events') && r.method() === 'POST') {
      try {
        out.beacons.push(...JSON.parse(r.postData()).events.map((e) => e.type));
      } catch {}
    }
  });
  await page.goto(`${base}/web/demo/index.html?page=product&sku=${encodeURIComponent(sku)}`);
  const feed = page.locator('reelcart-feed');
  // The first video plays (hls.js in Chromium, which has no native HLS).
  await page.waitForFunction(() => document.querySelector('reelcart-feed')?.metrics?.firstFrame !== undefined, null, { timeout: 20000 });
  out.native_hls = await page.evaluate(() => !!document.createElement('video').canPlayType('application/vnd.apple.mpegurl'));
  out.hls_js = await page.evaluate(() => !!window.Hls);
  out.first_frame_ms = await feed.evaluate((el) => el.metrics.firstFrame);
  const count = await feed.evaluate((el) => el.items.length);
  if (count < 2) fail(`the feed has ${count} item(s); the test needs two`);
  // Posters are not the page's largest paint: the widget renders after load.
  out.lcp = await page.evaluate(
    () =>
      new Promise((ok) => {
        new PerformanceObserver((l) => {
          const e = l.getEntries().at(-1);
          ok(e ? (e.element ? e.element.tagName + (e.element.className ? '.' + e.element.className : '') : e.url) : null);
        }).observe({ type: 'largest-contentful-paint', buffered: true });
        setTimeout(() => ok(null), 1000);
      }),
  );
  out.hls_js_requests_with_native = hlsOnNative.length;
  await page.screenshot({ path: `${shots}/product-page.png` });
  out.screenshots.push(`${shots}/product-page.png`);
  // Watch for 3.5 s: an impression (≥ 1 s at half visible) and a view (≥ 3 s played).
  await page.waitForTimeout(3500);
  // Swipe: the keyboard's next, as a screen-reader user would.
  await feed.evaluate((el) => el.shadowRoot.querySelector('.feed').focus());
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => (document.querySelector('reelcart-feed').metrics.swipes || []).length > 0, null, { timeout: 10000 });
  out.swipe_ms = await feed.evaluate((el) => el.metrics.swipes[0]);
  out.active = await feed.evaluate((el) => el.active);
  out.active_item = await feed.evaluate((el) => el.items[el.active].id);
  await page.waitForTimeout(1500);
  await page.screenshot({ path: `${shots}/after-swipe.png` });
  out.screenshots.push(`${shots}/after-swipe.png`);
  // Add the product to the cart from the card, then click the card itself.
  const card = feed.locator(`article[data-i="${out.active}"] a.card`).first();
  await card.locator('button').click();
  out.cart = await page.evaluate(() => JSON.parse(localStorage.getItem('demo_cart') || '[]'));
  out.token = await page.evaluate(() => JSON.parse(localStorage.getItem('reelcart_token')).id);
  await page.locator('#cart-link').click();
  await page.screenshot({ path: `${shots}/cart.png` });
  out.screenshots.push(`${shots}/cart.png`);
  await card.click();
  await page.waitForURL(/\/products\//, { timeout: 10000 });
  // Where the browser has no native HLS, hls.js is loaded (lazily) and plays from the lowest rung.
  const page2 = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page2.addInitScript(() => {
    const can = HTMLMediaElement.prototype.canPlayType;
    HTMLMediaElement.prototype.canPlayType = function (t) {
      return /mpegurl/i.test(t) ? '' : can.call(this, t);
    };
  });
  const hlsJsRequests = [];
  page2.on('request', (r) => r.url().includes('hls.light') && hlsJsRequests.push(r.url()));
  await page2.goto(`${base}/web/demo/index.html?page=product&sku=${encodeURIComponent(sku)}`);
  await page2.waitForFunction(() => document.querySelector('reelcart-feed')?.metrics?.firstFrame !== undefined, null, { timeout: 20000 });
  out.hls_js_first_frame_ms = await page2.locator('reelcart-feed').evaluate((el) => el.metrics.firstFrame);
  out.hls_js_loaded = hlsJsRequests.length;
  await page2.close();
  // Collection and home pages render their feeds too.
  for (const [name, q] of [
    ['home', ''],
    ['collection', '?page=collection&collection=summer'],
  ]) {
    await page.goto(`${base}/web/demo/index.html${q}`);
    await page.waitForFunction(() => {
      const f = document.querySelector('reelcart-feed');
      return f && (f.hidden || f.shadowRoot?.querySelector('article'));
    }, null, { timeout: 20000 });
    await page.screenshot({ path: `${shots}/${name}.png` });
    out.screenshots.push(`${shots}/${name}.png`);
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
