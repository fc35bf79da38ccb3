'use strict';

// The agenda before the meeting. The mentoree writes it (items with an optional number of
// minutes) and sends it; the mentor sees what was sent, and when.

import { formatDateTime } from '../common/time.js';

const REFRESH_MS = 10_000;

async function fetchSession(sessionId, token) {
  const response = await fetch(`/api/sessions/${encodeURIComponent(sessionId)}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ?? response.statusText);
  return body;
}

function sentLine(session) {
  const sender = session.participants.mentoree.name;
  const sentAt = session.agenda_progress.updated_at;
  if (session.agenda_progress.sent_at) return `Sent by ${sender}, ${formatDateTime(sentAt)}.`;
  return session.agenda.length
    ? `${sender} has not sent an agenda yet. This is the program manager's draft.`
    : `${sender} has not sent an agenda yet.`;
}

export function showAgenda({ sessionId, token, list, sentNote }) {
  const refresh = async () => {
    try {
      const session = await fetchSession(sessionId, token);
      list.replaceChildren(...session.agenda.map((item) => {
        const li = document.createElement('li');
        li.textContent = item.minutes ? `${item.text} (${item.minutes} min)` : item.text;
        return li;
      }));
      sentNote.textContent = sentLine(session);
    } catch (error) {
      sentNote.textContent = `Could not load the agenda: ${error.message}`;
    }
  };
  refresh();
  setInterval(refresh, REFRESH_MS);
}

export function editAgenda({ sessionId, token, form, list, sentNote, errorNote }) {
  const addRow = (item = { text: '', minutes: null }) => {
    const li = document.createElement('li');
    li.innerHTML = `
      <input class="agenda-text-input" maxlength="200" aria-label="Agenda item" data-testid="agenda-draft-item">
      <input class="agenda-minutes" type="number" min="1" max="240" placeholder="min" aria-label="Minutes">
      <button type="button" class="remove secondary" aria-label="Remove item">×</button>`;
    li.querySelector('.agenda-text-input').value = item.text;
    li.querySelector('.agenda-minutes').value = item.minutes ?? '';
    list.append(li);
    return li;
  };

  const setEditable = (editable) => {
    for (const control of form.elements) control.disabled = !editable;
  };

  list.addEventListener('click', (event) => {
    if (event.target.closest('button.remove')) event.target.closest('li').remove();
  });
  form.querySelector('#agenda-add-row').addEventListener('click', () => {
    addRow().querySelector('input').focus();
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errorNote.hidden = true;
    const items = [...list.children]
      .map((li) => ({
        text: li.querySelector('.agenda-text-input').value.trim(),
        minutes: Number(li.querySelector('.agenda-minutes').value) || null,
      }))
      .filter((item) => item.text);
    const response = await fetch(`/api/sessions/${encodeURIComponent(sessionId)}/agenda`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ items }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      errorNote.textContent = `Not sent: ${body.error ?? response.statusText}`;
      errorNote.hidden = false;
      return;
    }
    render(body);
  });

  const render = (session) => {
    list.replaceChildren();
    for (const item of session.agenda) addRow(item);
    if (!session.agenda.length) addRow();
    if (session.started_at || session.status === 'ended') {
      setEditable(false);
      sentNote.textContent = 'The session has started: add and check items in the room.';
    } else {
      setEditable(true);
      sentNote.textContent = session.agenda_progress.sent_at
        ? `Sent ${formatDateTime(session.agenda_progress.updated_at)}. ${session.participants.mentor.name} sees it in their lobby; you can still change it.`
        : 'Write what you want to talk about and send it, so that you both come prepared.';
    }
  };

  fetchSession(sessionId, token).then(render).catch((error) => {
    errorNote.textContent = `Could not load the agenda: ${error.message}`;
    errorNote.hidden = false;
  });
}
