// Sign-in for the moderation console and the creator portal: OAuth 2.0 authorization code with
// PKCE (RFC 7636) against whatever identity provider the page's `config.json` names — Cognito's
// managed login in AWS, the local stack's stand-in in development. The same code runs in both.
//
// `config.json` (written at deploy time beside the page) gives:
//   {api, issuer, authorize, token, revoke, logout, signup, client_id, redirect_uri, scope}
//
// Tokens live in sessionStorage (this tab only, gone when it closes). The access token is sent
// to the API; it is refreshed shortly before it expires (a timer, and before any call made late),
// and once more after a 401. When the refresh token is gone (revoked, expired) the page is told,
// with a message, and shows its sign-in again. Sign-out revokes the refresh token and ends the
// managed-login session too.

const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const random = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));

/** The claims of a JWT (not verified: the API verifies; the page only reads its own token). */
export function claims(token) {
  try {
    const p = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(p.padEnd(Math.ceil(p.length / 4) * 4, '=')), (c) => c.charCodeAt(0))));
  } catch {
    return {};
  }
}

const REQUIRED = ['api', 'authorize', 'token', 'revoke', 'logout', 'client_id', 'redirect_uri'];

/** Only https URLs, or http on this machine (development). */
function checkedUrl(raw) {
  const u = new URL(raw, location.href);
  const local = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  if (u.protocol === 'https:' || (u.protocol === 'http:' && local)) return u.href.replace(/\/+$/, '');
  throw new Error(`${raw} is not an https:// URL`);
}

export class SessionError extends Error {}

/**
 * A page's session. `key` names its storage (one per console); `onEnd(message)` is called when a
 * session ends without the user asking (refresh refused).
 */
export class Session {
  constructor(key, { onEnd = () => {}, onRefresh = () => {} } = {}) {
    this.key = key;
    this.onEnd = onEnd;
    this.onRefresh = onRefresh;
    this.config = null;
    this.tokens = null; // {access, id, refresh, exp (ms)}
    this.timer = null;
    this.refreshing = null;
  }

  /** Read `config.json`; finish a sign-in if this page is its redirect. */
  async start() {
    let raw;
    try {
      const r = await fetch(new URL('config.json', location.href), { cache: 'no-store', credentials: 'omit' });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      raw = await r.json();
    } catch (e) {
      throw new SessionError(`This page has no sign-in configuration (config.json: ${e.message}).`);
    }
    for (const k of REQUIRED) if (typeof raw[k] !== 'string' || (!raw[k] && k !== 'api')) throw new SessionError(`config.json has no ${k}.`);
    const c = { ...raw, scope: raw.scope || 'openid email profile' };
    for (const k of ['authorize', 'token', 'revoke', 'logout', 'signup']) if (c[k]) c[k] = checkedUrl(c[k]);
    c.api = c.api ? checkedUrl(c.api) : '';
    this.config = c;
    try {
      this.tokens = JSON.parse(sessionStorage.getItem(this.key) || 'null');
    } catch {
      this.tokens = null;
    }
    // A return from the sign-in pages (one this tab started): not any page with `error=` in it.
    const q = new URLSearchParams(location.search);
    if ((q.has('code') || q.has('error')) && sessionStorage.getItem(`${this.key}:pkce`)) await this.finish(q);
    if (this.tokens) this.schedule();
    return this;
  }

  get api() {
    return this.config?.api ?? '';
  }
  get signedIn() {
    return !!this.tokens;
  }
  /** The access token's claims (sub, cognito:groups, exp …). */
  get claims() {
    return this.tokens ? claims(this.tokens.access) : {};
  }
  get groups() {
    const g = this.claims['cognito:groups'] || [];
    return Array.isArray(g) ? g : String(g).split(/[\s,]+/).filter(Boolean);
  }
  /** Who is signed in, for people: the ID token's email, else the subject. */
  get name() {
    return (this.tokens?.id && claims(this.tokens.id).email) || this.claims.sub || '';
  }

  /** Off to the identity provider's sign-in (or sign-up) page; back here with a code. */
  async signIn({ signUp = false } = {}) {
    const c = this.config;
    const verifier = random(48);
    const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
    const state = random(24);
    sessionStorage.setItem(`${this.key}:pkce`, JSON.stringify({ verifier, state, hash: location.hash }));
    const url = new URL(signUp && c.signup ? c.signup : c.authorize);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: c.client_id,
      redirect_uri: c.redirect_uri,
      scope: c.scope,
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    location.assign(url.href);
  }

  /** The redirect back: check `state`, trade the code and the verifier for tokens. */
  async finish(q) {
    let pending = null;
    try {
      pending = JSON.parse(sessionStorage.getItem(`${this.key}:pkce`) || 'null');
    } catch {}
    sessionStorage.removeItem(`${this.key}:pkce`);
    // The code is spent either way: take it out of the address bar (and history).
    history.replaceState(null, '', location.pathname + (pending?.hash || ''));
    if (q.has('error')) throw new SessionError(`Sign-in did not complete: ${q.get('error_description') || q.get('error')}.`);
    if (!pending || !q.get('state') || q.get('state') !== pending.state) throw new SessionError('That sign-in link was not started here (or was used already). Sign in again.');
    const c = this.config;
    const got = await this.grant({ grant_type: 'authorization_code', client_id: c.client_id, code: q.get('code') || '', redirect_uri: c.redirect_uri, code_verifier: pending.verifier });
    if (!got.ok) throw new SessionError(`Sign-in failed (${got.error}). Sign in again.`);
  }

  /** POST to the token endpoint; keep the tokens it gives. */
  async grant(form) {
    let r;
    try {
      r = await fetch(this.config.token, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form), credentials: 'omit' });
    } catch {
      return { ok: false, error: 'network', retry: true };
    }
    const body = await r.json().catch(() => ({}));
    if (!r.ok || !body.access_token) return { ok: false, error: body.error || `HTTP ${r.status}`, retry: r.status >= 500 };
    const refresh = body.refresh_token || this.tokens?.refresh;
    const lifetime = Number(body.expires_in) > 0 ? Number(body.expires_in) : 3600;
    this.tokens = { access: body.access_token, id: body.id_token || this.tokens?.id || null, refresh, exp: Date.now() + lifetime * 1000, lifetime };
    sessionStorage.setItem(this.key, JSON.stringify(this.tokens));
    this.schedule();
    return { ok: true };
  }

  /** Refresh a quarter of the lifetime (at most five minutes) before expiry. */
  lead() {
    return Math.min(300_000, ((this.tokens?.lifetime || 3600) * 1000) / 4);
  }
  schedule() {
    clearTimeout(this.timer);
    if (!this.tokens) return;
    const wait = this.tokens.exp - this.lead() - Date.now();
    this.timer = setTimeout(() => this.refresh(), Math.max(0, Math.min(wait, 2 ** 31 - 1)));
  }

  /** One refresh at a time; ends the session (with a message) when the provider refuses. */
  refresh() {
    if (!this.refreshing) {
      this.refreshing = (async () => {
        if (!this.tokens?.refresh) return this.end('Your session has ended. Sign in again.');
        let got = await this.grant({ grant_type: 'refresh_token', client_id: this.config.client_id, refresh_token: this.tokens.refresh });
        if (!got.ok && got.retry) got = await this.grant({ grant_type: 'refresh_token', client_id: this.config.client_id, refresh_token: this.tokens.refresh });
        if (got.ok) return this.onRefresh(), true;
        if (got.retry) {
          // The provider could not be reached: try again in a little while, keep the session.
          clearTimeout(this.timer);
          this.timer = setTimeout(() => this.refresh(), 15_000);
          return Date.now() < this.tokens.exp;
        }
        return this.end('Your session has ended (it was signed out or has expired). Sign in again.');
      })().finally(() => (this.refreshing = null));
    }
    return this.refreshing;
  }

  /** A current access token: refreshed first when it is (nearly) out of date. */
  async accessToken() {
    if (!this.tokens) return null;
    if (this.tokens.exp - Date.now() < Math.min(30_000, this.lead())) await this.refresh();
    return this.tokens?.access ?? null;
  }

  /**
   * `fetch` to the API with the access token. A 401 (the token revoked or past its time) gets
   * one refresh and one retry; when that fails too the session ends.
   */
  async fetch(path, init = {}) {
    const call = async () => {
      const token = await this.accessToken();
      if (!token) throw new SessionError('Not signed in.');
      return fetch(this.api + path, { ...init, headers: { ...(init.headers || {}), Authorization: `Bearer ${token}` } });
    };
    let r = await call();
    if (r.status === 401 && this.tokens) {
      // A refused refresh has ended the session (and said so) already.
      if (await this.refresh()) r = await call();
      if (r.status === 401 && this.tokens) this.end('Your session has ended. Sign in again.');
    }
    return r;
  }

  /** The session is over (not asked for): forget it, tell the page. */
  end(message) {
    this.forget();
    this.onEnd(message);
    return false;
  }
  forget() {
    clearTimeout(this.timer);
    this.tokens = null;
    sessionStorage.removeItem(this.key);
  }

  /** Sign out: revoke the refresh token, then the identity provider's sign-out, back here. */
  async signOut() {
    const c = this.config;
    const refresh = this.tokens?.refresh;
    this.forget();
    if (refresh) {
      try {
        await fetch(c.revoke, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: refresh, client_id: c.client_id }), credentials: 'omit' });
      } catch {
        // The provider could not be reached: the token is forgotten here; it expires by itself.
      }
    }
    const url = new URL(c.logout);
    url.search = new URLSearchParams({ client_id: c.client_id, logout_uri: c.redirect_uri });
    location.assign(url.href);
  }
}
