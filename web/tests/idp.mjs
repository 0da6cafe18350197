// The browser tests' side of the local managed login: invite a user (as an admin does with
// `aws cognito-idp admin-create-user`), compute an authenticator's TOTP code, and go through the
// sign-in and sign-up pages a console sends the browser to — the same pages and protocol the
// consoles use with Cognito in AWS.
import { createHmac } from 'node:crypto';

const tid = (id) => `[data-testid="${id}"]`;
export const PASSWORD = 'Correct-horse-battery-9';

/** `POST /_local/idp/users`: `{sub, totp_secret}`. */
export async function invite(base, { email, groups, totp = false, accessSecs }) {
  const r = await fetch(`${base}/_local/idp/users`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD, groups, totp, access_secs: accessSecs }),
  });
  if (r.status !== 201) throw new Error(`invite ${email}: HTTP ${r.status} ${await r.text()}`);
  return r.json();
}

function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.replace(/=+$/, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${text}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** An authenticator app's code now (RFC 6238: HMAC-SHA1, 30 s, 6 digits). */
export function totp(secret, at = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30000)));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const o = mac[19] & 0x0f;
  return String((mac.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/** On the identity provider's sign-in page: email, password, and the TOTP code when asked. */
export async function signInOnIdp(page, { email, totpSecret }) {
  await page.locator(tid('idp-email')).waitFor({ timeout: 15000 });
  await page.fill(tid('idp-email'), email);
  await page.fill(tid('idp-password'), PASSWORD);
  await page.click(tid('idp-sign-in'));
  if (totpSecret) {
    await page.locator(tid('idp-totp')).waitFor({ timeout: 15000 });
    await page.fill(tid('idp-totp'), totp(totpSecret));
    await page.click(tid('idp-totp-submit'));
  }
}

/** On the sign-up page: create the account, read the emailed code, confirm, then sign in. */
export async function signUpOnIdp(page, base, email) {
  await page.locator(tid('idp-email')).waitFor({ timeout: 15000 });
  await page.fill(tid('idp-email'), email);
  await page.fill(tid('idp-password'), PASSWORD);
  await page.click(tid('idp-sign-up'));
  await page.locator(tid('idp-code')).waitFor({ timeout: 15000 });
  const mail = await (await fetch(`${base}/_local/idp/mailbox?email=${encodeURIComponent(email)}`)).json();
  const code = mail.codes?.at(-1);
  if (!code) throw new Error(`no code was emailed to ${email}`);
  await page.fill(tid('idp-code'), code);
  await page.click(tid('idp-confirm'));
  await signInOnIdp(page, { email });
}
