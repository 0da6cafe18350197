// The portal's building blocks: limits, elements from data (text nodes, never innerHTML),
// formats, and the creator API on the signed-in session.

import { Session, SessionError } from '../auth/session.js';
import { stopPolling } from './content.js';
import { renderShell, state } from './portal.js';

export const UPLOAD_TYPES = {
  mp4: 'video/mp4', m4v: 'video/mp4', mov: 'video/quicktime', webm: 'video/webm',
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png',
};
export const DEFAULT_MAX_BYTES = 300 * 1024 * 1024; // MAX_VIDEO_MB's default; the form's max_bytes wins.
export const STEPS = ['queued', 'reviewing', 'approved', 'published'];
export const FINAL = new Set(['published', 'rejected', 'archived']);
export const POLL_MS = 4000;
export const WORD_RE = /^[A-Za-z0-9_.-]{1,64}$/;

// ---------- small helpers ----------

export const $ = (id, root = document) => root.querySelector(`[data-testid="${id}"]`);

/** An element; `text` sets textContent, `on*` adds listeners, other keys are attributes. */
export function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

export function show(node, on = true) {
  node.hidden = !on;
}

export function setError(id, err) {
  const box = $(id);
  if (!err) {
    box.textContent = '';
    show(box, false);
    return;
  }
  box.textContent = typeof err === 'string' ? err : friendly(err);
  box.dataset.code = err?.code || '';
  show(box, true);
}

export function announce(msg) {
  const a = $('announce');
  a.textContent = '';
  setTimeout(() => (a.textContent = msg), 30);
}

export const fmtInt = (n) => (Number.isFinite(Number(n)) ? Number(n).toLocaleString('en-US') : '–');
export const fmtNum = (n) => (Number.isFinite(Number(n)) ? Number(n).toLocaleString('en-US', { maximumFractionDigits: 2 }) : '–');
export const fmtPct = (r) => (r === null || r === undefined ? '–' : `${(Number(r) * 100).toLocaleString('en-US', { maximumFractionDigits: 2 })}%`);
export const fmtDate = (unix) => (unix ? new Date(unix * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '');
export const fmtBytes = (b) => (b >= 1048576 ? `${(b / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(b / 1024))} KB`);
export const today = () => new Date().toISOString().slice(0, 10);

export { safeUrl } from '../auth/urls.js';

// ---------- API ----------

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const MESSAGES = {
  network: 'Could not reach Reelcart. Check your connection and try again.',
  forbidden: 'This account is not a creator account.',
  terms_required: 'Accept the current content terms before uploading.',
  terms_changed: 'The terms have just changed: please read the new version and accept it.',
  unknown_sku: 'No active product has this SKU. Check it with the brand.',
  codes_unavailable: 'Discount codes are not available for this store right now.',
  unavailable: 'This feature is not available on this server yet.',
  not_onboarded: 'Complete your profile first.',
};

export function friendly(err) {
  if (err instanceof ApiError) {
    if (MESSAGES[err.code]) return MESSAGES[err.code];
    if (err.status === 403) return MESSAGES.forbidden;
    if (err.status >= 500) return 'Something went wrong on our side. Please try again in a moment.';
    return err.message || `Request failed (${err.status}).`;
  }
  return String(err?.message || err);
}

// Sign-in: authorization code + PKCE against the identity provider `config.json` names.
export const session = new Session('reelcart_portal', { onEnd: (message) => signedOut(message) });

/** Call the API: JSON in, JSON out (or the raw response with `raw`); errors as ApiError. */
export async function api(method, path, body, { raw = false } = {}) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let r;
  try {
    r = await session.fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    if (e instanceof SessionError) throw new ApiError(401, 'unauthorized', e.message);
    throw new ApiError(0, 'network', MESSAGES.network);
  }
  if (r.ok && raw) return r;
  let data = null;
  try {
    data = await r.json();
  } catch {}
  if (!r.ok) {
    const e = data?.error || {};
    // A route this server does not have yet (the gateway's own 404).
    const code = r.status === 404 && (e.code === 'not_found' || !e.code) ? 'unavailable' : e.code || `http_${r.status}`;
    throw new ApiError(r.status, code, e.message || `Request failed (${r.status})`);
  }
  return data;
}

// ---------- session ----------

/** The session ended (refresh refused) or never began: the sign-in, with a message if due. */
function signedOut(message) {
  state.me = null;
  state.refused = false;
  stopPolling();
  if (message) setError('global-error', message);
  renderShell();
}
