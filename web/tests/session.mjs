// Sessions in the moderation console, in Debian's Chromium: what signing in, staying signed in and
// signing out look like to people, against the local stack's managed login.
//
//   node web/tests/session.mjs <stack url> <item id> <screenshot dir>
//
// 1. An invited moderator opens a link to an item, signs in on the sign-in pages and lands on that
//    item; the admins' tabs are not there; they approve it.
// 2. Their access token lives 12 s (`access_secs`): past its expiry the console has refreshed it
//    in the background — the API refuses the first token by then, the console keeps working
//    without showing the sign-in.
// 3. Sign-out revokes the refresh token (the token endpoint refuses it afterwards) and shows the
//    sign-in.
// 4. Signed in again, their refresh token is revoked elsewhere: when the access token runs out the
//    console says the session ended and shows the sign-in.
// 5. A creator who signs in to the console gets a page saying this account cannot use it; the
//    moderation API refuses the creator's token (403). The moderator, in the creator portal, gets
//    the portal's equivalent page.
// Prints one JSON line; exits non-zero on any failure.
import { launchChromium } from './browser.mjs';
import { invite, signInOnIdp } from './idp.mjs';
import { mkdirSync } from 'node:fs';

const [base, itemId, shots] = process.argv.slice(2);
if (!base || !itemId || !shots) {
  console.error('usage: session.mjs <stack url> <item id> <screenshot dir>');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
const tid = (t) => `[data-testid="${t}"]`;
const LIFETIME = 12;
const out = { screenshots: [] };
let step = 'start';
const browser = await launchChromium();
try {
  const context = await browser.newContext({ viewport: { width: 1300, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  // The consoles run under the content security policy their distribution sends: nothing refused.
  out.csp_violations = [];
  page.on('console', (m) => /Content Security Policy/i.test(m.text()) && out.csp_violations.push(m.text()));
  const grants = [];
  page.on('request', (r) => {
    if (r.url().includes('/oauth2/token') && r.method() === 'POST') grants.push(new URLSearchParams(r.postData() || '').get('grant_type'));
  });
  const shot = async (name) => {
    const path = `${shots}/${name}.png`;
    await page.screenshot({ path });
    out.screenshots.push(path);
  };
  const tokens = () => page.evaluate(() => JSON.parse(sessionStorage.getItem('reelcart_console') || 'null'));
  const api = (path, token) => fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${token}` } });

  step = 'a moderator signs in from a link to an item';
  const email = `mod-${Date.now()}-${process.pid}@brand.example`;
  await invite(base, { email, groups: ['moderator'], accessSecs: LIFETIME });
  const first_load = await page.goto(`${base}/web/console/index.html#item=${encodeURIComponent(itemId)}`);
  out.csp = first_load.headers()['content-security-policy'] || null;
  out.frame_options = first_load.headers()['x-frame-options'] || null;
  await page.click(tid('signin-submit'));
  await signInOnIdp(page, { email });
  await page.waitForFunction((id) => document.querySelector('[data-testid="detail-id"]')?.textContent === id, itemId);
  out.landed_on_item = true;
  out.whoami = (await page.textContent(tid('whoami'))).trim();
  out.admin_tabs_visible = await page.locator(`${tid('tab-connections')}:visible, ${tid('tab-creators')}:visible`).count();
  out.address_has_code = new URL(page.url()).search.includes('code=');
  await page.click(tid('action-approve'));
  await page.waitForSelector(`${tid('detail-status')}[data-status="approved"]`);
  out.approved = true;
  await shot('session-moderator');

  step = 'the access token expires and is refreshed without the user noticing';
  const first = await tokens();
  await page.waitForTimeout((LIFETIME + 2) * 1000);
  out.first_token_after_expiry = (await api('/v1/moderation/items?limit=1', first.access)).status;
  await page.click(tid('tab-qa'));
  await page.click(tid('tab-queue'));
  await page.locator('#queue-list:not([aria-busy])').waitFor();
  const second = await tokens();
  out.refreshed = !!second && second.access !== first.access;
  out.refresh_grants = grants.filter((g) => g === 'refresh_token').length;
  out.signin_shown_after_refresh = await page.locator(`${tid('signin')}:visible`).count();
  out.second_token_status = (await api('/v1/moderation/items?limit=1', second.access)).status;

  step = 'sign-out';
  await page.click(tid('signout'));
  await page.locator(`${tid('signin')}:visible`).waitFor();
  out.tokens_after_signout = await tokens();
  const reuse = await fetch(`${base}/_local/idp/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'reelcart-console', refresh_token: second.refresh }),
  });
  out.refresh_after_signout = { status: reuse.status, error: (await reuse.json()).error };

  step = 'the refresh token is revoked elsewhere';
  await page.click(tid('signin-submit'));
  await signInOnIdp(page, { email });
  await page.locator(`${tid('whoami')}:visible`).waitFor();
  const third = await tokens();
  const revoked = await fetch(`${base}/_local/idp/oauth2/revoke`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: third.refresh, client_id: 'reelcart-console' }),
  });
  if (!revoked.ok) throw new Error(`revoke: HTTP ${revoked.status}`);
  await page.locator(`${tid('signin')}:visible`).waitFor({ timeout: (LIFETIME + 5) * 1000 });
  out.ended_message = (await page.textContent(tid('signin-message'))).trim();
  await shot('session-ended');

  step = 'a creator in the console';
  const creator = `creator-${Date.now()}-${process.pid}@example.com`;
  await invite(base, { email: creator, groups: ['creator'] });
  await page.click(tid('signin-submit'));
  await signInOnIdp(page, { email: creator });
  await page.locator(`${tid('refused')}:visible`).waitFor();
  out.refused_text = (await page.textContent(tid('refused'))).replace(/\s+/g, ' ').trim();
  out.tabs_visible_to_creator = await page.locator(`${tid('tabs')}:visible`).count();
  const creatorToken = (await tokens()).access;
  const r = await api('/v1/moderation/items', creatorToken);
  out.creator_on_moderation = { status: r.status, body: await r.json().catch(() => null) };
  await shot('session-creator-refused');

  step = 'a moderator in the creator portal';
  await page.goto(`${base}/web/portal/index.html`);
  await page.click(tid('signin-submit'));
  await signInOnIdp(page, { email });
  await page.locator(`${tid('view-refused')}:visible`).waitFor();
  out.portal_refused_text = (await page.textContent(tid('view-refused'))).replace(/\s+/g, ' ').trim();
  out.portal_nav_visible = await page.locator(`${tid('nav')}:visible`).count();
  await shot('session-portal-refused');
  out.grants = grants;
  console.log(JSON.stringify(out));
} catch (e) {
  console.error(`session.mjs failed at "${step}": ${e.stack || e}`);
  console.log(JSON.stringify({ ...out, failed: step, error: String(e) }));
  process.exitCode = 1;
} finally {
  await browser.close();
}
