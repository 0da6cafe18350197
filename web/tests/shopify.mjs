// The widget on a Shopify storefront (the platform simulator's store: a standard theme's product
// page with Reelcart's app embed and app block), in Debian's Chromium:
//
//   node web/tests/shopify.mjs add <store url> <product handle> <screenshot dir>
//     The feed shows; "Add" on the video's product puts that variant in the store's cart —
//     through the theme's standard `Shopify.actions.updateCart` — and the theme's cart count
//     changes; on the same page without the standard actions (`?actions=0`) "Add" goes through
//     `/cart/add.js`; the cart carries the attribution token as an attribute. Prints the cart's
//     token too.
//   node web/tests/shopify.mjs checkout <store url> <product handle> <screenshot dir> <cart token>
//     The same shopper (their cart cookie) checks out; the page reports the `orders/create`
//     webhook's delivery.
// Each prints one JSON line; exits non-zero on any failure.
import { launchChromium } from './browser.mjs';
import { mkdirSync } from 'node:fs';

const [phase, store, handle, shots, cartToken] = process.argv.slice(2);
if (!['add', 'checkout'].includes(phase) || !store || !handle || !shots || (phase === 'checkout' && !cartToken)) {
  console.error('usage: shopify.mjs add|checkout <store url> <product handle> <screenshot dir> [cart token]');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
const out = { screenshots: [], cart_counts: [], added_variants: [], used_standard_action: false };
let step = 'start';
const browser = await launchChromium();
try {
  const context = await browser.newContext({ viewport: { width: 1100, height: 1000 } });
  if (cartToken) await context.addCookies([{ name: 'cart', value: cartToken, url: store }]);
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  page.on('console', (m) => m.type() === 'error' && console.error('[page]', m.text()));
  page.on('response', (r) => r.status() >= 400 && console.error('[http]', r.status(), r.url()));
  page.on('requestfailed', (r) => console.error('[failed]', r.url(), r.failure()?.errorText));
  page.on('request', (r) => {
    if (r.url().endsWith('/cart/add.js') && r.method() === 'POST') out.added_variants.push(...JSON.parse(r.postData()).items.map((i) => i.id));
  });
  const shot = async (name) => {
    const path = `${shots}/${name}.png`;
    await page.screenshot({ path, fullPage: true });
    out.screenshots.push(path);
  };
  const count = async () => Number((await page.textContent('[data-testid=cart-count]')).trim());
  const addOnce = async () => {
    const before = await count();
    await page.locator('reelcart-feed article').first().locator('button[data-add]').first().click();
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid=cart-count]').textContent) > n, before);
    out.cart_counts.push(await count());
  };

  if (phase === 'checkout') {
    step = 'checkout';
    await page.goto(`${store}/products/${handle}`);
    await page.click('[data-testid=checkout]');
    await page.locator('[data-testid=order-confirmed]').waitFor();
    out.order_id = (await page.textContent('[data-testid=order-id]')).trim();
    out.webhook = (await page.textContent('[data-testid=webhook]')).trim();
    await shot('shopify-order');
    console.log(JSON.stringify(out));
    process.exit(0);
  }

  step = 'the product page shows the feed';
  await page.goto(`${store}/products/${handle}`);
  await page.exposeFunction('__rcAction', () => (out.used_standard_action = true));
  await page.evaluate(() => {
    const original = window.Shopify.actions.updateCart;
    window.Shopify.actions.updateCart = (...a) => (window.__rcAction(), original.apply(window.Shopify.actions, a));
  });
  await page.locator('reelcart-feed article').first().waitFor();
  out.feed_items = await page.locator('reelcart-feed article').count();
  out.cart_counts.push(await count());
  await shot('shopify-product');

  step = 'add through the theme\'s standard action';
  await addOnce();
  await shot('shopify-added');

  step = 'add on a page without the standard actions';
  await page.goto(`${store}/products/${handle}?actions=0`);
  await page.locator('reelcart-feed article').first().waitFor();
  await addOnce();

  step = 'the cart';
  const cart = await page.evaluate(async () => (await fetch('/cart.js')).json());
  out.cart_token_attribute = cart.attributes?.reelcart_token || null;
  out.cart_items = cart.items.map((i) => ({ variant_id: i.variant_id, quantity: i.quantity }));
  out.cart_token = cart.token;
  console.log(JSON.stringify(out));
} catch (e) {
  console.error(`shopify.mjs failed at "${step}": ${e.stack || e}`);
  console.log(JSON.stringify({ ...out, failed: step, error: String(e) }));
  process.exitCode = 1;
} finally {
  await browser.close();
}
