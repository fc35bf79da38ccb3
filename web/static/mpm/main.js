'use strict';

import { formatDateTime } from '../common/time.js';

const signIn = document.querySelector('#sign-in');
const signInForm = document.querySelector('#sign-in-form');
const signInError = document.querySelector('#sign-in-error');
const tokenInput = document.querySelector('#admin-token');
const dashboard = document.querySelector('#dashboard');
const scheduleForm = document.querySelector('#schedule-form');
const scheduleError = document.querySelector('#schedule-error');
const scheduled = document.querySelector('#scheduled');
const sessionRows = document.querySelector('#session-rows');
const noSessions = document.querySelector('#no-sessions');
const refreshed = document.querySelector('#refreshed');

const TOKEN_KEY = 'mentormeet.admin-token';
const REFRESH_MS = 5000;

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// The token arrives in the URL fragment (never sent to the server, never logged) and is
// kept for this tab only.
function takeTokenFromUrl() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    history.replaceState(null, '', location.pathname);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

async function api(path, { method = 'GET', body } = {}) {
  const response = await fetch(path, {
    method,
    headers: {
      Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}`,
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, payload.error ?? response.statusText);
  return payload;
}

function showError(element, message) {
  element.textContent = message;
  element.hidden = !message;
}

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

function renderSessions(sessions) {
  noSessions.hidden = sessions.length > 0;
  sessionRows.replaceChildren(
    ...sessions.map((s) => {
      const row = document.createElement('tr');
      row.dataset.sessionId = s.id;
      const present = Object.values(s.participants).filter((p) => p.present).map((p) => p.name);
      const status = cell(s.status);
      status.className = `status status-${s.status}`;
      row.append(
        cell(`${s.participants.mentor.name} & ${s.participants.mentoree.name}`),
        cell(formatDateTime(s.scheduled_start)),
        cell(String(s.allotted_minutes)),
        status,
        cell(present.join(', ') || '—'),
      );
      return row;
    }),
  );
  refreshed.textContent = `Updated ${new Date().toLocaleTimeString()}`;
}

async function refresh() {
  try {
    renderSessions((await api('/api/sessions')).sessions);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      sessionStorage.removeItem(TOKEN_KEY);
      showSignIn('That token was not accepted.');
      return false;
    }
    refreshed.textContent = `Could not refresh: ${error.message}`;
  }
  return true;
}

function showSignIn(message = '') {
  dashboard.hidden = true;
  signIn.hidden = false;
  showError(signInError, message);
}

async function showDashboard() {
  if (!(await refresh())) return;
  signIn.hidden = true;
  dashboard.hidden = false;
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

scheduleForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  showError(scheduleError, '');
  if (!scheduleForm.reportValidity()) return;
  const button = scheduleForm.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    const created = await api('/api/sessions', { method: 'POST', body: scheduleRequest(scheduleForm) });
    scheduled.querySelector('[data-testid=mentor-link]').value = created.links.mentor;
    scheduled.querySelector('[data-testid=mentoree-link]').value = created.links.mentoree;
    scheduled.hidden = false;
    await refresh();
  } catch (error) {
    showError(scheduleError, `Could not schedule: ${error.message}`);
  } finally {
    button.disabled = false;
  }
});

scheduled.addEventListener('click', async (event) => {
  const button = event.target.closest('button.copy');
  if (!button) return;
  const input = scheduled.querySelector(`[data-testid=${button.dataset.copy}]`);
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    input.select(); // without clipboard access, leave the link selected for Ctrl-C
  }
  button.textContent = 'Copied';
  setTimeout(() => { button.textContent = 'Copy'; }, 1500);
});

signInForm.addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, tokenInput.value.trim());
  showDashboard();
});

scheduleForm.elements.scheduled_start.value = defaultStart();
if (takeTokenFromUrl()) showDashboard();
else showSignIn();
setInterval(() => { if (!dashboard.hidden) refresh(); }, REFRESH_MS);
