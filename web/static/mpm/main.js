'use strict';

import { ApiError, apiRequest } from '../common/api.js';
import { h, svg, updateChildren } from '../common/dom.js';
import { formatDateTime, formatDuration } from '../common/time.js';

const signIn = document.querySelector('#sign-in');
const signInForm = document.querySelector('#sign-in-form');
const signInError = document.querySelector('#sign-in-error');
const tokenInput = document.querySelector('#admin-token');
const dashboard = document.querySelector('#dashboard');
const scheduleForm = document.querySelector('#schedule-form');
const scheduleError = document.querySelector('#schedule-error');
const scheduled = document.querySelector('#scheduled');
const refreshed = document.querySelector('#refreshed');
const exportButton = document.querySelector('#export-csv');
const signOutButton = document.querySelector('#sign-out');
const showOlderButton = document.querySelector('#show-older');
const duplicateWarning = document.querySelector('#duplicate-warning');
const duplicateText = document.querySelector('#duplicate-text');
const confirmDialog = document.querySelector('#confirm-dialog');

const REFRESH_MS = 3000;

// The poll brings the newest page of past sessions; older pages, once asked for, stay.
let newestPast = { past: [], past_before: null };
const older = { past: [], past_before: null };

// Signed in by an HttpOnly cookie the server set in exchange for the token; writes repeat
// the session's CSRF token, which only a page of this origin can read.
let csrf = null;
const api = (path, options = {}) => apiRequest(path, null, { ...options, headers: csrf ? { 'X-CSRF-Token': csrf } : {} });

function showError(element, message) {
  element.textContent = message;
  element.hidden = !message;
}

// Keyed by session or pair: what did not change stays in place, so a button the program
// manager is on keeps its focus through the refresh.
function fillList(containerId, items, render, key) {
  updateChildren(document.querySelector(`#${containerId}`), items.map((item) => {
    const element = render(item);
    element.dataset.key = key(item);
    return element;
  }));
  document.querySelector(`#no-${containerId}`).hidden = items.length > 0;
}

const pairName = (s) => `${s.participants?.mentor.name ?? s.mentor} & ${s.participants?.mentoree.name ?? s.mentoree}`;
const percent = (share) => (share === null || share === undefined ? '—' : `${Math.round(share * 100)} %`);
const firstName = (name) => name.split(/\s+/)[0];

// One line per person, so a figure never leaves its owner to be guessed.
function perPerson(participants, figure) {
  return Object.values(participants).map((p) => h('div', { title: p.name }, `${firstName(p.name)}: ${figure(p)}`));
}

const STATE_LABELS = { upcoming: 'upcoming', late: 'late: nobody in yet', 'no-show': 'no-show' };
const CAMERA_WORDS = { on: 'face in view', no_face: 'no face in view', off: 'camera off', unknown: 'camera unknown to the server' };

// "camera on 84 %, in view 80 %", and how much of the time the server could not see it.
function cameraFigure(shares) {
  const unseen = shares.camera_unknown_share >= 0.01 ? `, not seen ${percent(shares.camera_unknown_share)}` : '';
  return `camera on ${percent(shares.camera_on_share)}, in view ${percent(shares.face_in_view_share)}${unseen}`;
}

function flagBadge(flag) {
  return h('span', { className: `badge badge-${flag.severity}`, title: `Tip ${flag.tip}: ${flag.message}`, dataCode: flag.code }, flag.message);
}

function liveCard(s) {
  const people = Object.entries(s.participants).map(([role, p]) => h('li', { dataPresent: String(p.present) },
    h('span', { className: 'dot' }), `${p.name} (${role})`,
    p.camera ? h('span', { className: `camera camera-${p.camera}` }, ` ${CAMERA_WORDS[p.camera] ?? p.camera}`) : null,
  ));
  const left = s.started_at
    ? (s.remaining_seconds >= 0 ? `${formatDuration(s.remaining_seconds)} left` : `${formatDuration(-s.remaining_seconds)} over`)
    : 'waiting for both to join';
  const agenda = s.agenda_progress.total ? `agenda ${s.agenda_progress.covered}/${s.agenda_progress.total}` : 'no agenda';
  const concerns = s.concerns.map((c) => h('p', { className: 'badge badge-alert live-concern', dataTestid: 'live-concern' },
    `${c.name} raised a concern at ${formatDateTime(c.at)}: ${c.text}`));
  const earlier = s.concern_count - s.concerns.length;
  if (earlier > 0) concerns.unshift(h('p', { className: 'muted' }, `${earlier} earlier concern${earlier === 1 ? '' : 's'}: see the summary after the meeting`));
  return h('article', { className: 'live-card', dataSessionId: s.id },
    h('h3', {}, pairName(s)),
    h('ul', { className: 'people' }, people),
    h('p', { className: 'muted' }, `${left} · ${agenda}${s.paused ? ' · paused' : ''}`),
    concerns,
    h('p', { className: 'session-actions' }, sessionActions(s, 'cancel')),
  );
}

// Cancel (its links die at once) and delete (its events and files are gone): each asks first.
const ACTIONS = {
  cancel: {
    label: 'Cancel',
    title: 'Cancel this session?',
    text: 'Their invite links stop working at once, and anyone in the room is sent out. The session stays on record as cancelled.',
    confirm: 'Cancel session',
    request: (id) => api(`/api/sessions/${encodeURIComponent(id)}/cancel`, { method: 'POST' }),
  },
  delete: {
    label: 'Delete',
    title: 'Delete this session for good?',
    text: 'Its events, summary and outbox files are deleted. This cannot be undone.',
    confirm: 'Delete session',
    request: (id) => api(`/api/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  },
};

function sessionActions(s, ...actions) {
  return actions.map((action) => h('button', {
    type: 'button',
    className: 'secondary small session-action',
    dataAction: action,
    dataSessionId: s.id ?? s.session_id,
    dataPair: pairName(s),
    'aria-label': `${ACTIONS[action].label} the session of ${pairName(s)}`,
  }, ACTIONS[action].label));
}

// Per person: copy their link, download their calendar file, and whether the email went.
function inviteLinks(s, role) {
  const name = s.participants[role].name;
  const invite = s.invites?.[role];
  return h('div', { className: 'invite', dataRole: role },
    h('button', { type: 'button', className: 'secondary small copy-link', dataLink: s.links[role], 'aria-label': `Copy ${name}'s link` }, role),
    h('a', { href: `/api/sessions/${encodeURIComponent(s.id)}/invite/${role}.ics`, download: `${s.id}-${role}.ics`, dataTestid: 'invite-ics' },
      '.ics', h('span', { className: 'visually-hidden' }, ` calendar file for ${name}`)),
    invite ? h('span', { className: `invite-status ${invite === 'sent' ? 'ok' : 'error'}`, dataTestid: 'invite-status', title: invite },
      invite === 'sent' ? 'emailed' : invite === 'not sent' ? 'emailing…' : 'email failed') : null);
}

function upcomingRow(s) {
  return h('tr', { dataSessionId: s.id, dataState: s.board_state },
    h('td', { dataLabel: 'Pair' }, pairName(s)),
    h('td', { dataLabel: 'Starts' }, formatDateTime(s.scheduled_start), s.board_state === 'upcoming' ? null
      : h('span', { className: `badge badge-${s.board_state === 'late' ? 'warning' : 'alert'} state-badge` }, STATE_LABELS[s.board_state])),
    h('td', { dataLabel: 'Minutes' }, String(s.allotted_minutes)),
    h('td', { dataLabel: 'Agenda' }, s.agenda_progress.sent_at ? `sent (${s.agenda_progress.total} items)` : 'not sent yet'),
    h('td', { className: 'link-buttons', dataLabel: 'Links' }, inviteLinks(s, 'mentor'), inviteLinks(s, 'mentoree')),
    h('td', { className: 'session-actions' }, sessionActions(s, 'cancel', 'delete')),
  );
}

// Per channel, the newest summary version it delivered; "⟳" while the newest is still owed,
// "✗" with the reason and a Retry button once the channel gave up.
function deliveryCell(sessionId, deliveries, version) {
  return h('td', { className: 'deliveries', dataLabel: 'Delivered' }, deliveries.map((d) => {
    const current = d.delivered_version >= version && !d.failed;
    const what = d.delivered_version ? `v${d.delivered_version}` : 'nothing yet';
    const title = [
      d.delivered_at ? `v${d.delivered_version} delivered ${formatDateTime(d.delivered_at)}` : 'not delivered yet',
      current ? '' : `v${version} owed; ${d.attempts} failed attempt(s): ${d.last_error ?? 'in progress'}`,
    ].filter(Boolean).join('; ');
    const state = d.failed ? 'failed' : (current ? 'delivered' : 'pending');
    const mark = { failed: '✗', delivered: '✓', pending: '⟳' }[state];
    return h('div', { className: `delivery ${state}`, title, dataChannel: d.channel, dataVersion: String(d.delivered_version) },
      `${mark} ${d.channel} ${what}${state === 'pending' && d.attempts ? ` (${d.attempts} tries)` : ''}`,
      d.failed ? h('span', { className: 'delivery-error', dataTestid: 'delivery-error' }, `failed: ${d.last_error}`) : null,
      d.failed ? h('button', { type: 'button', className: 'secondary small retry-delivery', dataTestid: 'retry-delivery', dataSessionId: sessionId, dataChannel: d.channel }, 'Retry') : null,
    );
  }));
}

const rating = (p) => (p.rating ? `${p.rating}/5` : 'not rated');
const concernCount = (n) => (n ? h('span', { className: 'badge badge-alert' }, `${n} concern${n === 1 ? '' : 's'}`) : '—');

function pastRow(s) {
  const link = `/api/sessions/${encodeURIComponent(s.session_id)}/summary.html`;
  return h('tr', { dataSessionId: s.session_id },
    h('td', { dataLabel: 'Pair' }, pairName(s)),
    h('td', { dataLabel: 'Ended' }, formatDateTime(s.ended_at)),
    h('td', { dataLabel: 'Time used' }, `${formatDuration(s.duration_seconds)} of ${s.allotted_minutes}:00`),
    h('td', { className: 'camera-cell', dataLabel: 'Camera' }, perPerson(s.participants, cameraFigure)),
    h('td', { dataLabel: 'Agenda' }, s.agenda.total ? `${s.agenda.covered}/${s.agenda.total}` : '—'),
    h('td', { className: 'rating-cell', dataLabel: 'Rating' }, perPerson(s.participants, rating)),
    h('td', { className: 'concerns-cell', dataLabel: 'Concerns' }, concernCount(s.concerns)),
    h('td', { className: 'flags-cell', dataLabel: 'Flags' }, s.flags.length ? s.flags.map(flagBadge) : h('span', { className: 'ok' }, 'all five tips')),
    deliveryCell(s.session_id, s.deliveries, s.version),
    h('td', {}, h('a', { href: link, target: '_blank', rel: 'noopener' }, 'Summary', h('span', { className: 'visually-hidden' }, ` of ${pairName(s)}, ${formatDateTime(s.ended_at)}`))),
    h('td', { className: 'session-actions' }, sessionActions(s, 'delete')),
  );
}

function trendChart(points) {
  const width = 280;
  const height = 80;
  const max = Math.max(1.25, ...points.map((p) => p.time_used_share));
  const barWidth = Math.min(28, (width - 10) / Math.max(points.length, 1) - 4);
  const y = (share) => height - 4 - (share / max) * (height - 10);
  const bars = points.map((p, i) => svg('rect', {
    x: 6 + i * (barWidth + 4), y: y(p.time_used_share), width: barWidth,
    height: Math.max(1, height - 4 - y(p.time_used_share)),
    class: p.ended_early ? 'bar early' : 'bar',
  }, svg('title', {}, `${Math.round(p.time_used_share * 100)}% of the allotted time`)));
  const full = svg('line', { x1: 0, x2: width, y1: y(1), y2: y(1), class: 'full-line' });
  return svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'trend-chart', role: 'img', 'aria-label': 'Share of allotted time used per session' }, ...bars, full);
}

function pairCard(trend) {
  return h('article', { className: 'pair-card', dataTestid: 'pair' },
    h('h3', {}, `${trend.mentor} & ${trend.mentoree}`),
    trend.flags.map(flagBadge),
    trendChart(trend.points),
    h('dl', { className: 'pair-stats' },
      h('dt', {}, 'Sessions held'), h('dd', {}, String(trend.sessions_held)),
      h('dt', {}, 'Time used'), h('dd', {}, percent(trend.average_time_used_share)),
      h('dt', {}, 'Camera'), h('dd', {}, Object.values(trend.cameras).length
        ? perPerson(trend.cameras, cameraFigure)
        : '—'),
      h('dt', {}, 'Agenda covered'), h('dd', {}, percent(trend.average_agenda_coverage)),
      h('dt', {}, 'Early-end streak'), h('dd', {}, String(trend.early_end_streak)),
    ),
  );
}

let board = { live: [], upcoming: [] };

function renderPast() {
  const shown = new Set(newestPast.past.map((s) => s.session_id));
  const past = [...newestPast.past, ...older.past.filter((s) => !shown.has(s.session_id))];
  fillList('past', past, pastRow, (s) => s.session_id);
  showOlderButton.hidden = !(older.past.length ? older.past_before : newestPast.past_before);
}

function render(latest) {
  board = latest;
  fillList('live', board.live, liveCard, (s) => s.id);
  fillList('upcoming', board.upcoming, upcomingRow, (s) => s.id);
  newestPast = board;
  renderPast();
  fillList('pairs', board.pairs, pairCard, (t) => `${t.mentor}|${t.mentoree}`);
  refreshed.textContent = `Updated ${formatDateTime(Date.now() / 1000)}`;
}

async function refresh() {
  try {
    render(await api('/api/dashboard'));
    if (older.past.length) await reloadOlder();
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      csrf = null;
      showSignIn('You are signed out. Sign in again.');
      return false;
    }
    refreshed.textContent = `Could not refresh: ${error.message}`;
  }
  return true;
}

function showSignIn(message = '') {
  dashboard.hidden = true;
  signOutButton.hidden = true;
  signIn.hidden = false;
  showError(signInError, message);
}

async function showDashboard() {
  if (!(await refresh())) return;
  signIn.hidden = true;
  dashboard.hidden = false;
  signOutButton.hidden = false;
}

async function copyText(text, button, label) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    window.prompt('Copy this link:', text); // no clipboard access (http, old browser)
  }
  setTimeout(() => { button.textContent = label; }, 1500);
}

function defaultStart() {
  const start = new Date(Date.now() + 5 * 60_000);
  start.setMinutes(Math.ceil(start.getMinutes() / 5) * 5, 0, 0);
  const local = new Date(start.getTime() - start.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

function scheduleRequest(form) {
  const value = (name) => form.elements[name].value.trim();
  const person = (role) => ({
    name: value(`${role}_name`),
    ...(value(`${role}_email`) ? { email: value(`${role}_email`) } : {}),
  });
  return {
    mentor: person('mentor'),
    mentoree: person('mentoree'),
    scheduled_start: new Date(value('scheduled_start')).toISOString(),
    allotted_minutes: Number(value('allotted_minutes')),
    agenda: value('agenda').split('\n').map((line) => line.trim()).filter(Boolean),
  };
}

// The same pair at the same minute is almost always a second click, not a second session.
function duplicateOf(request) {
  const minute = (iso) => Math.floor(new Date(iso).getTime() / 60_000);
  const pair = `${request.mentor.name} & ${request.mentoree.name}`;
  return [...board.live, ...board.upcoming].find((s) => pairName(s) === pair
    && minute(s.scheduled_start) === minute(request.scheduled_start));
}

async function schedule(request) {
  const button = scheduleForm.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    const created = await api('/api/sessions', { method: 'POST', body: request });
    scheduled.querySelector('[data-testid=mentor-link]').value = created.links.mentor;
    scheduled.querySelector('[data-testid=mentoree-link]').value = created.links.mentoree;
    scheduled.hidden = false;
    scheduleForm.reset();
    scheduleForm.elements.scheduled_start.value = defaultStart();
    await refresh();
  } catch (error) {
    showError(scheduleError, `Could not schedule: ${error.message}`);
  } finally {
    button.disabled = false;
  }
}

// The request a duplicate warning holds back, as it was asked for (past start confirmed).
let questioned = null;

scheduleForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  showError(scheduleError, '');
  duplicateWarning.hidden = true;
  if (!scheduleForm.reportValidity()) return;
  const request = scheduleRequest(scheduleForm);
  // The server takes a start in the past only when asked to (more than its 5 minutes' grace).
  if (new Date(request.scheduled_start) < Date.now() - 5 * 60_000) {
    if (!window.confirm('This start is in the past. Schedule the session anyway?')) return;
    request.confirm_past_start = true;
  }
  const duplicate = duplicateOf(request);
  if (duplicate) {
    questioned = request;
    duplicateText.textContent = `${pairName(duplicate)} already have a session at ${formatDateTime(duplicate.scheduled_start)}. Schedule another one at the same time?`;
    duplicateWarning.hidden = false;
    duplicateWarning.querySelector('button').focus();
    return;
  }
  await schedule(request);
});
document.querySelector('#schedule-anyway').addEventListener('click', () => {
  duplicateWarning.hidden = true;
  schedule(questioned);
});
document.querySelector('#duplicate-cancel').addEventListener('click', () => {
  duplicateWarning.hidden = true;
  scheduleForm.elements.scheduled_start.focus();
});
document.querySelector('#schedule-another').addEventListener('click', () => {
  scheduled.hidden = true;
  scheduleForm.elements.mentor_name.focus();
});

scheduled.addEventListener('click', (event) => {
  const button = event.target.closest('button.copy');
  if (!button) return;
  copyText(scheduled.querySelector(`[data-testid=${button.dataset.copy}]`).value, button, 'Copy');
});
document.querySelector('#upcoming').addEventListener('click', (event) => {
  const button = event.target.closest('button.copy-link');
  if (button) copyText(button.dataset.link, button, button.textContent);
});

// One dialog asks before a session is cancelled or deleted; the answer comes with its close.
dashboard.addEventListener('click', (event) => {
  const button = event.target.closest('button.session-action');
  if (!button) return;
  const action = ACTIONS[button.dataset.action];
  confirmDialog.querySelector('#confirm-title').textContent = action.title;
  confirmDialog.querySelector('#confirm-text').textContent = `${button.dataset.pair}: ${action.text}`;
  confirmDialog.querySelector('#confirm-action').textContent = action.confirm;
  confirmDialog.returnValue = '';
  confirmDialog.dataset.action = button.dataset.action;
  confirmDialog.dataset.sessionId = button.dataset.sessionId;
  confirmDialog.showModal();
});
confirmDialog.addEventListener('close', async () => {
  if (confirmDialog.returnValue !== 'confirm') return;
  const { action, sessionId } = confirmDialog.dataset;
  try {
    await ACTIONS[action].request(sessionId);
    await refresh();
  } catch (error) {
    refreshed.textContent = `Could not ${action} the session: ${error.message}`;
  }
});

document.querySelector('#past').addEventListener('click', async (event) => {
  const button = event.target.closest('button.retry-delivery');
  if (!button) return;
  const { sessionId, channel } = button.dataset;
  button.disabled = true;
  try {
    await api(`/api/sessions/${encodeURIComponent(sessionId)}/deliveries/${encodeURIComponent(channel)}/retry`, { method: 'POST' });
    await refresh();
  } catch (error) {
    refreshed.textContent = `Could not retry ${channel}: ${error.message}`;
    button.disabled = false;
  }
});

async function fetchPastPage(before) {
  return api(`/api/dashboard/past?before=${encodeURIComponent(before)}`);
}

// Older pages asked for stay on screen and in step: each poll reloads as many as are shown.
async function reloadOlder() {
  const wanted = older.past.length;
  const reloaded = { past: [], past_before: newestPast.past_before };
  while (reloaded.past.length < wanted && reloaded.past_before) {
    const page = await fetchPastPage(reloaded.past_before);
    reloaded.past.push(...page.past);
    reloaded.past_before = page.past_before;
  }
  Object.assign(older, reloaded);
  renderPast();
}

showOlderButton.addEventListener('click', async () => {
  const before = older.past.length ? older.past_before : newestPast.past_before;
  showOlderButton.disabled = true;
  try {
    const page = await fetchPastPage(before);
    older.past.push(...page.past);
    older.past_before = page.past_before;
    renderPast();
  } catch (error) {
    refreshed.textContent = `Could not load older sessions: ${error.message}`;
  } finally {
    showOlderButton.disabled = false;
  }
});

exportButton.addEventListener('click', async () => {
  let csv;
  try {
    csv = await api('/api/sessions.csv', { as: 'blob' });
  } catch (error) {
    refreshed.textContent = `Export failed: ${error.message}`;
    return;
  }
  const url = URL.createObjectURL(csv);
  h('a', { href: url, download: 'mentormeet-sessions.csv' }).click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
});

signInForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    ({ csrf } = await apiRequest('/api/signin', null, { method: 'POST', body: { token: tokenInput.value.trim() } }));
  } catch (error) {
    showSignIn(error.status === 403 ? 'That token was not accepted.' : `Could not sign in: ${error.message}`);
    return;
  }
  tokenInput.value = '';
  showDashboard();
});

signOutButton.addEventListener('click', async () => {
  try {
    await api('/api/signout', { method: 'POST' });
  } catch (error) {
    refreshed.textContent = `Could not sign out: ${error.message}`;
    return;
  }
  csrf = null;
  showSignIn('Signed out.');
});

// Another tab signed in already? The cookie says so, and the server tells this page its
// CSRF token.
async function resumeSignIn() {
  try {
    ({ csrf } = await apiRequest('/api/signin', null));
    showDashboard();
  } catch {
    showSignIn();
  }
}

scheduleForm.elements.scheduled_start.value = defaultStart();
resumeSignIn();
setInterval(() => { if (!dashboard.hidden) refresh(); }, REFRESH_MS);
