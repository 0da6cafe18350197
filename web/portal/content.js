// What a creator sends and when it runs: uploads (presigned S3 POST), submissions with their
// progress, and the calendar of scheduled and published items.

import { emptyItem } from './earnings.js';
import { state, termsAccepted } from './portal.js';
import { $, DEFAULT_MAX_BYTES, FINAL, POLL_MS, STEPS, UPLOAD_TYPES, announce, api, fmtBytes, fmtDate, h, safeUrl, setError, show, today } from './ui.js';

// ---------- upload ----------

export function renderUpload() {
  const ok = termsAccepted();
  $('upload-fieldset').disabled = !ok;
  show($('upload-terms-note'), !ok);
}

function typeOf(file) {
  if (Object.values(UPLOAD_TYPES).includes(file.type)) return file.type;
  const ext = file.name.split('.').pop().toLowerCase();
  return file.type ? null : UPLOAD_TYPES[ext] || null; // an unknown reported type is refused
}

function uploadState(s, text) {
  const st = $('upload-status');
  st.dataset.state = s;
  st.textContent = text;
}

export async function upload(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  setError('upload-error', null);
  const file = form.elements.file.files[0];
  const caption = form.elements.caption.value.trim();
  if (!file) return setError('upload-error', 'Choose a video to upload.');
  const type = typeOf(file);
  if (!type) return setError('upload-error', 'This file type cannot be uploaded: use MP4, MOV or WebM video (or a JPEG/PNG photo).');
  if (file.size === 0) return setError('upload-error', 'This file is empty.');
  if ([...caption].length > 500) return setError('upload-error', 'Captions are at most 500 characters.');
  const fieldset = $('upload-fieldset');
  const box = $('upload-progress-box');
  const bar = $('upload-progress');
  fieldset.disabled = true;
  try {
    uploadState('requesting', 'Preparing the upload…');
    const up = await api('POST', '/v1/creators/me/uploads', { content_type: type, caption });
    const max = up.form?.max_bytes || DEFAULT_MAX_BYTES;
    if (file.size > max) throw new Error(`This file is ${fmtBytes(file.size)}; the limit is ${fmtBytes(max)}.`);
    const fd = new FormData();
    for (const [k, v] of Object.entries(up.form.fields)) fd.append(k, v);
    fd.append('file', file, file.name);
    bar.removeAttribute('value');
    show(box, true);
    uploadState('uploading', `Uploading ${fmtBytes(file.size)}… keep this page open.`);
    // Straight to the bucket (its CORS rule allows the POST); XHR, for the progress bar.
    const sent = await new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', up.form.url);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) {
          bar.max = e.total;
          bar.value = e.loaded;
        }
      };
      xhr.onload = () => resolve({ status: xhr.status, body: xhr.responseText || '' });
      xhr.onerror = () => reject(new Error('The upload was interrupted. Check your connection and try again.'));
      xhr.send(fd);
    });
    if (sent.status < 200 || sent.status >= 300) {
      // S3 answers errors as XML: its code says which (EntityTooLarge, AccessDenied: the form expired…).
      const code = /<Code>([^<]{1,64})<\/Code>/.exec(sent.body)?.[1] || `HTTP ${sent.status}`;
      const why = code === 'EntityTooLarge' ? 'the file is over the limit' : code === 'AccessDenied' ? 'the upload form expired or does not fit this file' : code;
      throw new Error(`The upload was refused (${why}). Try again.`);
    }
    bar.max = 1;
    bar.value = 1;
    state.awaitingSince = Math.floor(Date.now() / 1000);
    uploadState('done', 'Uploaded — processing. It will appear in Submissions in a moment.');
    $('upload-status').append(' ', h('a', { href: '#submissions', 'data-testid': 'upload-to-submissions', text: 'See submissions' }));
    announce('Uploaded. Processing has started.');
    form.reset();
  } catch (e) {
    show(box, false);
    uploadState('error', '');
    setError('upload-error', e);
  } finally {
    fieldset.disabled = !termsAccepted();
  }
}

// ---------- submissions ----------

export function stopPolling() {
  clearTimeout(state.pollTimer);
  state.pollTimer = null;
}

function steps(s) {
  const rejected = s.status === 'rejected';
  const at = STEPS.indexOf(s.status);
  const ol = h('ol', { class: 'steps', 'aria-label': 'Moderation progress' });
  STEPS.forEach((name, i) => {
    let cls = 'todo';
    if (rejected) cls = i === 0 ? 'done' : 'todo';
    else if (i < at || (i === at && FINAL.has(name))) cls = 'done';
    else if (i === at) cls = 'current';
    ol.append(h('li', { class: cls, 'aria-current': i === at ? 'step' : null, text: name }));
  });
  if (rejected) ol.append(h('li', { class: 'rejected', 'aria-current': 'step', text: 'rejected' }));
  if (s.status === 'archived') ol.append(h('li', { class: 'current', 'aria-current': 'step', text: 'archived' }));
  return ol;
}

const MEDIA_TEXT = { transcoding: 'Processing video…', submitted: 'Processing video…', transcoded: 'Video ready', failed: 'Video could not be processed' };

const noPoster = () => h('div', { class: 'poster none', 'aria-hidden': 'true', text: '▶' });

/** `media_failure`: {code, message} from the transcoder (a string is accepted too). */
function failureText(f) {
  const m = typeof f === 'string' ? f : f?.message || f?.code;
  return m ? `: ${m}` : '';
}

function renderSubmissions(list) {
  const ul = $('submissions-list');
  ul.replaceChildren();
  if (!list.length) ul.append(emptyItem('Nothing yet. Your uploads appear here as soon as they arrive.'));
  for (const s of list) {
    const poster = safeUrl(s.poster);
    const media = s.media || '';
    ul.append(
      h('li', { class: `sub ${s.status}`, 'data-testid': 'submission', 'data-item-id': s.item_id, 'data-status': s.status, 'data-media': media },
        poster ? h('img', { class: 'poster', src: poster, alt: '', loading: 'lazy', width: 90, height: 160, onerror: (e) => e.currentTarget.replaceWith(noPoster()) }) : noPoster(),
        h('div', { class: 'body' },
          h('p', { class: 'caption', 'data-testid': 'submission-caption', text: s.caption || '(no caption)' }),
          steps(s),
          h('p', { class: 'meta' },
            h('span', { class: `badge st-${s.status}`, 'data-testid': 'submission-status', text: s.status }),
            media ? h('span', { class: `badge media-${media}`, 'data-testid': 'submission-media', title: MEDIA_TEXT[media] || media, text: media }) : null,
            h('span', { class: 'hint', text: fmtDate(s.created_at) })),
          s.status === 'rejected' ? h('p', { class: 'reason', 'data-testid': 'submission-reason', text: `Reason: ${s.rejection || 'not given'}` }) : null,
          s.publish_at && s.status !== 'published' ? h('p', { class: 'hint', text: `Scheduled for ${fmtDate(s.publish_at)}` }) : null,
          media === 'failed'
            ? h('p', { class: 'reason', 'data-testid': 'submission-media-failure', text: `${MEDIA_TEXT.failed}${failureText(s.media_failure)}. Try exporting it again as MP4 and re-uploading.` })
            : null)));
  }
  ul.dataset.loaded = 'true';
}

// Transcoding takes seconds: look often. Moderation can take days: look now and then.
const transcoding = (s) => s.media === 'transcoding' || s.media === 'submitted' || (!s.media && s.status === 'queued');
const pending = (s) => !FINAL.has(s.status) || transcoding(s);
const SLOW_POLL_MS = 30_000;

export async function loadSubmissions() {
  stopPolling();
  try {
    const data = await api('GET', '/v1/creators/me/submissions');
    const list = [...(data.submissions || [])].sort((a, b) => (b.created_at || 0) - (a.created_at || 0));
    state.submissions = list;
    setError('submissions-error', null);
    renderSubmissions(list);
    // An upload is ingested seconds after it lands: look for it until it shows (10 min at most;
    // a minute of slack for this device's clock).
    if (state.awaitingSince) {
      const arrived = list.some((s) => s.source === 'upload' && s.created_at >= state.awaitingSince - 60);
      if (arrived || Date.now() / 1000 - state.awaitingSince > 600) state.awaitingSince = null;
    }
    const busy = list.some(pending) || !!state.awaitingSince;
    show($('submissions-auto'), busy);
    const delay = list.some(transcoding) || state.awaitingSince ? POLL_MS : SLOW_POLL_MS;
    if (busy && state.view === 'submissions') state.pollTimer = setTimeout(poll, delay);
  } catch (e) {
    setError('submissions-error', e);
    $('submissions-list').dataset.loaded = 'error';
    // Keep trying while the view is open, unless the route does not exist.
    if (e.code !== 'unavailable' && e.status !== 401 && state.view === 'submissions') state.pollTimer = setTimeout(poll, POLL_MS * 2);
  }
}

function poll() {
  if (state.view !== 'submissions') return;
  if (document.hidden) state.pollTimer = setTimeout(poll, POLL_MS);
  else loadSubmissions();
}

// ---------- calendar ----------

export function shiftMonth(ym, d) {
  const [y, m] = ym.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1 + d, 1));
  return t.toISOString().slice(0, 7);
}

function monthTitle(ym) {
  const [y, m] = ym.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, 1)).toLocaleDateString(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' });
}

function renderCalendar(ym, days) {
  const [y, m] = ym.split('-').map(Number);
  const byDate = new Map(days.map((d) => [d.date, d.entries || []]));
  const first = new Date(Date.UTC(y, m - 1, 1));
  const count = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const lead = (first.getUTCDay() + 6) % 7; // Monday first
  const table = $('calendar-grid');
  const names = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  const full = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
  const body = h('tbody');
  let row = h('tr');
  for (let i = 0; i < lead; i++) row.append(h('td', { class: 'pad' }));
  const todayStr = today();
  const agenda = $('calendar-agenda');
  agenda.replaceChildren();
  for (let d = 1; d <= count; d++) {
    const date = `${ym}-${String(d).padStart(2, '0')}`;
    const entries = byDate.get(date) || [];
    const cell = h('td', { class: date === todayStr ? 'today' : null, 'data-date': date },
      h('span', { class: 'day', text: String(d) }),
      entries.length
        ? h('ul', { class: 'entries' }, entries.map((e) =>
            h('li', { class: `entry ${e.kind}`, 'data-testid': 'calendar-entry', 'data-kind': e.kind, 'data-item-id': e.item_id, title: `${e.kind}: ${e.caption || ''}` },
              h('span', { class: 'sr-only', text: `${e.kind}: ` }), e.caption || e.item_id)))
        : null);
    if (date === todayStr) cell.setAttribute('aria-current', 'date');
    row.append(cell);
    if ((lead + d) % 7 === 0) {
      body.append(row);
      row = h('tr');
    }
    for (const e of entries) {
      agenda.append(h('li', { class: `entry-row ${e.kind}` },
        h('span', { class: `badge ${e.kind === 'published' ? 'ok' : 'info'}`, text: e.kind }),
        h('span', { class: 'when', text: e.at ? new Date(e.at * 1000).toLocaleString(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }) : new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' }) }),
        h('span', { class: 'caption', text: e.caption || e.item_id })));
    }
  }
  if (row.children.length) {
    while (row.children.length < 7) row.append(h('td', { class: 'pad' }));
    body.append(row);
  }
  if (!agenda.children.length) agenda.append(emptyItem('Nothing scheduled or published this month.'));
  table.replaceChildren(
    h('caption', { class: 'sr-only', text: monthTitle(ym) }),
    h('thead', {}, h('tr', {}, names.map((n, i) => h('th', { scope: 'col', abbr: full[i], text: n })))),
    body);
}

export async function loadCalendar() {
  const ym = state.month;
  $('calendar-month').textContent = monthTitle(ym);
  const wrap = $('calendar');
  wrap.dataset.loaded = 'false';
  try {
    const data = await api('GET', `/v1/creators/me/calendar?month=${encodeURIComponent(ym)}`);
    if (ym !== state.month) return;
    setError('calendar-error', null);
    renderCalendar(ym, data.days || []);
    wrap.dataset.loaded = 'true';
  } catch (e) {
    if (ym !== state.month) return;
    renderCalendar(ym, []);
    setError('calendar-error', e);
    wrap.dataset.loaded = 'error';
  }
}
