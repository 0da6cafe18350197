// The console's building blocks: elements from data (text nodes, never innerHTML), formats,
// toasts, and the API client on the signed-in session.

import { Session, SessionError } from '../auth/session.js';
import { showSignIn } from './console.js';

// ---------------------------------------------------------------------------------------------
// Helpers

export const $ = (sel, root = document) => root.querySelector(sel);

/** An element: `props` are attributes (`class`, `text`, `testid`, `on<event>`, booleans as properties). */
export function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'testid') el.dataset.testid = v;
    // Through the CSSOM: the content security policy allows no inline style attributes.
    else if (k === 'style') el.style.cssText = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (typeof v === 'boolean' && k in el) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid == null || kid === false) continue;
    el.append(kid instanceof Node ? kid : String(kid));
  }
  return el;
}

export { safeUrl } from '../auth/urls.js';

const pad = (n) => String(n).padStart(2, '0');
/** Unix seconds as `YYYY-MM-DD HH:MM UTC`. */
export function fmtTime(t) {
  if (t == null) return '—';
  const d = new Date(t * 1000);
  if (Number.isNaN(d.getTime())) return String(t);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}
/** Unix seconds relative to now: `in 3 d`, `2 h ago`. */
export function fmtRel(t) {
  if (t == null) return 'never';
  const s = t - Date.now() / 1000;
  const a = Math.abs(s);
  const v = a < 3600 ? `${Math.round(a / 60)} min` : a < 172800 ? `${Math.round(a / 3600)} h` : `${Math.round(a / 86400)} d`;
  return s >= 0 ? `in ${v}` : `${v} ago`;
}
export const today = () => new Date().toISOString().slice(0, 10);
export const label = (s) => String(s ?? '').replaceAll('_', ' ');
export const debounce = (fn, ms) => {
  let t;
  return (...a) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...a), ms);
  };
};

/** Replace an element's children; null, undefined and false are skipped. */
export function put(el, ...kids) {
  el.replaceChildren(...kids.flat(Infinity).filter((k) => k != null && k !== false).map((k) => (k instanceof Node ? k : String(k))));
}

export function badge(text, tone = '', title) {
  return h('span', { class: `badge ${tone}`, title }, text);
}

// ---------------------------------------------------------------------------------------------
// Toasts

let toastTimer;
export function toast(msg) {
  $('#toast-alert').textContent = '';
  const el = $('#toast-status');
  el.textContent = msg;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.textContent = ''), 4000);
}
let alertTimer;
export function alertToast(msg) {
  const el = $('#toast-alert');
  el.textContent = msg;
  clearTimeout(alertTimer);
  alertTimer = setTimeout(() => (el.textContent = ''), 9000);
}
export function errorText(e) {
  if (e instanceof ApiError) return e.code ? `${e.message} (${e.code})` : e.message;
  return e?.message || String(e);
}

// ---------------------------------------------------------------------------------------------
// API

export class ApiError extends Error {
  constructor(status, code, message, problems) {
    super(message);
    this.status = status;
    this.code = code;
    this.problems = problems;
  }
}

// Sign-in: authorization code + PKCE against the identity provider `config.json` names.
export const session = new Session('reelcart_console', { onEnd: (message) => showSignIn(message) });

export async function api(method, path, body, { raw = false } = {}) {
  const headers = {};
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await session.fetch(path, { method, headers, body: payload });
  } catch (e) {
    if (e instanceof SessionError) throw new ApiError(401, 'unauthorized', e.message);
    throw new ApiError(0, 'network', `The API could not be reached (${e.message})`);
  }
  if (!res.ok) {
    let data = null;
    try {
      data = await res.json();
    } catch {}
    const err = data?.error;
    throw new ApiError(res.status, err?.code || `http_${res.status}`, err?.message || data?.message || res.statusText || `HTTP ${res.status}`, err?.problems);
  }
  if (raw) return res;
  if (res.status === 204) return null;
  return res.json();
}
export const enc = encodeURIComponent;
