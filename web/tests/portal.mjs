// Drive the creator portal in Debian's Chromium (playwright-core, no browser download), on a phone-sized
// screen. Two phases, each one process; each prints one JSON line.
//
//   node web/tests/portal.mjs signup <stack url> <email> <sku> <video file> <screenshot dir>
//     create a creator account on the sign-in pages (confirmed with the emailed code), land in the
//     portal, sign up (name, instagram handle, payout email), accept the terms, create a link for
//     <sku> (campaign "launch") and a discount code, upload the video, and wait until the
//     submission shows media "transcoded", recording each status/media pair the page showed:
//     {"creator","link_url","code","item_id","seen":[[status, media]...],"screenshots":[...]}
//
//   node web/tests/portal.mjs dashboard <stack url> <email> <screenshot dir>
//     sign in, read the latest submission's status, the dashboard's totals (30 days) and the payouts:
//     {"submission_status","clicks","orders","revenue","screenshots":[...]}
import { launchChromium } from './browser.mjs';
import { signInOnIdp, signUpOnIdp } from './idp.mjs';
import { mkdirSync } from 'node:fs';

const [phase, base, email, ...rest] = process.argv.slice(2);
const usage = () => {
  console.error('usage: portal.mjs signup <stack url> <email> <sku> <video file> <screenshot dir>\n' + '       portal.mjs dashboard <stack url> <email> <screenshot dir>');
  process.exit(2);
};
if (!base || !email?.includes('@')) usage();
// A name for the creator's profile, from their address.
const creator = email.split('@')[0].replace(/[^A-Za-z0-9_-]/g, '');
if (phase === 'signup' && rest.length !== 3) usage();
if (phase === 'dashboard' && rest.length !== 1) usage();
if (phase !== 'signup' && phase !== 'dashboard') usage();
const shots = rest.at(-1);
mkdirSync(shots, { recursive: true });

const tid = (id) => `[data-testid="${id}"]`;
const out = { screenshots: [] };

const browser = await launchChromium();

let failure = null;
try {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, hasTouch: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(base).origin });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  page.on('console', (m) => m.type() === 'error' && console.error('[page]', m.text()));
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  // The consoles run under the content security policy their distribution sends: nothing refused.
  out.csp_violations = [];
  page.on('console', (m) => /Content Security Policy/i.test(m.text()) && out.csp_violations.push(m.text()));

  const shot = async (name) => {
    const path = `${shots}/${name}.png`;
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path, fullPage: true });
    out.screenshots.push(path);
  };
  const visible = (view) => page.locator(`${tid(`view-${view}`)}:not([hidden])`).waitFor();
  const go = async (view) => {
    await page.locator(tid(`nav-${view}`)).click();
    await visible(view);
  };
  /** The text of the first visible alert inside `root` (or the page), if any. */
  const alertIn = async (id) => {
    const a = page.locator(`${tid(id)}:not([hidden])`);
    return (await a.count()) ? { code: await a.getAttribute('data-code'), text: await a.textContent() } : null;
  };

  await page.goto(`${base}/web/portal/index.html`);
  await visible('signin');
  if (phase === 'signup') {
    // A new creator: the sign-up link, the emailed code, then sign in; back in the portal.
    await page.locator(tid('signup-submit')).click();
    await signUpOnIdp(page, base, email);
  } else {
    await page.locator(tid('signin-submit')).click();
    await signInOnIdp(page, { email });
  }
  await visible('profile');
  await page.locator(tid('whoami')).filter({ hasText: email }).waitFor();
  // The creator id is the account's subject (Cognito's `sub`).
  out.creator = await page.evaluate(() => {
    const t = JSON.parse(sessionStorage.getItem('reelcart_portal')).access;
    return JSON.parse(atob(t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).sub;
  });
  if (new URL(page.url()).search) throw new Error(`the code stayed in the address bar: ${page.url()}`);

  if (phase === 'signup') {
    const [sku, video] = rest;
    // Sign-up: a new creator sees the sign-up form.
    await page.locator(`${tid('profile-form')}[data-onboarded]`).waitFor();
    out.was_new = (await page.locator(tid('profile-form')).getAttribute('data-onboarded')) === 'false';
    await page.locator(tid('profile-name')).fill(`Portal ${creator}`);
    await page.locator(tid('handle-instagram')).fill(`@${creator.replace(/[^A-Za-z0-9_.-]/g, '')}.ig`);
    await page.locator(tid('payout-paypal_email')).fill(`${creator.replace(/[^A-Za-z0-9_.-]/g, '')}@example.com`);
    await page.locator(tid('profile-save')).click();
    await page.locator(`${tid('payout-set-paypal_email')}:not([hidden])`).waitFor();
    out.payout_value_shown = (await page.locator(tid('payout-paypal_email')).inputValue()) !== '';
    // Terms: uploads are refused until accepted.
    await page.locator(`${tid('terms')}:not([hidden])`).waitFor();
    out.upload_locked_before_terms = await (async () => {
      await go('upload');
      const locked = await page.locator(tid('upload-submit')).isDisabled();
      await go('profile');
      return locked;
    })();
    await page.locator(tid('terms-accept')).click();
    await page.locator(`${tid('terms-status')}[data-accepted="true"]`).waitFor();
    await shot('profile');

    // A link for the SKU, campaign "launch".
    await go('links');
    await page.locator(tid('link-sku')).fill(sku);
    await page.locator(tid('link-campaign')).fill('launch');
    await page.locator(tid('link-create')).click();
    const newLink = page.locator(`${tid('link-row')}[data-new="true"]`);
    await Promise.race([newLink.waitFor(), page.locator(`${tid('link-error')}:not([hidden])`).waitFor()]);
    const linkErr = await alertIn('link-error');
    if (linkErr) throw new Error(`link: ${linkErr.text}`);
    out.link_url = await newLink.locator(tid('link-url')).textContent();
    out.link_code = await newLink.locator(tid('link-code')).textContent();
    out.link_campaign = await newLink.getAttribute('data-campaign');

    // A discount code (campaign "launch"): null when the store has none to give.
    out.code = null;
    await page.locator(tid('code-campaign')).fill('launch');
    if (await page.locator(tid('code-create')).isEnabled()) {
      await page.locator(tid('code-create')).click();
      const newCode = page.locator(`${tid('code-row')}[data-new="true"]`);
      await Promise.race([newCode.waitFor(), page.locator(`${tid('code-error')}:not([hidden])`).waitFor()]);
      const codeErr = await alertIn('code-error');
      if (codeErr) out.code_error = codeErr.code;
      else out.code = await newCode.locator(tid('code-value')).textContent();
    } else {
      out.code_error = (await alertIn('codes-message'))?.code || (await page.locator(tid('codes-message')).getAttribute('data-code'));
    }
    await shot('links-and-codes');

    // A product request for the SKU: the brand sees it in the console.
    await go('requests');
    await page.locator(tid('request-sku')).fill(sku);
    await page.locator(tid('request-note')).fill('Size M, for a try-on video');
    await page.locator(tid('request-submit')).click();
    const newRequest = page.locator(`${tid('request-row')}[data-new="true"]`);
    await Promise.race([newRequest.waitFor(), page.locator(`${tid('request-error')}:not([hidden])`).waitFor()]);
    const reqErr = await alertIn('request-error');
    if (reqErr) throw new Error(`product request: ${reqErr.text}`);
    out.request_status = await newRequest.getAttribute('data-status');

    // The upload: the presigned POST straight to the bucket.
    const caption = `Portal test ${creator} ${Date.now()}`;
    await go('submissions');
    await page.locator(`${tid('submissions-list')}:not([data-loaded="false"])`).waitFor({ state: 'attached' });
    const before = new Set(await page.locator(tid('submission')).evaluateAll((els) => els.map((e) => e.dataset.itemId)));
    await go('upload');
    await page.locator(tid('upload-file')).setInputFiles(video);
    await page.locator(tid('upload-caption')).fill(caption);
    await page.locator(tid('upload-submit')).click();
    await page.locator(`${tid('upload-status')}[data-state="done"], ${tid('upload-status')}[data-state="error"]`).waitFor({ timeout: 60000 });
    const upErr = await alertIn('upload-error');
    if (upErr) throw new Error(`upload: ${upErr.text}`);
    out.upload_status = await page.locator(tid('upload-status')).textContent();

    // Submissions: the page refreshes itself; watch its DOM until the video is transcoded.
    await go('submissions');
    out.seen = [];
    const deadline = Date.now() + (Number(process.env.PORTAL_WAIT_MS) || 180000);
    let last = '';
    for (;;) {
      const unavailable = await alertIn('submissions-error');
      if (unavailable?.code === 'unavailable') {
        out.submissions_error = unavailable.code;
        break;
      }
      const mine = await page.locator(tid('submission')).evaluateAll(
        (els, [cap, known]) =>
          els
            .filter((e) => !known.includes(e.dataset.itemId) && e.querySelector('[data-testid="submission-caption"]')?.textContent === cap)
            .map((e) => ({ id: e.dataset.itemId, status: e.dataset.status, media: e.dataset.media || null })),
        [caption, [...before]],
      );
      if (mine.length) {
        const s = mine[0];
        out.item_id = s.id;
        const key = `${s.status}/${s.media}`;
        if (key !== last) {
          out.seen.push([s.status, s.media]);
          last = key;
        }
        if (s.media === 'transcoded' || s.media === 'failed') break;
      }
      if (Date.now() > deadline) {
        out.timed_out = true;
        break;
      }
      await page.waitForTimeout(500);
    }
    // Posters load lazily: let them.
    await page.waitForTimeout(1000);
    await shot('submissions');

    await go('calendar');
    await page.locator(`${tid('calendar')}:not([data-loaded="false"])`).waitFor();
    out.calendar_entries = await page.locator(tid('calendar-entry')).count();
    await shot('calendar');
    if (out.submissions_error) failure = `the submissions view is unavailable (${out.submissions_error})`;
    else if (!out.item_id) failure = 'the upload never appeared in the submissions';
    else if (out.timed_out) failure = 'the submission was not transcoded in time (PORTAL_WAIT_MS, 180 s)';
  } else {
    await page.locator(`${tid('profile-form')}[data-onboarded]`).waitFor();
    if ((await page.locator(tid('profile-form')).getAttribute('data-onboarded')) !== 'true') throw new Error(`${creator} has not signed up`);
    // The latest submission's status.
    await go('submissions');
    await page.locator(`${tid('submissions-list')}:not([data-loaded="false"])`).waitFor({ state: 'attached' });
    const err = await alertIn('submissions-error');
    if (err) out.submissions_error = err.code;
    const first = page.locator(tid('submission')).first();
    out.submission_status = (await first.count()) ? await first.getAttribute('data-status') : null;
    await page.waitForTimeout(800);
    await shot('submissions-latest');

    // The product request, as the brand left it.
    await go('requests');
    const request = page.locator(tid('request-row')).first();
    await request.waitFor();
    out.request_status = await request.getAttribute('data-status');
    out.request_text = (await request.textContent()).replace(/\s+/g, ' ').trim();

    // The dashboard, 30 days: totals read from the page.
    await go('dashboard');
    await page.locator(tid('dashboard-days')).selectOption('30');
    await page.locator(`${tid('dashboard')}:not([data-loaded="false"])`).waitFor();
    const dashErr = await alertIn('dashboard-error');
    if (dashErr) throw new Error(`dashboard: ${dashErr.text}`);
    const num = async (id) => Number((await page.locator(tid(id)).textContent()).replace(/[^0-9.-]/g, ''));
    out.clicks = await num('total-clicks');
    out.orders = await num('total-orders');
    out.revenue = (await page.locator(tid('total-revenue')).textContent()).trim();
    out.views = await num('total-views');
    out.by_campaign = await page.locator(`${tid('by-campaign')} tbody th`).allTextContents();
    // The chart is an image that decoded.
    out.chart_loaded = await page
      .locator(tid('dashboard-chart'))
      .evaluate((img) => (img.complete ? img.naturalWidth > 0 : new Promise((ok) => ((img.onload = () => ok(img.naturalWidth > 0)), (img.onerror = () => ok(false))))));
    await shot('dashboard');

    // Payouts for this month, and the CSV download.
    await go('payouts');
    await page.locator(tid('payouts-submit')).click();
    await Promise.race([page.locator(`${tid('payouts-result')}[data-loaded="true"]`).waitFor(), page.locator(`${tid('payouts-error')}:not([hidden])`).waitFor()]);
    const payErr = await alertIn('payouts-error');
    if (payErr) throw new Error(`payouts: ${payErr.text}`);
    out.payout = await page.locator(tid('payout-amount')).textContent();
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator(tid('payouts-csv')).click()]);
    out.csv_file = download.suggestedFilename();
    await shot('payouts');
    if (out.submission_status === null) failure = 'no submission shown';
  }
} catch (e) {
  failure = e.message;
} finally {
  await browser.close();
}
if (failure) out.error = failure;
console.log(JSON.stringify(out));
process.exit(failure ? 1 : 0);
